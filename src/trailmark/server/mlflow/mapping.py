"""MLflow requests in, MLflow entities out: field access and the JSON of experiments and runs.

MLflow sends JSON bodies for writes and query strings for reads (numbers as strings, lists as
repeated keys); :class:`Fields` reads both the same way and names the field in every error.
Entities are built from Trailmark's own run view, so a native run reads like one logged
through MLflow: ``info`` from the run's columns, ``params`` from its config, ``tags`` from its
properties (see :mod:`trailmark.store.mlflow.conventions`).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import orjson
from fastapi import Request

from trailmark.errors import InvalidInput
from trailmark.records import float_to_json, metric_from_json
from trailmark.store.mlflow.conventions import (
    META_KEY,
    NOTE_TAG,
    RUN_NAME_TAG,
    USER_TAG,
    params_view,
)
from trailmark.store.mlflow.experiments import Experiment
from trailmark.store.mlflow.metrics import MetricPoint
from trailmark.store.mlflow.runs import ACTIVE_ONLY, ALL, DELETED_ONLY, MlflowRun
from trailmark.validation import key_problem

STATE_TO_STATUS = {
    "running": "RUNNING",
    "finished": "FINISHED",
    "failed": "FAILED",
    "crashed": "FAILED",
    "killed": "KILLED",
}
STATUS_TO_STATE = {
    "RUNNING": "running",
    "SCHEDULED": "running",
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "killed",
}
_STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_VIEW_TYPES = {"1": ACTIVE_ONLY, "2": DELETED_ONLY, "3": ALL}


class Fields:
    """The fields of one MLflow request, and ``user``: who makes it (for registry events)."""

    def __init__(self, data: dict[str, Any], user: str = "anonymous") -> None:
        self.data = data
        self.user = user

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else value
        if not isinstance(value, str | int | float):
            raise InvalidInput(f"field {name!r} must be a string, got {json.dumps(value)[:80]}")
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise InvalidInput(f"Missing value for required parameter '{name}'.")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise InvalidInput(f"field {name!r} must be an integer, got {value!r}") from None

    def items(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        return value is True or str(value).lower() == "true"

    def key_values(self, name: str) -> dict[str, str]:
        """A list of ``{"key", "value"}`` objects (tags, params) as a dict, checked."""
        out: dict[str, str] = {}
        for item in self.items(name):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise InvalidInput(f"each of {name!r} needs a string 'key', got {str(item)[:80]}")
            value = item.get("value")
            out[item["key"]] = "" if value is None else str(value)
        return out


async def read_fields(request: Request) -> Fields:
    """The JSON body (or the query string), with the path parameters."""
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    if request.method != "GET":
        body = await request.body()
        if body.strip():
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
            if not isinstance(parsed, dict):
                raise InvalidInput("the request body must be a JSON object")
            data.update(parsed)
    data.update(request.path_params)
    return Fields(data)


def millis(seconds: float) -> int:
    return round(seconds * 1000)


def metric_value(value: Any, name: str = "value") -> float:
    number = metric_from_json(value)
    if number is None and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or isinstance(value, bool):
        raise InvalidInput(f"metric {name} must be a number (or NaN, Infinity), got {value!r}")
    return number


def run_status(value: Any) -> str:
    """The Trailmark state for an MLflow status given by name or number."""
    name = _STATUS_NUMBERS.get(value) if isinstance(value, int) else str(value).upper()
    if name is None or name not in STATUS_TO_STATE:
        raise InvalidInput(f"status must be one of {', '.join(STATUS_TO_STATE)}, got {value!r}")
    return STATUS_TO_STATE[name]


def view_type(value: Any) -> str:
    if value is None or value == "":
        return ACTIVE_ONLY
    text = str(value).upper()
    if text in (ACTIVE_ONLY, DELETED_ONLY, ALL):
        return text
    if text in _VIEW_TYPES:
        return _VIEW_TYPES[text]
    raise InvalidInput(f"view type must be ACTIVE_ONLY, DELETED_ONLY or ALL, got {value!r}")


def page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token))["offset"]
        return max(0, int(offset))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput(
            f"Invalid page token {token[:40]!r}; pass back next_page_token as given"
        ) from None


def max_results(fields: Fields, default: int, limit: int) -> int:
    value = fields.integer("max_results", default)
    if value is None or not 1 <= value <= limit:
        raise InvalidInput(f"max_results must be between 1 and {limit}, got {value}")
    return value


def tag_list(tags: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": k, "value": str(v)} for k, v in tags.items()]


def experiment_json(exp: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": f"mlflow-artifacts:/{exp.experiment_id}",
        "lifecycle_stage": "active" if exp.deleted_at is None else "deleted",
        "last_update_time": millis(exp.updated_at),
        "creation_time": millis(exp.created_at),
        "tags": tag_list(exp.tags),
    }


def _mlflow_section(view: dict[str, Any]) -> dict[str, Any] | None:
    """``metadata["mlflow"]``: present on runs created through MLflow, absent on native ones."""
    section = view["metadata"].get(META_KEY)
    return section if isinstance(section, dict) else None


def run_tags(view: dict[str, Any]) -> dict[str, str]:
    """The run's MLflow tags; a native run also shows its user as ``mlflow.user``."""
    tags = {k: str(v) for k, v in view["properties"].items()}
    tags[RUN_NAME_TAG] = view["name"]
    if view["notes"]:
        tags[NOTE_TAG] = view["notes"]
    user = view["metadata"].get("user")
    if USER_TAG not in tags and _mlflow_section(view) is None and isinstance(user, str) and user:
        tags[USER_TAG] = user
    return tags


def run_user(view: dict[str, Any], tags: dict[str, str]) -> str:
    section = _mlflow_section(view)
    if section is not None and "user_id" in section:
        return str(section["user_id"])
    return tags.get(USER_TAG, "")


def run_artifact_uri(experiment_id: str, run_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def run_info_json(run: MlflowRun) -> dict[str, Any]:
    view = run.view
    tags = run_tags(view)
    info: dict[str, Any] = {
        "run_id": view["id"],
        "run_uuid": view["id"],
        "run_name": view["name"],
        "experiment_id": run.experiment_id,
        "user_id": run_user(view, tags),
        "status": STATE_TO_STATUS.get(view["state"], "RUNNING"),
        "start_time": millis(view["created"]),
        "artifact_uri": run_artifact_uri(run.experiment_id, view["id"]),
        "lifecycle_stage": "active" if run.deleted_at is None else "deleted",
    }
    if view["ended"] is not None and view["state"] != "running":
        info["end_time"] = millis(view["ended"])
    return info


def run_json(run: MlflowRun) -> dict[str, Any]:
    view = run.view
    extra = _mlflow_section(view) or {}
    metrics = [
        {"key": key, "value": float_to_json(p.value), "timestamp": millis(p.time), "step": p.step}
        for key, p in sorted(run.metrics.items())
    ]
    params = params_view(view["config"], view["metadata"])
    return {
        "info": run_info_json(run),
        "data": {
            "metrics": metrics,
            "params": [{"key": k, "value": v} for k, v in sorted(params.items())],
            "tags": tag_list(run_tags(view)),
        },
        "inputs": {
            "dataset_inputs": extra.get("datasets", []),
            "model_inputs": extra.get("model_inputs", []),
        },
        "outputs": {"model_outputs": extra.get("model_outputs", [])},
    }


MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000


def check_entries(kind: str, entries: dict[str, str], max_value: int) -> dict[str, str]:
    """MLflow's limits on param and tag keys and values, with what to do about them."""
    for key, value in entries.items():
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"{kind} keys must have 1 to {MAX_KEY_LENGTH} characters, got {key[:80]!r}"
            )
        if len(value) > max_value:
            raise InvalidInput(
                f"{kind} {key!r} has a value of {len(value)} characters; the limit is {max_value}. "
                "Log long text as an artifact (mlflow.log_text) instead."
            )
    return entries


def unique_params(fields: Fields) -> dict[str, str]:
    """The params of a request; the same key twice with different values is refused."""
    out: dict[str, str] = {}
    for item in fields.items("params"):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise InvalidInput(f"each param needs a string 'key', got {str(item)[:80]}")
        raw = item.get("value")
        key, value = item["key"], "" if raw is None else str(raw)
        if out.get(key, value) != value:
            raise InvalidInput(
                f"Duplicate parameter keys have been submitted: {key!r} with values "
                f"{out[key]!r} and {value!r}. Log each param once."
            )
        out[key] = value
    return check_entries("param", out, MAX_PARAM_VALUE_LENGTH)


def metric_point(item: Any) -> MetricPoint:
    """An MLflow metric (``key``, ``value``, ``timestamp`` in ms, ``step``) as a point."""
    if not isinstance(item, dict):
        raise InvalidInput(f"a metric must be an object, got {str(item)[:80]}")
    key = item.get("key")
    problem = key_problem(key)
    if problem or not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(problem or f"metric keys have at most {MAX_KEY_LENGTH} characters")
    timestamp, step = item.get("timestamp"), item.get("step", 0)
    try:
        millis_value = int(timestamp)  # type: ignore[arg-type]
        step_value = int(step or 0)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"metric {key!r} needs an integer timestamp (ms) and step, got {timestamp!r}, {step!r}"
        ) from None
    if not -(2**62) <= step_value <= 2**62:
        raise InvalidInput(f"metric {key!r}: step {step_value} is out of range")
    return MetricPoint(
        key, metric_value(item.get("value"), f"{key!r}"), millis_value / 1000.0, step_value
    )

"""MLflow requests in: field access and the checks MLflow makes on params, tags and metrics.

MLflow sends JSON bodies for writes and query strings for reads (numbers as strings, lists as
repeated keys); :class:`Fields` reads both the same way and names the field in every error.
Nothing here knows HTTP: the server and the importer both build a :class:`Fields`.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.records import metric_from_json
from trailmark.redact import redact, redact_entries
from trailmark.store.mlflow.conventions import ACTIVE_ONLY, ALL, DELETED_ONLY
from trailmark.store.mlflow.metrics import MetricPoint
from trailmark.store.mlflow.paging import PageRequest
from trailmark.validation import check_no_nul, key_problem

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
    """The fields of one MLflow request: the JSON body (the query string for GET) and the
    path parameters."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

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
            raise InvalidInput(missing_value(name))
        return value

    def string(self, name: str) -> str | None:
        """A field MLflow's schema types as a string: a number or an object there is refused
        (400) before anything is looked up, as MLflow's handlers do."""
        value = self.data.get(name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # a query string's one value
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise InvalidInput(type_refusal(name, value))
        return value

    def intlike(self, name: str, *, required: bool = False) -> None:
        """Refuse a field MLflow's schema types as an integer (``"12"`` passes, ``"foo"``
        does not), or leaves out when ``required``."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise InvalidInput(missing_value(name))
            return
        try:
            int(value)
        except (TypeError, ValueError):
            raise InvalidInput(type_refusal(name, value)) from None

    def required_string(self, name: str) -> str:
        value = self.string(name)
        if value is None:
            raise InvalidInput(missing_value(name))
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

    def array(self, name: str) -> list[Any]:
        """A field MLflow's schema types as a list (a JSON body's ``metrics``, ``params``,
        ``tags``): anything else is refused, naming the field."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidInput(type_refusal(name, value))
        return value

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        return value is True or str(value).lower() == "true"

    def key_values(self, name: str) -> dict[str, str]:
        """A list of ``{"key", "value"}`` objects (tags, params) as a dict, checked, with
        secrets redacted (:mod:`trailmark.redact`)."""
        out: dict[str, str] = {}
        for item in self.array(name):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise InvalidInput(f"each of {name!r} needs a string 'key', got {str(item)[:80]}")
            value = item.get("value")
            out[check_no_nul(f"{name.rstrip('s')} key", item["key"])] = (
                "" if value is None else str(value)
            )
        return redact_entries(out)

    def tag_key(self) -> str:
        """The ``key`` of a set-tag request (required; a NUL in it is refused)."""
        return check_no_nul("tag key", self.required("key"))

    def tag_value(self) -> str:
        """The ``value`` of a set-tag request ("" if none), secrets redacted (by the tag's
        name too: ``api_token``)."""
        return str(redact(self.text("value", "") or "", self.tag_key()))


def missing_value(path: str) -> str:
    """MLflow's message for a required field left out."""
    return f"Missing value for required parameter '{path}'."


def invalid_value(path: str, value: Any, message: str | None = None) -> str:
    """MLflow's message for a field's value it refuses (clients and tests match on it)."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    end = f": {message}" if message else "."
    return f"Invalid value {shown} for parameter '{path}' supplied{end}"


def type_refusal(path: str, value: Any) -> str:
    """MLflow's message for a field of the wrong type (its schema checks)."""
    return (
        invalid_value(path, value, f" Hint: Value was of type '{type(value).__name__}'.")
        + " See the API docs for more information about request parameters."
    )


_PLAIN_KEY = re.compile(r"[/\w.\- :]*")


def key_name_problem(key: str, path: str) -> str | None:
    """Why MLflow refuses ``key`` as a metric, param or tag name, or ``None``: only letters,
    digits, ``_ - . : /`` and spaces, and no name that reads as another path (``..``,
    ``/abs``, ``a//b``, ``a/./b``), since names may become file names on a client."""
    if not _PLAIN_KEY.fullmatch(key):
        return invalid_value(
            path,
            key,
            "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
            "spaces ( ), colon(:) and slashes (/).",
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith(("..", "/")):
        return invalid_value(
            path,
            key,
            "Names may be treated as files in certain cases, and must not resolve to other "
            f"names when treated as such. This name would resolve to {norm!r}",
        )
    return None


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


def page_request(fields: Fields, default: int, limit: int) -> PageRequest:
    """The page a search asks for: ``max_results`` (1 to ``limit``) after ``page_token``."""
    return PageRequest(max_results(fields, default, limit), fields.text("page_token"))


def page_answer(name: str, items: list[Any], next_token: str | None) -> dict[str, Any]:
    """A search's answer: ``{name: items}``, with ``next_page_token`` unless it is the last page."""
    answer: dict[str, Any] = {name: items}
    if next_token is not None:
        answer["next_page_token"] = next_token
    return answer


def max_results(fields: Fields, default: int, limit: int) -> int:
    value = fields.integer("max_results", default)
    if value is None or not 1 <= value <= limit:
        raise InvalidInput(
            invalid_value("max_results", value, f"max_results must be between 1 and {limit}")
        )
    return value


MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000


def check_entries(
    kind: str, entries: dict[str, str], max_value: int, *, names: str | None = None
) -> dict[str, str]:
    """MLflow's limits on param and tag keys and values, with what to do about them; the
    entries come back with their secrets redacted (:mod:`trailmark.redact`, the SDK's rules:
    an MLflow client sends params and tags without the SDK in its process).

    With ``names`` (``"key"`` for one entry, ``"params"`` or ``"tags"`` for a batch) the keys
    are also checked as MLflow checks logged names (:func:`key_name_problem`)."""
    for index, (key, value) in enumerate(entries.items()):
        check_no_nul(f"{kind} key", key)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"{kind} keys must have 1 to {MAX_KEY_LENGTH} characters, got {key[:80]!r}"
            )
        if names is not None:
            path = names if names == "key" else f"{names}[{index}].key"
            problem = key_name_problem(key, path)
            if problem:
                raise InvalidInput(problem)
        if len(value) > max_value:
            raise InvalidInput(
                f"{kind} {key!r} has a value of {len(value)} characters; the limit is {max_value}. "
                "Log long text as an artifact (mlflow.log_text) instead."
            )
    return redact_entries(entries)


def unique_params(fields: Fields) -> dict[str, str]:
    """The params of a request; the same key twice with different values is refused."""
    out: dict[str, str] = {}
    for item in fields.array("params"):
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
    return check_entries("param", out, MAX_PARAM_VALUE_LENGTH, names="params")


def metric_point(item: Any, path: str = "name") -> MetricPoint:
    """An MLflow metric (``key``, ``value``, ``timestamp`` in ms, ``step``) as a point; its
    key is checked as MLflow checks it, errors naming ``path`` (``metrics[3].name`` in a
    batch)."""
    if not isinstance(item, dict):
        raise InvalidInput(f"a metric must be an object, got {str(item)[:80]}")
    key = item.get("key")
    problem = key_problem(key)
    if problem or not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(problem or f"metric keys have at most {MAX_KEY_LENGTH} characters")
    problem = key_name_problem(key, path)
    if problem:
        raise InvalidInput(problem)
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

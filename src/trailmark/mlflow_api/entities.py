"""MLflow entities out: the JSON of experiments and runs, built from Trailmark's own views.

A native run reads like one logged through MLflow: ``info`` from the run's columns,
``params`` from its config, ``tags`` from its properties (see
:mod:`trailmark.store.mlflow.conventions`).
"""

from __future__ import annotations

from typing import Any

from trailmark.records import float_to_json
from trailmark.store.mlflow.conventions import (
    META_KEY,
    NOTE_TAG,
    RUN_NAME_TAG,
    USER_TAG,
    params_view,
)
from trailmark.store.mlflow.experiments import Experiment
from trailmark.store.mlflow.runs import MlflowRun

STATE_TO_STATUS = {
    "running": "RUNNING",
    "finished": "FINISHED",
    "failed": "FAILED",
    "crashed": "FAILED",
    "killed": "KILLED",
}


def millis(seconds: float) -> int:
    return round(seconds * 1000)


def tag_list(tags: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": k, "value": str(v)} for k, v in tags.items()]


def experiment_json(exp: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location or f"mlflow-artifacts:/{exp.experiment_id}",
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


def run_artifact_uri(experiment_id: str, run_id: str, location: str | None = None) -> str:
    """Where a run's files are: under its experiment's own ``artifact_location`` if it was
    created with one (the client writes there itself), else through this server."""
    if location:
        return f"{location.rstrip('/')}/{run_id}/artifacts"
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
        "artifact_uri": run_artifact_uri(run.experiment_id, view["id"], run.artifact_location),
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

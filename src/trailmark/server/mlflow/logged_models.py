"""MLflow 3 logged models: ``/api/2.0/mlflow/logged-models...``.

``mlflow.<flavor>.log_model`` creates a logged model, uploads its files to the model's
artifact URI, then marks it ready. When it is ready its files also become a version of a
Trailmark artifact of type ``model`` (named after the model, produced by its run), so the
dashboard lists it with the run's other outputs and the registry can register it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.sdk.names import new_run_name
from trailmark.server.mlflow.artifacts import listing
from trailmark.server.mlflow.errors import endpoint, mlflow_router
from trailmark.server.mlflow.mapping import (
    Fields,
    max_results,
    millis,
    page_offset,
    page_token,
    tag_list,
)
from trailmark.server.mlflow.search_filter import check_simple_filter, matches, parse_filter
from trailmark.store.mlflow.experiments import ExperimentStore, parse_experiment_id
from trailmark.store.mlflow.models import LoggedModel, LoggedModelStore
from trailmark.store.mlflow.runs import experiment_id_of
from trailmark.store.store import Store

PREFIX = "/api/2.0/mlflow/logged-models"
READY = "LOGGED_MODEL_READY"
STATUSES = {1: "LOGGED_MODEL_PENDING", 2: READY, 3: "LOGGED_MODEL_UPLOAD_FAILED"}
_ATTRIBUTES = {
    "name": False,
    "model_id": False,
    "model_type": False,
    "status": False,
    "source_run_id": False,
    "creation_time": True,
    "creation_timestamp": True,
    "last_updated_timestamp": True,
}
_NOT_ARTIFACT_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")

router = mlflow_router("mlflow logged models")


def model_json(model: LoggedModel) -> dict[str, Any]:
    experiment_id = experiment_id_of(model.project_id, model.project_name)
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "experiment_id": experiment_id,
        "name": model.name,
        "creation_timestamp_ms": millis(model.created_at),
        "last_updated_timestamp_ms": millis(model.updated_at),
        "artifact_uri": f"mlflow-artifacts:/{experiment_id}/models/{model.model_id}/artifacts",
        "status": model.status,
        "model_type": model.model_type or "",
        "tags": tag_list(model.tags),
    }
    if model.run_id:
        info["source_run_id"] = model.run_id
    return {"info": info, "data": {"params": tag_list(model.params), "metrics": []}}


def artifact_ref(store: Store, model: LoggedModel, user: str = "anonymous") -> str:
    """The Trailmark artifact version holding the model's files (made when first needed)."""
    if model.artifact_ref:
        return model.artifact_ref
    if not model.files:
        raise InvalidInput(f"logged model {model.model_id} has no files yet; upload them first")
    name = _NOT_ARTIFACT_NAME.sub("-", model.name).strip("-._")[:100] or "model"
    view, _ = store.artifacts.create_version(
        model.project_name,
        name,
        type="model",
        entries=model.entries(),
        metadata={"mlflow_model_id": model.model_id, "mlflow_model_type": model.model_type},
        run_id=model.run_id,
        user=user,
    )
    ref = f"{model.project_name}/{view['artifact']}:v{view['version']}"
    LoggedModelStore(store.db).change(model.model_id, artifact_ref=ref)
    return ref


def _status(value: Any) -> str:
    if isinstance(value, int) and value in STATUSES:
        return STATUSES[value]
    if str(value) in STATUSES.values():
        return str(value)
    raise InvalidInput(f"status must be one of {', '.join(STATUSES.values())}, got {value!r}")


@endpoint(router, "POST", PREFIX)
def create_logged_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Create a logged model (pending until its files are uploaded)."""
    exp = ExperimentStore(store.db).by_id(fields.text("experiment_id", "0"))
    model = LoggedModelStore(store.db).create(
        f"m-{uuid.uuid4().hex}",
        exp.project_id,
        name=fields.text("name") or new_run_name(),
        run_id=fields.text("source_run_id"),
        model_type=fields.text("model_type"),
        tags=fields.key_values("tags"),
        params=fields.key_values("params"),
    )
    return {"model": model_json(model)}


@endpoint(router, "GET", f"{PREFIX}/{{model_id}}")
def get_logged_model(store: Store, fields: Fields) -> dict[str, Any]:
    """One logged model (``allow_deleted=true`` to see a deleted one)."""
    model = LoggedModelStore(store.db).get(
        fields.required("model_id"), fields.flag("allow_deleted")
    )
    return {"model": model_json(model)}


@endpoint(router, "PATCH", f"{PREFIX}/{{model_id}}")
def finalize_logged_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Set the model's status; READY also makes its files a Trailmark artifact version."""
    model = LoggedModelStore(store.db).change(
        fields.required("model_id"), status=_status(fields.get("status"))
    )
    if model.status == READY and model.files:
        artifact_ref(store, model, fields.user)
    return {"model": model_json(LoggedModelStore(store.db).get(model.model_id))}


@endpoint(router, "DELETE", f"{PREFIX}/{{model_id}}")
def delete_logged_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Mark a logged model deleted."""
    LoggedModelStore(store.db).change(fields.required("model_id"), deleted=True)
    return {}


@endpoint(router, "PATCH", f"{PREFIX}/{{model_id}}/tags")
def set_logged_model_tags(store: Store, fields: Fields) -> dict[str, Any]:
    """Set tags of a logged model."""
    LoggedModelStore(store.db).change(fields.required("model_id"), tags=fields.key_values("tags"))
    return {}


@endpoint(router, "DELETE", f"{PREFIX}/{{model_id}}/tags/{{tag_key}}")
def delete_logged_model_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete a tag of a logged model."""
    LoggedModelStore(store.db).change(
        fields.required("model_id"), delete_tag=fields.required("tag_key")
    )
    return {}


@endpoint(router, "POST", f"{PREFIX}/{{model_id}}/params")
def log_logged_model_params(store: Store, fields: Fields) -> dict[str, Any]:
    """Add params to a logged model."""
    LoggedModelStore(store.db).change(
        fields.required("model_id"), params=fields.key_values("params")
    )
    return {}


@endpoint(router, "GET", f"{PREFIX}/{{model_id}}/artifacts/directories")
def list_logged_model_artifacts(store: Store, fields: Fields) -> dict[str, Any]:
    """The files and folders directly under a folder of a logged model."""
    model = LoggedModelStore(store.db).get(fields.required("model_id"))
    base = (fields.text("artifact_directory_path") or "").strip("/")
    return {"files": listing(model.entries(base), base)}


def _lookup(model: LoggedModel) -> Any:
    def lookup(kind: str, key: str) -> str | int | None:
        if kind == "tag":
            return model.tags.get(key)
        if kind == "parameter":
            return model.params.get(key)
        if kind == "metric":
            return None
        return {
            "name": model.name,
            "model_id": model.model_id,
            "model_type": model.model_type,
            "status": model.status,
            "source_run_id": model.run_id,
            "creation_time": millis(model.created_at),
            "creation_timestamp": millis(model.created_at),
            "last_updated_timestamp": millis(model.updated_at),
        }.get(key)

    return lookup


@endpoint(router, "POST", f"{PREFIX}/search")
def search_logged_models(store: Store, fields: Fields) -> dict[str, Any]:
    """Logged models of some experiments matching a filter (name, status, tags, params)."""
    limit = max_results(fields, 100, 50_000)
    offset = page_offset(fields.text("page_token"))
    items = check_simple_filter(
        parse_filter(fields.text("filter")), _ATTRIBUTES, ("tag", "parameter", "metric")
    )
    experiments = ExperimentStore(store.db)
    project_ids = []
    for experiment_id in fields.items("experiment_ids"):
        pid = parse_experiment_id(experiment_id)
        project_ids.append(experiments.ensure_default().project_id if pid is None else pid)
    found = [
        m for m in LoggedModelStore(store.db).in_projects(project_ids) if matches(items, _lookup(m))
    ]
    for order in reversed([o for o in fields.items("order_by") if isinstance(o, dict)]):
        key = str(order.get("field_name", "creation_timestamp")).removeprefix("attributes.")
        present = [m for m in found if _lookup(m)("attribute", key) is not None]
        present.sort(
            key=lambda m: _lookup(m)("attribute", key), reverse=not order.get("ascending", True)
        )
        found = present + [m for m in found if _lookup(m)("attribute", key) is None]
    out: dict[str, Any] = {"models": [model_json(m) for m in found[offset : offset + limit]]}
    if offset + limit < len(found):
        out["next_page_token"] = page_token(offset + limit)
    return out

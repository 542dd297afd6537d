"""MLflow 3 logged models (``/api/2.0/mlflow/logged-models...``).

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
from trailmark.mlflow_api.artifacts import listing
from trailmark.mlflow_api.entities import millis, tag_list
from trailmark.mlflow_api.fields import Fields, metric_point, page_answer, page_request
from trailmark.names import new_run_name
from trailmark.records import float_to_json
from trailmark.store.mlflow.models import DatasetFilter, LoggedModel, ModelMetric
from trailmark.store.mlflow.runs import experiment_id_of
from trailmark.store.store import Store

READY = "LOGGED_MODEL_READY"
STATUSES = {1: "LOGGED_MODEL_PENDING", 2: READY, 3: "LOGGED_MODEL_UPLOAD_FAILED"}
_NOT_ARTIFACT_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")


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
    metrics = [metric_json(m) for m in model.metrics]
    return {"info": info, "data": {"params": tag_list(model.params), "metrics": metrics}}


def metric_json(metric: ModelMetric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": metric.key,
        "value": float_to_json(metric.value if metric.value is not None else float("nan")),
        "timestamp": metric.timestamp_ms,
        "step": metric.step,
        "run_id": metric.run_id,
        "model_id": metric.model_id,
    }
    if metric.dataset_name is not None:
        out["dataset_name"] = metric.dataset_name
    if metric.dataset_digest is not None:
        out["dataset_digest"] = metric.dataset_digest
    return out


def _optional_text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"Invalid value {value!r} for parameter '{name}' supplied")
    return value


def log_model_metrics(store: Store, run_id: str, items: list[Any]) -> None:
    """Keep the metrics of a run's request that name a ``model_id`` for that logged model
    too (MLflow 3's ``log_metric(..., model_id=...)``), with their dataset."""
    points = []
    for item in items:
        if not isinstance(item, dict) or not item.get("model_id"):
            continue
        point = metric_point(item)
        points.append(
            ModelMetric(
                model_id=str(item["model_id"]),
                key=point.key,
                value=point.value,
                timestamp_ms=int(item["timestamp"]),
                step=point.step,
                run_id=run_id,
                dataset_name=_optional_text(item, "dataset_name"),
                dataset_digest=_optional_text(item, "dataset_digest"),
            )
        )
    store.mlflow.logged_models.log_metrics(points)


def _datasets(fields: Fields) -> list[DatasetFilter]:
    out = []
    for item in fields.items("datasets"):
        name = item.get("dataset_name") if isinstance(item, dict) else None
        if not name or not isinstance(name, str):
            raise InvalidInput("`dataset_name` in the `datasets` clause must be specified.")
        out.append(DatasetFilter(name, _optional_text(item, "dataset_digest")))
    return out


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
    store.mlflow.logged_models.change(model.model_id, artifact_ref=ref)
    return ref


def _status(value: Any) -> str:
    if isinstance(value, int) and value in STATUSES:
        return STATUSES[value]
    if str(value) in STATUSES.values():
        return str(value)
    raise InvalidInput(f"status must be one of {', '.join(STATUSES.values())}, got {value!r}")


def create_logged_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Create a logged model (pending until its files are uploaded)."""
    exp = store.mlflow.experiments.by_id(fields.text("experiment_id", "0"))
    model = store.mlflow.logged_models.create(
        f"m-{uuid.uuid4().hex}",
        exp.project_id,
        name=fields.text("name") or new_run_name(),
        run_id=fields.text("source_run_id"),
        model_type=fields.text("model_type"),
        tags=fields.key_values("tags"),
        params=fields.key_values("params"),
    )
    return {"model": model_json(model)}


def get_logged_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """One logged model (``allow_deleted=true`` to see a deleted one)."""
    model = store.mlflow.logged_models.get(
        fields.required("model_id"), fields.flag("allow_deleted")
    )
    return {"model": model_json(model)}


def finalize_logged_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set the model's status; READY also makes its files a Trailmark artifact version."""
    model = store.mlflow.logged_models.change(
        fields.required("model_id"), status=_status(fields.get("status"))
    )
    if model.status == READY and model.files:
        artifact_ref(store, model, user)
    return {"model": model_json(store.mlflow.logged_models.get(model.model_id))}


def delete_logged_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Mark a logged model deleted."""
    store.mlflow.logged_models.change(fields.required("model_id"), deleted=True)
    return {}


def set_logged_model_tags(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set tags of a logged model."""
    store.mlflow.logged_models.change(fields.required("model_id"), tags=fields.key_values("tags"))
    return {}


def delete_logged_model_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete a tag of a logged model."""
    store.mlflow.logged_models.change(
        fields.required("model_id"), delete_tag=fields.required("tag_key")
    )
    return {}


def log_logged_model_params(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Add params to a logged model."""
    store.mlflow.logged_models.change(
        fields.required("model_id"), params=fields.key_values("params")
    )
    return {}


def list_logged_model_artifacts(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """The files and folders directly under a folder of a logged model."""
    model = store.mlflow.logged_models.get(fields.required("model_id"))
    base = (fields.text("artifact_directory_path") or "").strip("/")
    return {"files": listing(model.entries(base), base)}


def search_logged_models(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Logged models of some experiments matching a filter and, if given, datasets.

    The filter names attributes, tags and params; with ``datasets``, only the models with a
    metric on one of them are kept."""
    page_wanted = page_request(fields, 100, 50_000)
    datasets = _datasets(fields)
    project_ids = store.mlflow.project_ids(fields.items("experiment_ids"))
    page = store.mlflow.logged_models.search(
        project_ids,
        fields.text("filter"),
        [o for o in fields.items("order_by") if isinstance(o, dict)],
        page_wanted,
        datasets,
    )
    return page_answer("models", [model_json(m) for m in page.items], page.next_token)

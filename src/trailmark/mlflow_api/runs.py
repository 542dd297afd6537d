"""MLflow runs (``/api/2.0/mlflow/runs/...``) over Trailmark runs.

Runs created here get ``uuid4().hex`` ids (MLflow's shape, valid Trailmark ids); every write
is idempotent, so a client retrying after a timeout never duplicates anything.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.mlflow_api.entities import run_info_json, run_json, run_tags
from trailmark.mlflow_api.fields import (
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    Fields,
    check_entries,
    metric_point,
    missing_value,
    page_answer,
    page_request,
    run_status,
    unique_params,
    view_type,
)
from trailmark.mlflow_api.logged_models import log_model_metrics
from trailmark.names import new_run_name
from trailmark.store.mlflow.conventions import LOG_MODEL_HISTORY_TAG, RUN_NAME_TAG, USER_TAG
from trailmark.store.mlflow.metrics import MetricPoint
from trailmark.store.mlflow.runs import RunLog
from trailmark.store.store import Store
from trailmark.validation import check_name

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000


def run_id_of(fields: Fields) -> str:
    """The run a request names (``run_id``, or the older ``run_uuid``), typed as MLflow's
    schema types it: a number there is a 400 before any run is looked up."""
    run_id = fields.string("run_id") or fields.string("run_uuid")
    if run_id is None:
        raise InvalidInput(missing_value("run_id"))
    return run_id


def _tags(fields: Fields) -> dict[str, str]:
    return check_entries("tag", fields.key_values("tags"), MAX_TAG_VALUE_LENGTH)


def create_run(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Start a run in an experiment ("0", the Default project, if none is given)."""
    exp = store.mlflow.experiments.by_id(fields.text("experiment_id", "0"))
    if exp.deleted_at is not None:
        raise InvalidInput(
            f"The experiment {exp.experiment_id} must be in the 'active' state. "
            "Current state is deleted; restore it or use another experiment."
        )
    tags = _tags(fields)
    user = fields.text("user_id") or tags.get(USER_TAG, "")
    name = check_name(
        "run name", fields.text("run_name") or tags.pop(RUN_NAME_TAG, None) or new_run_name()
    )
    tags.pop(RUN_NAME_TAG, None)
    start = fields.integer("start_time")
    created = start / 1000.0 if start else time.time()
    # "run_id" is not part of MLflow's CreateRun: `trailmark import mlflow` sends it to keep
    # the source's run ids; MLflow clients never do.
    run_id = fields.text("run_id") or uuid.uuid4().hex
    run = store.mlflow.runs.create(
        exp.project_id, run_id, name=name, created_at=created, tags=tags, user_id=user
    )
    return {"run": run_json(run)}


def get_run(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """A run: info, latest metrics, params (config), tags (properties), inputs and outputs."""
    return {"run": run_json(store.mlflow.runs.get(run_id_of(fields)))}


def update_run(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set a run's status, end time or name."""
    status = fields.get("status")
    end_time = fields.integer("end_time")
    run = store.mlflow.runs.update(
        run_id_of(fields),
        state=run_status(status) if status not in (None, "") else None,
        ended_at=end_time / 1000.0 if end_time is not None else None,
        name=fields.text("run_name"),
    )
    return {"run_info": run_info_json(run)}


def delete_run(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Mark a run deleted: Trailmark's listings hide it until it is restored."""
    store.mlflow.runs.set_deleted(run_id_of(fields), True)
    return {}


def restore_run(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Restore a deleted run."""
    store.mlflow.runs.set_deleted(run_id_of(fields), False)
    return {}


def search_runs(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Runs of some experiments matching an MLflow filter, ordered and paged."""
    page = store.mlflow.search_runs(
        fields.items("experiment_ids"),
        fields.text("filter"),
        [str(text) for text in fields.items("order_by")],
        view_type(fields.get("run_view_type")),
        page_request(fields, 1000, 50_000),
    )
    return page_answer("runs", [run_json(run) for run in page.items], page.next_token)


def log_batch(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Metrics, params and tags in one transaction; a retried batch adds nothing twice."""
    run_id = run_id_of(fields)
    metrics = _batch_metrics(fields)
    params = unique_params(fields)
    tags = check_entries("tag", fields.key_values("tags"), MAX_TAG_VALUE_LENGTH, names="tags")
    if len(metrics) > MAX_METRICS_PER_BATCH:
        raise InvalidInput(
            f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics. "
            f"Got {len(metrics)} metrics; split them over several requests."
        )
    if len(params) > MAX_PARAMS_TAGS_PER_BATCH or len(tags) > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidInput(
            f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH} params "
            f"and {MAX_PARAMS_TAGS_PER_BATCH} tags; got {len(params)} and {len(tags)}."
        )
    if len(metrics) + len(params) + len(tags) > MAX_ENTITIES_PER_BATCH:
        raise InvalidInput(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} metrics, "
            "params and tags in total; split it over several requests."
        )
    store.mlflow.runs.log(run_id, RunLog(metrics=metrics, params=params, tags=tags))
    log_model_metrics(store, run_id_of(fields), fields.items("metrics"))
    return {}


def _batch_metrics(fields: Fields) -> list[MetricPoint]:
    """A batch's metrics; a key, value or timestamp left out is named as MLflow names it."""
    points = []
    for index, item in enumerate(fields.array("metrics")):
        if isinstance(item, dict):
            for part in ("key", "value", "timestamp"):
                if item.get(part) is None or item.get(part) == "":
                    raise InvalidInput(missing_value(f"metrics[{index}].{part}"))
        points.append(metric_point(item, f"metrics[{index}].name"))
    return points


def log_param(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Log one param (stored in config, parsed; and verbatim for MLflow)."""
    run_id = run_id_of(fields)
    entry = {fields.required_string("key"): fields.string("value") or ""}
    params = check_entries("param", entry, MAX_PARAM_VALUE_LENGTH, names="key")
    store.mlflow.runs.log(run_id, RunLog(params=params))
    return {}


def set_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set a tag: a property of the run (``mlflow.runName`` renames it)."""
    run_id = run_id_of(fields)
    entry = {fields.required_string("key"): fields.string("value") or ""}
    tags = check_entries("tag", entry, MAX_TAG_VALUE_LENGTH, names="key")
    store.mlflow.runs.log(run_id, RunLog(tags=tags))
    return {}


def delete_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete a tag; RESOURCE_DOES_NOT_EXIST if the run has no such tag."""
    store.mlflow.runs.log(run_id_of(fields), RunLog(delete_tag=fields.required("key")))
    return {}


def log_inputs(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Record datasets (and MLflow 3 models) a run used; each kept once."""
    run_id = run_id_of(fields)
    datasets = [d for d in fields.array("datasets") if isinstance(d, dict)]
    for dataset in datasets:
        if not isinstance(dataset.get("dataset"), dict):
            raise InvalidInput("each dataset input needs a 'dataset' object with name and digest")
    models = [m for m in fields.array("models") if isinstance(m, dict)]
    store.mlflow.runs.log(run_id, RunLog(datasets=datasets, model_inputs=models))
    return {}


def log_outputs(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Record the MLflow 3 logged models a run produced."""
    models = [m for m in fields.items("models") if isinstance(m, dict)]
    store.mlflow.runs.log(fields.required_string("run_id"), RunLog(model_outputs=models))
    return {}


def log_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Record an MLflow 2 model (its MLmodel as JSON) in the run's model history tag."""
    run_id = run_id_of(fields)
    try:
        model = json.loads(fields.required("model_json"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"model_json is not valid JSON: {exc}") from None
    runs = store.mlflow.runs
    history = json.loads(run_tags(runs.get(run_id).view).get(LOG_MODEL_HISTORY_TAG, "[]"))
    if model not in history:  # appended under the run's row lock: concurrent models all stay
        runs.log(run_id, RunLog(logged_models=[model]))
    return {}

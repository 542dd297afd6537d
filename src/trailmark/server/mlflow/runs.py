"""MLflow runs: ``/api/2.0/mlflow/runs/...`` over Trailmark runs.

Runs created here get ``uuid4().hex`` ids (MLflow's shape, valid Trailmark ids); every write
is idempotent, so a client retrying after a timeout never duplicates anything.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.sdk.names import new_run_name
from trailmark.server.mlflow.errors import endpoint, mlflow_router
from trailmark.server.mlflow.mapping import (
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    Fields,
    check_entries,
    max_results,
    metric_point,
    page_offset,
    page_token,
    run_info_json,
    run_json,
    run_status,
    run_tags,
    unique_params,
    view_type,
)
from trailmark.server.mlflow.search_filter import (
    RUN_ATTRIBUTES,
    check_order,
    check_run_filter,
    parse_filter,
    parse_order_by,
)
from trailmark.store.mlflow.conventions import RUN_NAME_TAG, USER_TAG
from trailmark.store.mlflow.experiments import ExperimentStore, parse_experiment_id
from trailmark.store.mlflow.runs import MlflowRunStore, RunLog
from trailmark.store.mlflow.search import run_filter_sql, run_order_sql
from trailmark.store.store import Store

PREFIX = "/api/2.0/mlflow/runs"
router = mlflow_router("mlflow runs")

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


def run_id_of(fields: Fields) -> str:
    return fields.text("run_id") or fields.required("run_uuid")


def _tags(fields: Fields) -> dict[str, str]:
    return check_entries("tag", fields.key_values("tags"), MAX_TAG_VALUE_LENGTH)


@endpoint(router, "POST", f"{PREFIX}/create")
def create_run(store: Store, fields: Fields) -> dict[str, Any]:
    """Start a run in an experiment ("0", the Default project, if none is given)."""
    exp = ExperimentStore(store.db).by_id(fields.text("experiment_id", "0"))
    if exp.deleted_at is not None:
        raise InvalidInput(
            f"The experiment {exp.experiment_id} must be in the 'active' state. "
            "Current state is deleted; restore it or use another experiment."
        )
    tags = _tags(fields)
    user = fields.text("user_id") or tags.get(USER_TAG, "")
    name = fields.text("run_name") or tags.pop(RUN_NAME_TAG, None) or new_run_name()
    tags.pop(RUN_NAME_TAG, None)
    start = fields.integer("start_time")
    created = start / 1000.0 if start else time.time()
    # "run_id" is not part of MLflow's CreateRun: `trailmark import mlflow` sends it to keep
    # the source's run ids; MLflow clients never do.
    run_id = fields.text("run_id") or uuid.uuid4().hex
    run = MlflowRunStore(store.db).create(
        exp.project_id, run_id, name=name, created_at=created, tags=tags, user_id=user
    )
    return {"run": run_json(run)}


@endpoint(router, "GET", f"{PREFIX}/get")
def get_run(store: Store, fields: Fields) -> dict[str, Any]:
    """A run: info, latest metrics, params (config), tags (properties), inputs and outputs."""
    return {"run": run_json(MlflowRunStore(store.db).get(run_id_of(fields)))}


@endpoint(router, "POST", f"{PREFIX}/update")
def update_run(store: Store, fields: Fields) -> dict[str, Any]:
    """Set a run's status, end time or name."""
    status = fields.get("status")
    end_time = fields.integer("end_time")
    run = MlflowRunStore(store.db).update(
        run_id_of(fields),
        state=run_status(status) if status not in (None, "") else None,
        ended_at=end_time / 1000.0 if end_time is not None else None,
        name=fields.text("run_name"),
    )
    return {"run_info": run_info_json(run)}


@endpoint(router, "POST", f"{PREFIX}/delete")
def delete_run(store: Store, fields: Fields) -> dict[str, Any]:
    """Mark a run deleted: Trailmark's listings hide it until it is restored."""
    MlflowRunStore(store.db).set_deleted(run_id_of(fields), True)
    return {}


@endpoint(router, "POST", f"{PREFIX}/restore")
def restore_run(store: Store, fields: Fields) -> dict[str, Any]:
    """Restore a deleted run."""
    MlflowRunStore(store.db).set_deleted(run_id_of(fields), False)
    return {}


@endpoint(router, "POST", f"{PREFIX}/search")
def search_runs(store: Store, fields: Fields) -> dict[str, Any]:
    """Runs of some experiments matching an MLflow filter, ordered and paged."""
    limit = max_results(fields, 1000, 50_000)
    offset = page_offset(fields.text("page_token"))
    experiments = ExperimentStore(store.db)
    project_ids: list[int] = []
    for experiment_id in fields.items("experiment_ids"):
        pid = parse_experiment_id(experiment_id)
        project_ids.append(experiments.ensure_default().project_id if pid is None else pid)
    dialect = store.db.dialect
    where = run_filter_sql(check_run_filter(parse_filter(fields.text("filter"))), dialect)
    orders = [
        check_order(parse_order_by(str(text)), RUN_ATTRIBUTES, ("metric", "parameter", "tag"))
        for text in fields.items("order_by")
    ]
    found = MlflowRunStore(store.db).search(
        project_ids,
        where,
        run_order_sql(orders, dialect),
        view_type(fields.get("run_view_type")),
        limit + 1,
        offset,
    )
    out: dict[str, Any] = {"runs": [run_json(run) for run in found[:limit]]}
    if len(found) > limit:
        out["next_page_token"] = page_token(offset + limit)
    return out


@endpoint(router, "POST", f"{PREFIX}/log-batch")
def log_batch(store: Store, fields: Fields) -> dict[str, Any]:
    """Metrics, params and tags in one transaction; a retried batch adds nothing twice."""
    metrics = [metric_point(item) for item in fields.items("metrics")]
    params = unique_params(fields)
    tags = _tags(fields)
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
    MlflowRunStore(store.db).log(
        run_id_of(fields), RunLog(metrics=metrics, params=params, tags=tags)
    )
    return {}


@endpoint(router, "POST", f"{PREFIX}/log-parameter")
def log_param(store: Store, fields: Fields) -> dict[str, Any]:
    """Log one param (stored in config, parsed; and verbatim for MLflow)."""
    params = check_entries(
        "param", {fields.required("key"): fields.text("value", "") or ""}, MAX_PARAM_VALUE_LENGTH
    )
    MlflowRunStore(store.db).log(run_id_of(fields), RunLog(params=params))
    return {}


@endpoint(router, "POST", f"{PREFIX}/set-tag")
def set_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Set a tag: a property of the run (``mlflow.runName`` renames it)."""
    tags = check_entries(
        "tag", {fields.required("key"): fields.text("value", "") or ""}, MAX_TAG_VALUE_LENGTH
    )
    MlflowRunStore(store.db).log(run_id_of(fields), RunLog(tags=tags))
    return {}


@endpoint(router, "POST", f"{PREFIX}/delete-tag")
def delete_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete a tag; RESOURCE_DOES_NOT_EXIST if the run has no such tag."""
    MlflowRunStore(store.db).log(run_id_of(fields), RunLog(delete_tag=fields.required("key")))
    return {}


@endpoint(router, "POST", f"{PREFIX}/log-inputs")
def log_inputs(store: Store, fields: Fields) -> dict[str, Any]:
    """Record datasets (and MLflow 3 models) a run used; each kept once."""
    datasets = [d for d in fields.items("datasets") if isinstance(d, dict)]
    for dataset in datasets:
        if not isinstance(dataset.get("dataset"), dict):
            raise InvalidInput("each dataset input needs a 'dataset' object with name and digest")
    models = [m for m in fields.items("models") if isinstance(m, dict)]
    MlflowRunStore(store.db).log(run_id_of(fields), RunLog(datasets=datasets, model_inputs=models))
    return {}


@endpoint(router, "POST", f"{PREFIX}/outputs")
def log_outputs(store: Store, fields: Fields) -> dict[str, Any]:
    """Record the MLflow 3 logged models a run produced."""
    models = [m for m in fields.items("models") if isinstance(m, dict)]
    MlflowRunStore(store.db).log(fields.required("run_id"), RunLog(model_outputs=models))
    return {}


@endpoint(router, "POST", f"{PREFIX}/log-model")
def log_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Record an MLflow 2 model (its MLmodel as JSON) in the run's model history tag."""
    run_id = run_id_of(fields)
    try:
        model = json.loads(fields.required("model_json"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"model_json is not valid JSON: {exc}") from None
    runs = MlflowRunStore(store.db)
    history = json.loads(run_tags(runs.get(run_id).view).get(LOG_MODEL_HISTORY_TAG, "[]"))
    if model not in history:
        history.append(model)
        runs.log(run_id, RunLog(tags={LOG_MODEL_HISTORY_TAG: json.dumps(history)}))
    return {}

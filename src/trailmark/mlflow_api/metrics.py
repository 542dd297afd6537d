"""MLflow metrics: log one point, read a metric's history, read or sample several runs'
histories."""

from __future__ import annotations

from typing import Any

from trailmark.errors import InvalidInput, NotFound
from trailmark.mlflow_api.fields import Fields, metric_point, missing_value
from trailmark.mlflow_api.logged_models import log_model_metrics
from trailmark.mlflow_api.runs import run_id_of
from trailmark.records import float_to_json
from trailmark.store.chunks import Points
from trailmark.store.mlflow.metrics import sample_steps
from trailmark.store.mlflow.paging import page_offset, page_token
from trailmark.store.mlflow.runs import RunLog
from trailmark.store.store import Store

MAX_RUNS_PER_BULK_REQUEST = 100
MAX_RESULTS_PER_RUN = 2500
MAX_BULK_HISTORY_RESULTS = 25_000


def points_json(key: str, points: Points, run_id: str | None = None) -> list[dict[str, Any]]:
    out = []
    for step, when, value in zip(
        points.steps.tolist(), points.times.tolist(), points.values.tolist(), strict=True
    ):
        item: dict[str, Any] = {
            "key": key,
            "value": float_to_json(value),
            "timestamp": round(when * 1000),
            "step": step,
        }
        if run_id is not None:
            item["run_id"] = run_id
        out.append(item)
    return out


def log_metric(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Log one metric point (timestamp in ms); the same point sent twice is kept once."""
    run_id = run_id_of(fields)
    fields.required_string("key")
    fields.intlike("timestamp", required=True)
    fields.intlike("step")
    point = metric_point(fields.data)
    store.mlflow.runs.log(run_id, RunLog(metrics=[point]))
    log_model_metrics(store, run_id, [fields.data])
    return {}


def get_metric_history(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Every point of one metric of a run, by step, paged by ``max_results``."""
    key = fields.required("metric_key")
    points = store.mlflow.runs.history(run_id_of(fields), key)
    limit = fields.integer("max_results")
    if limit is not None and limit < 1:
        raise InvalidInput(f"max_results must be a positive integer, got {limit}")
    offset = page_offset(fields.text("page_token"))
    end = len(points) if limit is None else min(len(points), offset + limit)
    out: dict[str, Any] = {"metrics": points_json(key, points.take(slice(offset, end)))}
    if end < len(points):
        out["next_page_token"] = page_token(end)
    return out


def get_metric_history_bulk(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Every point of one metric of up to 100 runs (``?run_id=A&run_id=B&metric_key=loss``),
    at most ``max_results`` (25,000) points in all, as MLflow's UI route answers it.

    Runs in id order, each run's points by time, step and value; a run id this server does
    not know has no points (MLflow's store answers the same)."""
    run_ids = [str(r) for r in fields.items("run_id")]
    if not run_ids:
        raise InvalidInput("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        raise InvalidInput(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUNS_PER_BULK_REQUEST}"
            f" run_ids. Received {len(run_ids)} run_ids."
        )
    key = fields.text("metric_key")
    if key is None:
        raise InvalidInput("GetMetricHistoryBulk request must specify a metric_key.")
    most = fields.integer("max_results", MAX_BULK_HISTORY_RESULTS)
    limit = min(MAX_BULK_HISTORY_RESULTS, MAX_BULK_HISTORY_RESULTS if most is None else most)
    metrics: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        if len(metrics) >= limit:
            break
        try:
            points = store.mlflow.runs.history(run_id, key)
        except NotFound:
            continue
        ordered = sorted(
            points_json(key, points, run_id),
            key=lambda m: (m["timestamp"], m["step"], _number(m["value"])),
        )
        metrics.extend(ordered)
    return {"metrics": metrics[: max(limit, 0)]}


def _number(value: Any) -> float:
    """A point's value as a number to order by (NaN and infinities travel as text)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def get_metric_history_bulk_interval(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """One metric of up to 100 runs in a step range, sampled to ``max_results`` points per run.

    The points kept are spread evenly over the steps, the first and last included."""
    run_ids = [str(r) for r in fields.items("run_ids")]
    if not run_ids:
        raise InvalidInput(missing_value("run_ids"))
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        raise InvalidInput(
            "GetMetricHistoryBulkInterval request must specify at most "
            f"{MAX_RUNS_PER_BULK_REQUEST} run_ids. Received {len(run_ids)} run_ids."
        )
    key = fields.required("metric_key")
    limit = fields.integer("max_results")
    limit = MAX_RESULTS_PER_RUN if limit is None else limit  # 0 is refused, not the default
    if not 1 <= limit <= MAX_RESULTS_PER_RUN:
        raise InvalidInput(f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.")
    start, end = fields.integer("start_step"), fields.integer("end_step")
    if (start is None) != (end is None):
        raise InvalidInput(
            "If either start step or end step are specified, both must be specified."
        )
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            f"end_step must be greater than start_step. Found start_step={start} and end_step={end}."
        )
    runs = store.mlflow.runs
    metrics: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        points = runs.history(run_id, key).in_range(start, end)
        metrics.extend(points_json(key, sample_steps(points, limit), run_id))
    return {"metrics": metrics}

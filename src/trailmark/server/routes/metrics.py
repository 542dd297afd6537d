"""Metric series of a run: keys with statistics, full or ranged points, min/max buckets, history."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query

from trailmark.records import float_to_json, rank_key, rows_to_json
from trailmark.server.deps import get_store
from trailmark.server.responses import JSON
from trailmark.store.chunks import Points
from trailmark.store.store import Store
from trailmark.views.metrics import History, MetricList, Series

router = APIRouter(prefix="/api/v1/projects/{project}/runs/{run_id}", tags=["metrics"])

STEP_BOUND = 2**62
RANK_HELP = (
    "A rank of a distributed run: its series (stored as `key@rank<r>`) under plain names; "
    "0 is the run's own."
)


def values_json(values: np.ndarray[Any, np.dtype[np.float64]]) -> list[Any]:
    """Float values for JSON: non-finite ones as "NaN"/"Infinity"/"-Infinity"."""
    out: list[Any] = values.tolist()
    bad = np.flatnonzero(~np.isfinite(values))
    for i in bad.tolist():
        out[i] = float_to_json(out[i])
    return out


def points_json(key: str, points: Points, bucketed: bool) -> dict[str, Any]:
    return {
        "key": key,
        "count": len(points),
        "bucketed": bucketed,
        "steps": points.steps.tolist(),
        "times": points.times.tolist(),
        "values": values_json(points.values),
    }


@router.get("/metrics", response_model=MetricList)
def metric_keys(project: str, run_id: str, store: Store = Depends(get_store)) -> JSON:
    """Every metric key of the run with count, min, max, last value and step."""
    store.runs.get_run(project, run_id)
    return JSON({"metrics": store.metrics.keys(run_id)})


@router.get("/series", response_model=Series)
def series(
    project: str,
    run_id: str,
    key: str = Query(min_length=1, max_length=256),
    min_step: int | None = Query(default=None, ge=-STEP_BOUND, le=STEP_BOUND),
    max_step: int | None = Query(default=None, ge=-STEP_BOUND, le=STEP_BOUND),
    buckets: int | None = Query(
        default=None, ge=1, le=100_000, description="Pixel budget: min/max buckets."
    ),
    rank: int | None = Query(default=None, ge=0, description=RANK_HELP),
    store: Store = Depends(get_store),
) -> JSON:
    """Points of one metric in a step range; with ``buckets``, min/max-preserving buckets
    (full resolution whenever the range holds at most 2 × buckets points). System metrics
    (``system/...``) are on their own axis: milliseconds since the run was created."""
    store.runs.get_run(project, run_id)
    stored = rank_key(key, rank)
    if buckets is None:
        points = store.metrics.points(run_id, stored, min_step, max_step)
        return JSON(points_json(key, points, False))
    points, bucketed = store.metrics.chart(run_id, stored, buckets, min_step, max_step)
    return JSON(points_json(key, points, bucketed))


@router.get("/history", response_model=History)
def history(
    project: str,
    run_id: str,
    keys: list[str] | None = Query(default=None),
    min_step: int | None = Query(default=None, ge=-STEP_BOUND, le=STEP_BOUND),
    max_step: int | None = Query(default=None, ge=-STEP_BOUND, le=STEP_BOUND),
    rank: int | None = Query(default=None, ge=0, description=RANK_HELP),
    store: Store = Depends(get_store),
) -> JSON:
    """Rows by step, ``{"_step", "_timestamp", key: value}``, for the keys asked (all by default).

    By default every series of the run itself, or of ``rank``; system metrics only when named."""
    rows = store.metrics.history(run_id, keys, min_step, max_step, rank=rank, project=project)
    return JSON({"rows": rows_to_json(rows)})

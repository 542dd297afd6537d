"""Project-level reads for the dashboard: many series in one request, metric keys, columns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from trailmark.server.deps import get_store
from trailmark.server.models import RunList, SeriesQuery
from trailmark.server.responses import JSON
from trailmark.server.routes.metrics import points_json
from trailmark.store.store import Store
from trailmark.views.metrics import KeyCounts, SeriesList
from trailmark.views.runs import Columns

router = APIRouter(prefix="/api/v1/projects/{project}", tags=["charts"])


@router.post("/series", response_model=SeriesList)
def many_series(project: str, body: SeriesQuery, store: Store = Depends(get_store)) -> JSON:
    """Series of several runs × keys in one request; a run lacking a key is simply absent.

    With ``buckets`` (the chart's pixel width) a range holding more than 2 × buckets points
    comes back as min/max-preserving buckets; zoom in by asking for a narrower step range."""
    run_ids = store.runs.run_ids_in(project, body.runs)
    found = store.metrics.many(run_ids, body.keys, body.buckets, body.min_step, body.max_step)
    return JSON(
        {
            "series": [
                {"run": run_id, **points_json(key, points, bucketed)}
                for run_id, key, points, bucketed in found
            ]
        }
    )


@router.post("/metric-keys", response_model=KeyCounts)
def metric_keys(project: str, body: RunList, store: Store = Depends(get_store)) -> JSON:
    """The union of metric keys of the given runs, with how many of them log each key."""
    run_ids = store.runs.run_ids_in(project, body.runs)
    return JSON({"keys": store.metrics.keys_of_runs(run_ids)})


@router.get("/columns", response_model=Columns)
def columns(project: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """Config paths (nested keys joined by "."), summary keys and property keys in the project."""
    return store.runs.columns(project)

"""/api/v1/projects/{project}/runs"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from trailmark.limits import MAX_FILTER_LENGTH, MAX_PAGE_SIZE
from trailmark.server.deps import get_store
from trailmark.server.models import RunCreate, RunSearch, RunUpdate
from trailmark.server.paging import page
from trailmark.server.responses import JSON
from trailmark.store.store import Store
from trailmark.views.runs import Run, RunsPage

router = APIRouter(prefix="/api/v1/projects/{project}/runs", tags=["runs"])


def _page(store: Store, project: str, search: RunSearch) -> JSON:
    runs, total = store.runs.search_runs(
        project, search.filter, search.order, search.limit, search.offset
    )
    # Pre-serialised: FastAPI would validate and re-encode every run of a long page.
    return JSON(page("runs", runs, total, search.offset))


@router.get("", response_model=RunsPage)
def list_runs(
    project: str,
    filter: str | None = Query(default=None, max_length=MAX_FILTER_LENGTH),
    order: str | None = Query(default=None, max_length=MAX_FILTER_LENGTH),
    limit: int = Query(default=100, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """Runs matching ``filter`` (see docs/filters.md), sorted by ``order`` (e.g. ``-created``)."""
    return _page(store, project, RunSearch(filter=filter, order=order, limit=limit, offset=offset))


@router.post("/search", response_model=RunsPage)
def search_runs(project: str, body: RunSearch, store: Store = Depends(get_store)) -> JSON:
    """The same as GET with the query in the body, for long filters."""
    return _page(store, project, body)


@router.post("", status_code=201, response_model=Run)
def create_run(project: str, body: RunCreate, store: Store = Depends(get_store)) -> dict[str, Any]:
    """Create a run (SDK runs are created by their first ingest batch instead)."""
    return store.runs.create_run(project, body.model_dump(exclude_none=True))


@router.get("/{run_id}", response_model=Run)
def get_run(project: str, run_id: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """One run: state, config, summary, tags, notes, times and metadata."""
    return store.runs.get_run(project, run_id)


@router.patch("/{run_id}", response_model=Run)
def update_run(
    project: str, run_id: str, body: RunUpdate, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Change name, state, tags, notes, config, summary, properties, group or job type."""
    return store.runs.update_run(project, run_id, body.model_dump(exclude_none=True))


@router.delete("/{run_id}", status_code=204)
def delete_run(project: str, run_id: str, store: Store = Depends(get_store)) -> Response:
    """Delete a run with its metrics."""
    store.runs.delete_run(project, run_id)
    return Response(status_code=204)

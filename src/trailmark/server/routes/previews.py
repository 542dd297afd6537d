"""Table previews of CSV, TSV and Parquet files in artifact versions, model versions and runs.

The dashboard shows the first rows of a table file without downloading it whole; the answer
is ``{"format", "columns", "types", "rows", "total_rows", "truncated"}`` (see
:mod:`trailmark.store.previews`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from trailmark.server.deps import get_store
from trailmark.store.previews import MAX_ROWS, table_preview
from trailmark.store.store import Store
from trailmark.views.previews import TablePreview

router = APIRouter(prefix="/api/v1", tags=["previews"])

ROWS = Query(default=100, ge=1, le=MAX_ROWS, description="how many rows to answer")


@router.get(
    "/projects/{project}/artifacts/{name}/versions/{ref}/table/{path:path}",
    response_model=TablePreview,
)
def artifact_table(
    project: str,
    name: str,
    ref: str,
    path: str,
    rows: int = ROWS,
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """The first rows of a CSV, TSV or Parquet file of the version, with its column names."""
    return table_preview(store.blobs, store.artifacts.file(project, name, ref, path), rows)


@router.get("/models/{name}/versions/{ref}/table/{path:path}", response_model=TablePreview)
def model_table(
    name: str, ref: str, path: str, rows: int = ROWS, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """The first rows of a CSV, TSV or Parquet file of the model version."""
    return table_preview(store.blobs, store.registry.file(name, ref, path), rows)


@router.get("/projects/{project}/runs/{run_id}/table/{path:path}", response_model=TablePreview)
def run_table(
    project: str, run_id: str, path: str, rows: int = ROWS, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """The first rows of a CSV, TSV or Parquet file the run saved."""
    return table_preview(store.blobs, store.run_files.get(project, run_id, path), rows)

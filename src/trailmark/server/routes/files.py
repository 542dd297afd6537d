"""/api/v1/projects/{project}/runs/{run_id}/files: plain files a run saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from trailmark.server.artifact_models import RunFiles
from trailmark.server.deps import get_store
from trailmark.server.downloads import file_response
from trailmark.server.paging import page
from trailmark.server.responses import FILE_DOWNLOAD, JSON
from trailmark.store.store import Store
from trailmark.views.files import RunFileList, RunFilesPage

router = APIRouter(prefix="/api/v1/projects/{project}/runs/{run_id}/files", tags=["files"])


@router.get("", response_model=RunFilesPage)
def list_files(
    project: str,
    run_id: str,
    prefix: str | None = None,
    limit: int = Query(default=1000, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """The run's files (path, size, digest, times), sorted by path."""
    files, total = store.run_files.list_files(project, run_id, prefix, limit, offset)
    return JSON(page("files", files, total, offset))


@router.post("", response_model=RunFileList)
def add_files(
    project: str, run_id: str, body: RunFiles, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Attach uploaded contents to the run as files; a path saved again is replaced."""
    files = store.run_files.add(project, run_id, [f.model_dump() for f in body.files])
    return {"files": files}


@router.get("/{path:path}", response_class=Response, responses=FILE_DOWNLOAD)
def download_file(
    project: str, run_id: str, path: str, store: Store = Depends(get_store)
) -> Response:
    """The content of one file, verified against its digest as it is sent."""
    entry = store.run_files.get(project, run_id, path)
    return file_response(store.blobs, entry, f"run {run_id} file {entry.path}")


@router.delete("/{path:path}", status_code=204)
def delete_file(
    project: str, run_id: str, path: str, store: Store = Depends(get_store)
) -> Response:
    """Remove a file from the run (its content is freed by `trailmark gc` if unused)."""
    store.run_files.delete(project, run_id, path)
    return Response(status_code=204)

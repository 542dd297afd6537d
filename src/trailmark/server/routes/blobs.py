"""/api/v1/projects/{project}/blobs and /uploads: content uploads, deduplicated and resumable.

A client hashes its files, asks which digests are missing, and uploads only those: small
ones whole (``PUT .../blobs/{digest}``), large ones in a resumable session::

    POST   .../uploads                    {"digest", "size"}  → {"id", "offset": 0}
    PUT    .../uploads/{id}?offset=N      one chunk (5-32 MiB, the last may be smaller)
    GET    .../uploads/{id}               → {"offset"}: where to resume after an interruption
    POST   .../uploads/{id}/complete      the server hashes the whole file; a mismatch discards it

Blobs are addressed by digest alone; no client-supplied path reaches the filesystem.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from trailmark.blobs.protocol import MAX_PART_SIZE, MAX_SINGLE_PUT
from trailmark.manifest import check_digest
from trailmark.server.artifact_models import CHUNK_BODY_DOC, DigestList, UploadCreate
from trailmark.server.bodies import declared_length, spool_body, stream_into
from trailmark.server.deps import get_store
from trailmark.store.store import Store
from trailmark.views.uploads import MissingBlobs, StoredBlob, UploadSession

router = APIRouter(prefix="/api/v1/projects/{project}", tags=["uploads"])


@router.post("/blobs/missing", response_model=MissingBlobs)
def missing_blobs(
    project: str, body: DigestList, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Which of these sha256 digests the server does not hold yet (upload only those)."""
    return {"missing": store.uploads.missing(body.digests)}


@router.put(
    "/blobs/{digest}", status_code=201, response_model=StoredBlob, openapi_extra=CHUNK_BODY_DOC
)
async def put_blob(project: str, digest: str, request: Request) -> dict[str, Any]:
    """Upload a whole file of at most 32 MiB; refused unless it hashes to ``digest``."""
    store: Store = request.app.state.store
    check_digest(digest)
    body = await spool_body(request, MAX_SINGLE_PUT)
    try:
        return await run_in_threadpool(store.uploads.put, digest, body)
    finally:
        body.close()


@router.post(
    "/uploads", status_code=201, response_model=UploadSession, response_model_exclude_unset=True
)
def create_upload(
    project: str, body: UploadCreate, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Start a resumable upload of a file (answers ``complete: true`` if it is already stored)."""
    return store.uploads.begin(project, body.digest, body.size)


@router.get("/uploads/{upload_id}", response_model=UploadSession, response_model_exclude_unset=True)
def get_upload(project: str, upload_id: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """An upload in progress: ``offset`` says where the next chunk starts."""
    return store.uploads.get(project, upload_id)


@router.put(
    "/uploads/{upload_id}",
    response_model=UploadSession,
    response_model_exclude_unset=True,
    openapi_extra=CHUNK_BODY_DOC,
)
async def put_chunk(
    project: str,
    upload_id: str,
    request: Request,
    offset: int = Query(ge=0, description="where this chunk starts: the upload's current offset"),
) -> dict[str, Any]:
    """Send the chunk at ``offset`` (5 to 32 MiB; only the last may be smaller)."""
    store: Store = request.app.state.store
    length = declared_length(request, MAX_PART_SIZE)
    sink, ticket = await run_in_threadpool(
        store.uploads.open_part, project, upload_id, offset, length
    )
    try:
        await stream_into(request, sink, length)
        etag = await run_in_threadpool(sink.commit)
    except BaseException:
        await run_in_threadpool(sink.abort)
        raise
    return await run_in_threadpool(store.uploads.finish_part, ticket, etag)


@router.post(
    "/uploads/{upload_id}/complete",
    response_model=UploadSession,
    response_model_exclude_unset=True,
)
def complete_upload(
    project: str, upload_id: str, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Finish an upload: the server hashes the whole file and keeps it only if it matches."""
    return store.uploads.complete(project, upload_id)


@router.delete("/uploads/{upload_id}", status_code=204)
def abort_upload(project: str, upload_id: str, store: Store = Depends(get_store)) -> Response:
    """Abandon an upload and free what it received."""
    store.uploads.abort(project, upload_id)
    return Response(status_code=204)

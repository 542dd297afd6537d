"""MLflow's proxied artifacts: the streamed routes (upload, download, delete) and the probes.

What a path names and how files are listed and saved is in
:mod:`trailmark.mlflow_api.artifacts`; the JSON listings are rows of the endpoints table.
Uploads are hashed while they stream in and spooled to a temporary file past 4 MiB.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from trailmark.blobs.protocol import verified_chunks
from trailmark.errors import InvalidInput
from trailmark.mlflow_api.artifacts import (
    ROOT,
    Target,
    delete_files,
    one_entry,
    parse_target,
    save_file,
)
from trailmark.server.downloads import stored_bytes
from trailmark.server.mlflow.errors import MlflowError
from trailmark.server.responses import JSON
from trailmark.store.store import Store
from trailmark.views import mlflow as views

MULTIPART_UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
UI_UPLOAD_LIMIT = 10 * 1024 * 1024
"""The most ``/ajax-api/2.0/mlflow/upload-artifact`` takes, as MLflow's server (10 MB)."""


async def upload_artifact(request: Request, path: str) -> Response:
    """Upload a file of a run, a logged model, or any safe relative path (a loose file).

    Stored once per content, verified by sha256 while it streams in."""
    target = parse_target(path)
    data_dir: Path = request.app.state.settings.data_dir / "tmp"
    data_dir.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, dir=str(data_dir)) as spool:
        async for chunk in request.stream():
            hasher.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.seek(0)
        await run_in_threadpool(
            save_file, request.app.state.store, target, spool, hasher.hexdigest(), size
        )
    return JSON({})


def _refuse(message: str) -> MlflowError:
    return MlflowError("INVALID_PARAMETER_VALUE", message, 400)


async def upload_run_artifact(request: Request) -> Response:
    """Upload one small file of a run, the body as is (``?run_id=...&path=dir/f.txt``): the
    route MLflow's UI uses, with its checks and its 10 MB limit.

    The path is checked as every artifact path is (no ``..``, no absolute path) and the file
    goes with the run's other files, whatever the run's ``artifact_uri`` says."""
    refuse_repeats(request)
    query = request.query_params
    run_id = query.get("run_id") or query.get("run_uuid")
    if not run_id:
        raise _refuse("Request must specify run_id or run_uuid.")
    path = query.get("path")
    if not path:
        raise _refuse("Request must specify path.")
    try:
        target = Target("run", run_id, "", "").under(path)
    except InvalidInput as exc:
        raise _refuse(f"Invalid path: {path} ({exc})") from None
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > UI_UPLOAD_LIMIT:
        raise _refuse("Artifact size is too large. Max size is 10MB.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > UI_UPLOAD_LIMIT:
            raise _refuse("Artifact size is too large. Max size is 10MB.")
    if not data:
        raise _refuse("Request must specify data.")
    digest = hashlib.sha256(data).hexdigest()
    await run_in_threadpool(
        save_file, request.app.state.store, target, io.BytesIO(data), digest, len(data)
    )
    return Response(media_type="application/json")


async def download_artifact(request: Request, path: str) -> Response:
    """Download a file of a run, a logged model or a registered model version."""
    return await _send(request.app.state.store, parse_target(path))


def refuse_repeats(request: Request) -> None:
    """Refuse a query string that names a parameter twice (``?run_uuid=A&run_uuid=B``): the
    request guard checks one value and Starlette's ``get`` answers another, so a caller could
    pass the check with their own run and read someone else's."""
    params = request.query_params
    for name in params:
        if len(params.getlist(name)) > 1:
            raise MlflowError(
                "INVALID_PARAMETER_VALUE", f"Parameter '{name[:100]}' is given more than once.", 400
            )


def _query(request: Request, *names: str) -> str:
    refuse_repeats(request)
    for name in names:
        value = request.query_params.get(name)
        if value:
            return value
    raise MlflowError(
        "INVALID_PARAMETER_VALUE", f"Missing value for required parameter '{names[0]}'.", 400
    )


async def get_run_artifact(request: Request) -> Response:
    """Download a file of a run (``?run_id=...&path=...``), as MLflow's UI and clients do."""
    run_id = _query(request, "run_id", "run_uuid")
    target = Target("run", run_id, "", "").under(_query(request, "path"))
    return await _send(request.app.state.store, target)


async def get_model_version_artifact(request: Request) -> Response:
    """Download a file of a registered model version (``?name=...&version=...&path=...``)."""
    name, version = _query(request, "name"), _query(request, "version")
    target = Target("registry", name, version, "").under(_query(request, "path"))
    return await _send(request.app.state.store, target)


async def get_logged_model_artifact(request: Request, model_id: str) -> Response:
    """Download a file of a logged model (``?artifact_file_path=MLmodel``), MLflow's UI route."""
    refuse_repeats(request)
    path = request.query_params.get("artifact_file_path")
    if not path:
        raise MlflowError(
            "BAD_REQUEST", 'Request must include the "artifact_file_path" query parameter.', 400
        )
    if request.query_params.get("presigned") == "true":
        raise MlflowError(
            "NOT_IMPLEMENTED", "Trailmark serves artifacts itself; no presigned URLs", 501
        )
    target = Target("model", model_id, "", "").under(path)
    return await _send(request.app.state.store, target)


async def _send(store: Store, target: Target) -> Response:
    entry = await run_in_threadpool(one_entry, store, target)
    digest = str(entry.digest)
    chunks = verified_chunks(store.blobs.read(digest), digest, f"artifact {entry.path!r}")
    # Inert (trailmark.server.downloads): images and text inline for MLflow's UI, the rest
    # (HTML, SVG, XML, scripts, unknown) an attachment.
    length = {"Content-Length": str(entry.size)}
    return stored_bytes(chunks, entry.path, inline=True, headers=length)


async def delete_artifact(request: Request, path: str) -> Response:
    """Delete a run's or a loose file, or every file under a folder of it."""
    await run_in_threadpool(delete_files, request.app.state.store, parse_target(path))
    return JSON({})


async def multipart_upload(action: str, path: str) -> Response:
    raise MlflowError(
        "NOT_IMPLEMENTED", f"{MULTIPART_UNSUPPORTED}: Trailmark takes whole files", 501
    )


async def presigned_download(path: str) -> Response:
    raise MlflowError(
        "NOT_IMPLEMENTED", "Trailmark serves artifacts itself; no presigned URLs", 501
    )


async def server_info() -> Response:
    """Capabilities MLflow clients probe: artifacts are proxied, whole files only."""
    return JSON(
        {
            "store_type": None,
            "workspaces_enabled": False,
            "trace_archival_enabled": False,
            "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False,
            "presigned_upload_run_id_supported": False,
            "presigned_upload_model_id_supported": False,
            "features_enabled": {"gateway": False},
        }
    )


def add_routes(router: APIRouter) -> None:
    """Mount the streamed routes and the probes on the artifacts group's router."""
    file_path = f"{ROOT}/{{path:path}}"
    router.add_api_route(
        file_path,
        upload_artifact,
        methods=["PUT"],
        summary="Upload a file of a run, a logged model, or under any safe relative path.",
        response_model=views.MlflowEmpty,
    )
    router.add_api_route(
        file_path,
        download_artifact,
        methods=["GET"],
        summary="Download a file.",
        response_class=StreamingResponse,
        responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
    )
    router.add_api_route(
        file_path,
        delete_artifact,
        methods=["DELETE"],
        summary="Delete a run's or a loose file or folder.",
        response_model=views.MlflowEmpty,
    )
    file_answer: dict[int | str, dict[str, Any]] = {
        200: {"content": {"application/octet-stream": {}}, "description": "The file."}
    }
    router.add_api_route(
        "/get-artifact",
        get_run_artifact,
        methods=["GET"],
        summary="Download a file of a run (MLflow's UI route).",
        response_class=StreamingResponse,
        responses=file_answer,
    )
    router.add_api_route(
        "/model-versions/get-artifact",
        get_model_version_artifact,
        methods=["GET"],
        summary="Download a file of a registered model version (MLflow's UI route).",
        response_class=StreamingResponse,
        responses=file_answer,
    )
    router.add_api_route(
        "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
        get_logged_model_artifact,
        methods=["GET"],
        include_in_schema=False,  # MLflow's UI route, under /ajax-api only
    )
    router.add_api_route(
        "/ajax-api/2.0/mlflow/upload-artifact",
        upload_run_artifact,
        methods=["POST"],
        include_in_schema=False,  # MLflow's UI route, as the other /ajax-api twins
    )
    router.add_api_route(
        "/api/2.0/mlflow-artifacts/mpu/{action}/{path:path}",
        multipart_upload,
        methods=["POST"],
        include_in_schema=False,
    )
    router.add_api_route(
        "/api/2.0/mlflow-artifacts/presigned/{path:path}",
        presigned_download,
        methods=["GET"],
        include_in_schema=False,
    )
    router.add_api_route(
        "/api/3.0/mlflow/server-info",
        server_info,
        methods=["GET"],
        summary="What this server supports.",
        response_model=views.MlflowServerInfo,
    )

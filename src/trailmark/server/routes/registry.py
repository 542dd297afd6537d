"""/api/v1/models: registered models (global names), versions, aliases, stages and history.

Every change is recorded as an event (who, what, when) and announced to webhooks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from trailmark.errors import NotFound
from trailmark.server.access.creators import make_creator_admin
from trailmark.server.access.readable import may_read, readable_models, readable_projects
from trailmark.server.artifact_models import (
    AliasSet,
    ModelCreate,
    ModelUpdate,
    ModelVersionCreate,
    ModelVersionUpdate,
    StageSet,
)
from trailmark.server.deps import get_store
from trailmark.server.downloads import file_response
from trailmark.server.identity import Identity, current_identity, current_user
from trailmark.server.paging import page
from trailmark.server.responses import FILE_DOWNLOAD, JSON
from trailmark.server.routes.artifacts import entries_page
from trailmark.store.store import Store
from trailmark.views.files import FilesPage
from trailmark.views.registry import (
    Model,
    ModelEventsPage,
    ModelList,
    ModelManifest,
    ModelVersion,
    ModelVersionsPage,
)

router = APIRouter(prefix="/api/v1/models", tags=["models"])


def announce(request: Request) -> None:
    """Wake this server's webhook worker: a change just queued deliveries."""
    worker = getattr(request.app.state, "webhook_worker", None)
    if worker is not None:
        worker.wake()


@router.get("", response_model=ModelList)
def list_models(
    search: str | None = Query(default=None, max_length=256),
    store: Store = Depends(get_store),
    readable: set[str] | None = Depends(readable_models),
) -> dict[str, Any]:
    """Registered models the caller may read (names containing ``search``).

    Most recently changed first."""
    found = store.registry.list_models(search)
    return {"models": [m for m in found if may_read(readable, m["name"])]}


@router.post("", status_code=201, response_model=Model)
def create_model(
    body: ModelCreate,
    request: Request,
    store: Store = Depends(get_store),
    identity: Identity = Depends(current_identity),
) -> dict[str, Any]:
    """Register a model name with a description and key-value tags.

    Its creator becomes its admin."""
    model = store.registry.create_model(body.name, body.description, body.tags, identity.name)
    make_creator_admin(store, identity, "model", model["name"])
    announce(request)
    return model


@router.get("/{name}", response_model=Model)
def get_model(name: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """A model: description, tags, aliases, versions by stage, latest version."""
    return store.registry.get_model(name)


@router.patch("/{name}", response_model=Model)
def update_model(
    name: str,
    body: ModelUpdate,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Change a model's description or tags."""
    model = store.registry.update_model(name, body.description, body.tags, user)
    announce(request)
    return model


@router.delete("/{name}", status_code=204)
def delete_model(
    name: str,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> Response:
    """Delete a model with its versions, aliases and history."""
    store.registry.delete_model(name, user)
    announce(request)
    return Response(status_code=204)


@router.get("/{name}/versions", response_model=ModelVersionsPage)
def list_versions(
    name: str,
    stage: str | None = None,
    limit: int = Query(default=100, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """Versions, newest first (only those in ``stage`` if given)."""
    versions, total = store.registry.list_versions(name, limit, offset, stage)
    return JSON(page("versions", versions, total, offset))


@router.post("/{name}/versions", status_code=201, response_model=ModelVersion)
def create_version(
    name: str,
    body: ModelVersionCreate,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
    readable: set[str] | None = Depends(readable_projects),
) -> dict[str, Any]:
    """Register a new version from ``runs/RUN_ID/PATH`` or ``artifact:[PROJECT/]NAME[:VERSION]``.

    The source must be in a project the caller may read: its files are copied into the
    model."""
    check_source_readable(store, body, readable)
    version = store.registry.create_version(
        name,
        body.source,
        project=body.project,
        description=body.description,
        tags=body.tags,
        user=user,
        create_model=body.create_model,
    )
    announce(request)
    return version


def check_source_readable(
    store: Store, body: ModelVersionCreate, readable: set[str] | None
) -> None:
    """Refuse a source in a project the caller may not read as if it did not exist."""
    if readable is None:
        return
    source = body.source
    if source.startswith(("runs/", "runs:/")):
        run_id = source.split("/", 1)[1].lstrip("/").partition("/")[0]
        try:
            project = store.runs.get_run(None, run_id)["project"]
        except NotFound:
            return  # the store says so itself
        if not may_read(readable, project):
            raise NotFound(f"run {run_id!r} does not exist")
    elif source.startswith("artifact:"):
        project, _, rest = source.removeprefix("artifact:").rpartition("/")
        project = project or body.project or ""
        if project and not may_read(readable, project):
            name = rest.partition(":")[0]
            raise NotFound(f"artifact {name!r} does not exist in project {project!r}")


@router.get("/{name}/versions/{ref}", response_model=ModelVersion)
def get_version(name: str, ref: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """A version by number (``3``, ``v3``), alias (``champion``) or ``latest``."""
    return store.registry.get_version(name, ref)


@router.patch("/{name}/versions/{ref}", response_model=ModelVersion)
def update_version(
    name: str,
    ref: str,
    body: ModelVersionUpdate,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Change a version's description or tags."""
    version = store.registry.update_version(name, ref, body.description, body.tags, user)
    announce(request)
    return version


@router.put("/{name}/versions/{ref}/stage", response_model=ModelVersion)
def set_stage(
    name: str,
    ref: str,
    body: StageSet,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Move a version to None, Staging, Production or Archived; promoting to Production
    archives the previous Production version unless ``archive_existing`` is false."""
    version = store.registry.set_stage(name, ref, body.stage, body.archive_existing, user)
    announce(request)
    return version


@router.get("/{name}/versions/{ref}/manifest", response_model=ModelManifest)
def manifest(name: str, ref: str, store: Store = Depends(get_store)) -> JSON:
    """Every file of the version: ``{path, size, digest}``."""
    version = store.registry.get_version(name, ref)
    entries, _ = store.registry.files(name, version["version"])
    return JSON({"version": version, "files": [e.to_json() for e in entries]})


@router.get("/{name}/versions/{ref}/files", response_model=FilesPage)
def list_files(
    name: str,
    ref: str,
    prefix: str | None = None,
    limit: int = Query(default=1000, ge=1, le=100_000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """One page of the version's files, sorted by path."""
    entries, total = store.registry.files(name, ref, prefix, limit, offset)
    return entries_page(entries, total, offset)


@router.get(
    "/{name}/versions/{ref}/files/{path:path}", response_class=Response, responses=FILE_DOWNLOAD
)
def download_file(name: str, ref: str, path: str, store: Store = Depends(get_store)) -> Response:
    """The content of one file, verified against its digest as it is sent."""
    entry = store.registry.file(name, ref, path)
    return file_response(store.blobs, entry, f"model {name} {ref} file {entry.path}")


@router.put("/{name}/aliases/{alias}", response_model=ModelVersion)
def set_alias(
    name: str,
    alias: str,
    body: AliasSet,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Point an alias (``champion``) at a version, atomically; returns that version."""
    version = store.registry.set_alias(name, alias, body.version, user)
    announce(request)
    return version


@router.delete("/{name}/aliases/{alias}", status_code=204)
def delete_alias(
    name: str,
    alias: str,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> Response:
    """Remove an alias."""
    store.registry.delete_alias(name, alias, user)
    announce(request)
    return Response(status_code=204)


@router.get("/{name}/events", response_model=ModelEventsPage)
def events(
    name: str,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """The model's history: who created versions, moved aliases, changed stages, and when."""
    found, total = store.registry.events(name, limit, offset)
    return page("events", found, total, offset)

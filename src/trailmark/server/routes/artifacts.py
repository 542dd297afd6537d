"""/api/v1/projects/{project}/artifacts: versions, files, aliases and usage of artifacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from trailmark.manifest import Entry, check_entries
from trailmark.server.artifact_models import (
    AliasSet,
    ArtifactUpdate,
    UseArtifact,
    VersionCreate,
    VersionUpdate,
)
from trailmark.server.deps import get_store
from trailmark.server.downloads import file_response
from trailmark.server.identity import current_user
from trailmark.server.paging import page
from trailmark.server.responses import FILE_DOWNLOAD, JSON
from trailmark.store.store import Store
from trailmark.views.artifacts import (
    Artifact,
    ArtifactList,
    ArtifactManifest,
    ArtifactVersion,
    ArtifactVersionsPage,
    CreatedVersion,
    RunArtifacts,
    VersionUsers,
)
from trailmark.views.files import FilesPage

router = APIRouter(prefix="/api/v1/projects/{project}", tags=["artifacts"])


def entries_page(entries: list[Entry], total: int, offset: int) -> JSON:
    """A page of manifest entries, pre-serialised (a page holds up to 100,000 of them)."""
    return JSON(page("files", [e.to_json() for e in entries], total, offset))


@router.get("/artifacts", response_model=ArtifactList)
def list_artifacts(
    project: str, type: str | None = None, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Artifacts of the project (optionally of one type) with their newest version."""
    return {"artifacts": store.artifacts.list_artifacts(project, type)}


@router.get("/artifacts/{name}", response_model=Artifact)
def get_artifact(project: str, name: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """One artifact: type, description, version count and newest version."""
    return store.artifacts.get_artifact(project, name)


@router.patch("/artifacts/{name}", response_model=Artifact)
def update_artifact(
    project: str, name: str, body: ArtifactUpdate, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Change the artifact's description."""
    return store.artifacts.update_artifact(project, name, body.description)


@router.delete("/artifacts/{name}", status_code=204)
def delete_artifact(project: str, name: str, store: Store = Depends(get_store)) -> Response:
    """Delete an artifact with all its versions (files no longer used are freed by `trailmark gc`)."""
    store.artifacts.delete_artifact(project, name)
    return Response(status_code=204)


@router.get("/artifacts/{name}/versions", response_model=ArtifactVersionsPage)
def list_versions(
    project: str,
    name: str,
    limit: int = Query(default=100, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """Versions of an artifact, newest first."""
    versions, total = store.artifacts.list_versions(project, name, limit, offset)
    return JSON(page("versions", versions, total, offset))


@router.post("/artifacts/{name}/versions", status_code=201, response_model=CreatedVersion)
def create_version(
    project: str,
    name: str,
    body: VersionCreate,
    response: Response,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Commit a version from a manifest of uploaded files (and references). The same files
    as the newest version give that version back (200, ``new_version: false``)."""
    entries = check_entries([f.model_dump() for f in body.files])
    version, created = store.artifacts.create_version(
        project,
        name,
        type=body.type,
        entries=entries,
        metadata=body.metadata,
        description=body.description,
        run_id=body.run_id,
        aliases=body.aliases,
        user=user,
    )
    if not created:
        response.status_code = 200
    return {**version, "new_version": created}


@router.get("/artifacts/{name}/versions/{ref}", response_model=ArtifactVersion)
def get_version(
    project: str, name: str, ref: str, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """A version by number (``v3``) or alias (``latest``, ``best``)."""
    return store.artifacts.get_version(project, name, ref)


@router.patch("/artifacts/{name}/versions/{ref}", response_model=ArtifactVersion)
def update_version(
    project: str, name: str, ref: str, body: VersionUpdate, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Change a version's description or metadata."""
    return store.artifacts.update_version(project, name, ref, body.description, body.metadata)


@router.delete("/artifacts/{name}/versions/{ref}", status_code=204)
def delete_version(
    project: str, name: str, ref: str, store: Store = Depends(get_store)
) -> Response:
    """Delete a version; ``latest`` moves to the newest one left."""
    store.artifacts.delete_version(project, name, ref)
    return Response(status_code=204)


@router.get("/artifacts/{name}/versions/{ref}/manifest", response_model=ArtifactManifest)
def manifest(project: str, name: str, ref: str, store: Store = Depends(get_store)) -> JSON:
    """Every file of the version: ``{path, size, digest}`` (references add ``ref``, ``etag``)."""
    version = store.artifacts.get_version(project, name, ref)
    entries, _ = store.artifacts.files(project, name, f"v{version['version']}")
    return JSON({"version": version, "files": [e.to_json() for e in entries]})


@router.get("/artifacts/{name}/versions/{ref}/files", response_model=FilesPage)
def list_files(
    project: str,
    name: str,
    ref: str,
    prefix: str | None = None,
    limit: int = Query(default=1000, ge=1, le=100_000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> JSON:
    """One page of the version's files, sorted by path (those under ``prefix`` if given)."""
    entries, total = store.artifacts.files(project, name, ref, prefix, limit, offset)
    return entries_page(entries, total, offset)


@router.get(
    "/artifacts/{name}/versions/{ref}/files/{path:path}",
    response_class=Response,
    responses=FILE_DOWNLOAD,
)
def download_file(
    project: str, name: str, ref: str, path: str, store: Store = Depends(get_store)
) -> Response:
    """The content of one file, verified against its digest as it is sent."""
    entry = store.artifacts.file(project, name, ref, path)
    return file_response(store.blobs, entry, f"{name}:{ref}/{entry.path}")


@router.get("/artifacts/{name}/versions/{ref}/users", response_model=VersionUsers)
def version_users(
    project: str, name: str, ref: str, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Ids of the runs that used this version."""
    return {"runs": store.artifacts.users(project, name, ref)}


@router.post("/artifacts/{name}/versions/{ref}/use", response_model=ArtifactVersion)
def use_version(
    project: str, name: str, ref: str, body: UseArtifact, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Record that a run used this version (lineage); returns the version."""
    return store.artifacts.use(project, name, ref, body.run_id)


@router.put("/artifacts/{name}/aliases/{alias}", response_model=ArtifactVersion)
def set_alias(
    project: str, name: str, alias: str, body: AliasSet, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Point an alias at a version (moving it from the version it named)."""
    return store.artifacts.set_alias(project, name, str(body.version), alias)


@router.delete("/artifacts/{name}/aliases/{alias}", status_code=204)
def delete_alias(
    project: str, name: str, alias: str, store: Store = Depends(get_store)
) -> Response:
    """Remove an alias."""
    store.artifacts.delete_alias(project, name, alias)
    return Response(status_code=204)


@router.get("/runs/{run_id}/artifacts", response_model=RunArtifacts)
def run_artifacts(project: str, run_id: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """The artifact versions a run produced and the ones it used."""
    return store.artifacts.run_artifacts(project, run_id)

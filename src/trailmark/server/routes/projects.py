"""/api/v1/projects"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from trailmark.server.access.creators import make_creator_admin
from trailmark.server.access.readable import may_read, readable_projects
from trailmark.server.deps import get_store
from trailmark.server.identity import Identity, current_identity
from trailmark.server.models import ProjectCreate
from trailmark.store.store import Store
from trailmark.views.projects import Project, ProjectList

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.get("", response_model=ProjectList)
def list_projects(
    search: str | None = None,
    store: Store = Depends(get_store),
    readable: set[str] | None = Depends(readable_projects),
) -> dict[str, Any]:
    """Every project the caller may read, with its run count and last activity.

    Most recent first."""
    found = store.runs.list_projects(search)
    return {"projects": [p for p in found if may_read(readable, p["name"])]}


@router.post("", status_code=201, response_model=Project)
def create_project(
    body: ProjectCreate,
    store: Store = Depends(get_store),
    identity: Identity = Depends(current_identity),
) -> dict[str, Any]:
    """Create an empty project (runs also create their project on first write).

    Its creator becomes its admin."""
    project = store.runs.create_project(body.name, body.description)
    make_creator_admin(store, identity, "project", project["name"])
    return project


@router.get("/{project}", response_model=Project)
def get_project(project: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """One project with its run count and last activity."""
    return store.runs.get_project(project)


@router.delete("/{project}", status_code=204)
def delete_project(project: str, store: Store = Depends(get_store)) -> Response:
    """Delete a project with all its runs and metrics."""
    store.runs.delete_project(project)
    return Response(status_code=204)

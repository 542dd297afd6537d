"""Members and visibility of a project or registered model, and what the caller may do there.

``/api/v1/projects/{project}/members`` and ``/api/v1/models/{name}/members``: the roles
(viewer, editor, admin) granted to users and teams, set and removed by the resource's
admins. ``.../visibility``: ``private`` (members only) or ``internal`` (every signed-in user
may read). ``.../access``: the caller's own role and what it allows, which the dashboard
reads to hide or disable what the caller may not do. Each change is written to the audit
log (``grant.set``, ``grant.remove``, ``visibility.set``).

While accounts are off everyone may do everything: ``access`` says admin, all allowed.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field

from trailmark.errors import NotFound
from trailmark.server.access.policy import account_of, not_found_message
from trailmark.server.access.resources import Resource
from trailmark.server.deps import get_store
from trailmark.server.identity import Identity, current_identity
from trailmark.server.models import Body
from trailmark.server.routes.audit import record_action
from trailmark.store.accounts.account import Account
from trailmark.store.accounts.roles import ResourceKind, Role, Visibility, role_rank
from trailmark.store.store import Store
from trailmark.views.account_api import ResourceAccess
from trailmark.views.accounts import GrantList

router = APIRouter(prefix="/api/v1", tags=["members"])


class MemberSet(Body):
    role: Literal["viewer", "editor", "admin"] = Field(
        description="viewer reads; editor also writes; admin also manages members and deletes."
    )


class VisibilitySet(Body):
    visibility: Literal["private", "internal"] = Field(
        description="private: its members only; internal: every signed-in user may read it."
    )


def _exists(store: Store, kind: ResourceKind, name: str) -> None:
    """NotFound as the resource's own routes word it (a denial of a name reads the same)."""
    if not store.accounts.grants.exists(kind, name):
        raise NotFound(not_found_message(Resource(kind, name)))


def _members(store: Store, kind: ResourceKind, name: str) -> dict[str, Any]:
    grants = store.accounts.grants
    return {"visibility": grants.visibility(kind, name), "members": grants.list(kind, name)}


def _account(store: Store, identity: Identity) -> Account | None:
    """The caller as the store's role checks see them (``None``: not signed in)."""
    if identity.user_id is not None:
        return account_of(identity)
    if identity.authenticated:  # a name an authenticating proxy gave
        try:
            return store.accounts.users.get(identity.name)
        except NotFound:
            return None
    return None


def access_of(store: Store, identity: Identity, kind: ResourceKind, name: str) -> dict[str, Any]:
    """What ``identity`` may do on the resource (see :class:`ResourceAccess`)."""
    _exists(store, kind, name)
    grants = store.accounts.grants
    visibility = grants.visibility(kind, name)
    if not store.accounts.users.any():
        role: Role | None = Role.ADMIN
        accounts = False
    else:
        account = _account(store, identity)
        role = grants.role_of(account, kind, name) if account is not None else None
        accounts = True
    rank = role_rank(role)
    writable = not identity.read_only
    return {
        "accounts": accounts,
        "role": role,
        "visibility": visibility,
        "read_only": identity.read_only,
        "can": {
            "read": rank >= role_rank(Role.VIEWER),
            "write": writable and rank >= role_rank(Role.EDITOR),
            "admin": writable and rank >= role_rank(Role.ADMIN),
        },
    }


def _set_member(
    request: Request, kind: ResourceKind, name: str, principal: str, role: str
) -> dict[str, Any]:
    store = get_store(request)
    _exists(store, kind, name)
    store.accounts.grants.set(kind, name, principal, role, by=current_identity(request).name)
    record_action(
        request,
        "grant.set",
        resource=f"{kind}:{name}",
        detail={"principal": principal, "role": role},
    )
    return _members(store, kind, name)


def _remove_member(request: Request, kind: ResourceKind, name: str, principal: str) -> Response:
    store = get_store(request)
    _exists(store, kind, name)
    store.accounts.grants.remove(kind, name, principal)
    record_action(
        request,
        "grant.remove",
        resource=f"{kind}:{name}",
        status=204,
        detail={"principal": principal},
    )
    return Response(status_code=204)


def _set_visibility(
    request: Request, kind: ResourceKind, name: str, visibility: str
) -> dict[str, Any]:
    store = get_store(request)
    _exists(store, kind, name)
    store.accounts.grants.set_visibility(kind, name, Visibility(visibility))
    record_action(
        request, "visibility.set", resource=f"{kind}:{name}", detail={"visibility": visibility}
    )
    return _members(store, kind, name)


def _listed(request: Request, kind: ResourceKind, name: str) -> dict[str, Any]:
    store = get_store(request)
    _exists(store, kind, name)
    return _members(store, kind, name)


# --- projects ------------------------------------------------------------------------------


@router.get("/projects/{project}/members", response_model=GrantList)
def list_project_members(project: str, request: Request) -> dict[str, Any]:
    """The project's members (users and teams, with their roles) and its visibility."""
    return _listed(request, "project", project)


@router.put("/projects/{project}/members/{principal}", response_model=GrantList)
def set_project_member(
    project: str, principal: str, body: MemberSet, request: Request
) -> dict[str, Any]:
    """Give a user or a team (``user:alice``, ``team:ml``) a role on the project.

    It replaces the role they had."""
    return _set_member(request, "project", project, principal, body.role)


@router.delete("/projects/{project}/members/{principal}", status_code=204)
def remove_project_member(project: str, principal: str, request: Request) -> Response:
    """Take a user's or team's role on the project away."""
    return _remove_member(request, "project", project, principal)


@router.put("/projects/{project}/visibility", response_model=GrantList)
def set_project_visibility(project: str, body: VisibilitySet, request: Request) -> dict[str, Any]:
    """Make the project ``private`` (members only) or ``internal`` (all signed-in users read)."""
    return _set_visibility(request, "project", project, body.visibility)


@router.get("/projects/{project}/access", response_model=ResourceAccess)
def project_access(project: str, request: Request) -> dict[str, Any]:
    """The caller's role on the project and what it allows (read, write, admin).

    The dashboard hides what the caller may not do. Accounts off: admin, everything."""
    return access_of(get_store(request), current_identity(request), "project", project)


# --- registered models ---------------------------------------------------------------------


@router.get("/models/{name}/members", response_model=GrantList)
def list_model_members(name: str, request: Request) -> dict[str, Any]:
    """The registered model's members (users and teams, with roles) and its visibility."""
    return _listed(request, "model", name)


@router.put("/models/{name}/members/{principal}", response_model=GrantList)
def set_model_member(
    name: str, principal: str, body: MemberSet, request: Request
) -> dict[str, Any]:
    """Give a user or a team (``user:alice``, ``team:ml``) a role on the registered model.

    It replaces the role they had."""
    return _set_member(request, "model", name, principal, body.role)


@router.delete("/models/{name}/members/{principal}", status_code=204)
def remove_model_member(name: str, principal: str, request: Request) -> Response:
    """Take a user's or team's role on the registered model away."""
    return _remove_member(request, "model", name, principal)


@router.put("/models/{name}/visibility", response_model=GrantList)
def set_model_visibility(name: str, body: VisibilitySet, request: Request) -> dict[str, Any]:
    """Make the model ``private`` (members only) or ``internal`` (all signed-in users read)."""
    return _set_visibility(request, "model", name, body.visibility)


@router.get("/models/{name}/access", response_model=ResourceAccess)
def model_access(name: str, request: Request) -> dict[str, Any]:
    """The caller's role on the registered model and what it allows (read, write, admin).

    Accounts off: admin, everything."""
    return access_of(get_store(request), current_identity(request), "model", name)

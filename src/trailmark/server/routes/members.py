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

from fastapi import APIRouter, Depends, Request, Response
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


def _routes(kind: ResourceKind, base: str, param: str) -> None:
    """The five routes of one kind of resource (``param``: its path parameter's name)."""
    what = "project" if kind == "project" else "registered model"

    def name_of(request: Request) -> str:
        return str(request.path_params[param])

    def list_members(request: Request, store: Store = Depends(get_store)) -> dict[str, Any]:
        name = name_of(request)
        _exists(store, kind, name)
        return _members(store, kind, name)

    def set_member(
        principal: str, body: MemberSet, request: Request, store: Store = Depends(get_store)
    ) -> dict[str, Any]:
        name = name_of(request)
        _exists(store, kind, name)
        by = current_identity(request).name
        store.accounts.grants.set(kind, name, principal, body.role, by=by)
        record_action(
            request,
            "grant.set",
            resource=f"{kind}:{name}",
            detail={"principal": principal, "role": body.role},
        )
        return _members(store, kind, name)

    def remove_member(
        principal: str, request: Request, store: Store = Depends(get_store)
    ) -> Response:
        name = name_of(request)
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

    def set_visibility(
        body: VisibilitySet, request: Request, store: Store = Depends(get_store)
    ) -> dict[str, Any]:
        name = name_of(request)
        _exists(store, kind, name)
        store.accounts.grants.set_visibility(kind, name, Visibility(body.visibility))
        record_action(
            request,
            "visibility.set",
            resource=f"{kind}:{name}",
            detail={"visibility": body.visibility},
        )
        return _members(store, kind, name)

    def get_access(request: Request, store: Store = Depends(get_store)) -> dict[str, Any]:
        return access_of(store, current_identity(request), kind, name_of(request))

    list_members.__doc__ = (
        f"The {what}'s members (users and teams, with their roles) and visibility."
    )
    set_member.__doc__ = (
        f"Give a user or team ('user:alice', 'team:ml') a role on the {what} (replacing the "
        "one it had)."
    )
    remove_member.__doc__ = f"Take a user's or team's role on the {what} away."
    set_visibility.__doc__ = (
        f"private: only the {what}'s members see it; internal: every signed-in user may read it."
    )
    get_access.__doc__ = (
        f"The caller's role on the {what} and what it allows (read, write, admin): the "
        "dashboard hides what the caller may not do. Accounts off: admin, everything."
    )
    for handler in (list_members, set_member, remove_member, set_visibility, get_access):
        handler.__name__ = f"{handler.__name__}_of_{kind}"
    router.add_api_route(f"{base}/members", list_members, methods=["GET"], response_model=GrantList)
    router.add_api_route(
        f"{base}/members/{{principal}}", set_member, methods=["PUT"], response_model=GrantList
    )
    router.add_api_route(
        f"{base}/members/{{principal}}", remove_member, methods=["DELETE"], status_code=204
    )
    router.add_api_route(
        f"{base}/visibility", set_visibility, methods=["PUT"], response_model=GrantList
    )
    router.add_api_route(
        f"{base}/access", get_access, methods=["GET"], response_model=ResourceAccess
    )


_routes("project", "/projects/{project}", "project")
_routes("model", "/models/{name}", "name")

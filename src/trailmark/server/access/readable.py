"""What a caller may read, for the handlers of routes that list several resources.

A listing route (all projects, all models, a search across experiments) names no one
resource, so the request guard lets any signed-in caller in and the handler keeps only what
the caller may read. :func:`readable_names` says which names those are; ``None`` means
every one: no accounts exist (the caller is anonymous, or named by a proxy header while no
user exists), or the caller is a server admin.

Example::

    names = readable_names(store, current_identity(request), PROJECT)
    projects = [p for p in projects if may_read(names, p["name"])]

or, in a FastAPI handler, the dependencies :func:`readable_projects` and
:func:`readable_models`.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from trailmark.errors import NotFound
from trailmark.server.access.policy import account_of
from trailmark.server.identity import Identity, current_identity
from trailmark.store.accounts.account import Account
from trailmark.store.accounts.roles import ResourceKind, Role, role_rank
from trailmark.store.store import Store

PROJECT: Final = "project"
MODEL: Final = "model"


def account_for(store: Store, identity: Identity) -> Account | None:
    """The account behind ``identity``; ``None`` while accounts are off (anonymous, or a
    proxy-named user while no user exists). :class:`NotFound` for a proxy-named user
    without an account."""
    if identity.user_id is not None:
        return account_of(identity)
    if identity.via != "header":  # anonymous: the guard admits it only while accounts are off
        return None
    users = store.accounts.users  # named by an authenticating proxy: its account, if any
    return users.get(identity.name) if users.any() else None


def readable_names(store: Store, identity: Identity, kind: ResourceKind) -> set[str] | None:
    """Names of the resources of ``kind`` (``"project"``/``"model"``) ``identity`` may read;
    ``None``: all of them."""
    if identity.admin:
        return None
    try:
        account = account_for(store, identity)
    except NotFound:
        return set()
    if account is None or account.is_admin:
        return None
    return store.accounts.grants.readable(account, kind)


def has_role(store: Store, identity: Identity, kind: ResourceKind, name: str, needed: Role) -> bool:
    """Whether ``identity`` holds at least ``needed`` on the resource (always while accounts
    are off)."""
    if identity.admin:
        return True
    try:
        account = account_for(store, identity)
    except NotFound:
        return False
    if account is None:
        return True
    return role_rank(store.accounts.grants.role_of(account, kind, name)) >= role_rank(needed)


def may_read(names: set[str] | None, name: str | None) -> bool:
    """Whether ``name`` is among ``names`` (``None``: every name)."""
    return names is None or (name is not None and name in names)


def readable_projects(request: Request) -> set[str] | None:
    """The projects the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), PROJECT)


def readable_models(request: Request) -> set[str] | None:
    """The registered models the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), MODEL)

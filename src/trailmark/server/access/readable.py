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
from trailmark.store.accounts.roles import ResourceKind
from trailmark.store.store import Store

PROJECT: Final = "project"
MODEL: Final = "model"


def readable_names(store: Store, identity: Identity, kind: ResourceKind) -> set[str] | None:
    """Names of the resources of ``kind`` (``"project"``/``"model"``) ``identity`` may read;
    ``None``: all of them."""
    if identity.admin:
        return None
    if identity.user_id is not None:
        return store.accounts.grants.readable(account_of(identity), kind)
    if identity.via != "header":  # anonymous: the guard admits it only while accounts are off
        return None
    # Named by an authenticating proxy: its account, once accounts exist.
    users = store.accounts.users
    if not users.any():
        return None
    try:
        account = users.get(identity.name)
    except NotFound:
        return set()
    return None if account.is_admin else store.accounts.grants.readable(account, kind)


def may_read(names: set[str] | None, name: str | None) -> bool:
    """Whether ``name`` is among ``names`` (``None``: every name)."""
    return names is None or (name is not None and name in names)


def readable_projects(request: Request) -> set[str] | None:
    """The projects the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), PROJECT)


def readable_models(request: Request) -> set[str] | None:
    """The registered models the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), MODEL)

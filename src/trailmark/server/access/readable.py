"""What a caller may read, for the handlers of routes that list several resources.

A listing route (all projects, all models, a search across experiments) names no one
resource, so the request guard lets any signed-in caller in and the handler keeps only what
the caller may read. :func:`readable_names` says which names those are; ``None`` means
every one: no accounts exist (the caller has no account id), or the caller is a server
admin.

Example::

    names = readable_names(store, current_identity(request), PROJECT)
    projects = [p for p in projects if may_read(names, p["name"])]

or, in a FastAPI handler, the dependencies :func:`readable_projects` and
:func:`readable_models`.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from trailmark.server.access.policy import account_of
from trailmark.server.identity import Identity, current_identity
from trailmark.store.accounts.roles import ResourceKind
from trailmark.store.store import Store

PROJECT: Final = "project"
MODEL: Final = "model"


def readable_names(store: Store, identity: Identity, kind: ResourceKind) -> set[str] | None:
    """Names of the resources of ``kind`` (``"project"``/``"model"``) ``identity`` may read;
    ``None``: all of them."""
    if identity.user_id is None or identity.admin:
        return None
    return store.accounts.grants.readable(account_of(identity), kind)


def may_read(names: set[str] | None, name: str | None) -> bool:
    """Whether ``name`` is among ``names`` (``None``: every name)."""
    return names is None or (name is not None and name in names)


def readable_projects(request: Request) -> set[str] | None:
    """The projects the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), PROJECT)


def readable_models(request: Request) -> set[str] | None:
    """The registered models the caller may read (a FastAPI dependency); ``None``: all."""
    return readable_names(request.app.state.store, current_identity(request), MODEL)

"""Who makes a request: an :class:`Identity`, found by the request guard and read by handlers.

The guard (:mod:`trailmark.server.access`) calls the app's authenticator,
``app.state.identify``, once per request and puts what it returns in the ASGI scope;
handlers read it with :func:`current_user` (a FastAPI dependency) or
:func:`current_identity`. While no accounts exist every request is ``"anonymous"``; once
they do, :mod:`trailmark.server.access.authenticate` finds the user from an API key, a
password or a session cookie. Behind a trusted proxy that authenticates,
:func:`from_header` reads the user from a header the proxy sets (never enable that on a
server clients reach directly: anyone could send it).

Example::

    app.state.identify = from_header("X-Forwarded-User")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from trailmark.errors import Forbidden
from trailmark.validation import check_name

ANONYMOUS = "anonymous"

SCOPE_KEY = "trailmark.identity"
"""Where the guard leaves the request's :class:`Identity` in the ASGI scope."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A caller: the name recorded in registry events and on artifact versions."""

    name: str
    authenticated: bool = False
    """Whether an authenticator vouched for ``name`` (``False`` for anonymous callers)."""
    user_id: int | None = None
    """The account's id (``None``: anonymous, or a name a proxy header gave)."""
    admin: bool = False
    """A server admin: every resource, users, teams, webhooks and the audit log."""
    read_only: bool = False
    """Signed in with a read-only API key: nothing that changes data is allowed."""
    via: str = "none"
    """How the caller proved who they are: ``"key"``, ``"session"``, ``"basic"``,
    ``"header"`` or ``"none"``."""
    team_ids: frozenset[int] = frozenset()
    """The teams the account belongs to (their grants count as the user's)."""
    service: bool = False
    """A service account (keys only, for CI and training clusters)."""


ANONYMOUS_IDENTITY = Identity(ANONYMOUS)

Authenticator = Callable[[HTTPConnection], Identity | str]
"""Finds who makes a request; a hook that knows only a user name may return the name."""


def anonymous(_connection: HTTPConnection) -> Identity:
    """The authenticator while no accounts exist: everyone is anonymous."""
    return ANONYMOUS_IDENTITY


def from_header(header: str) -> Authenticator:
    """An authenticator reading the user from ``header`` (set by an authenticating proxy)."""

    def identify(connection: HTTPConnection) -> Identity:
        value = connection.headers.get(header)
        return (
            Identity(check_name("user", value), authenticated=True, via="header")
            if value
            else ANONYMOUS_IDENTITY
        )

    return identify


def current_identity(connection: HTTPConnection) -> Identity:
    """The identity the guard found for this request.

    A request that did not pass the guard has none: that is a wiring mistake, refused
    rather than treated as anonymous.
    """
    identity = connection.scope.get(SCOPE_KEY)
    if not isinstance(identity, Identity):
        raise Forbidden("this request did not pass the request guard")
    return identity


def current_user(connection: HTTPConnection) -> str:
    """The name of the user making the request (a FastAPI dependency)."""
    return current_identity(connection).name

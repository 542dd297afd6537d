"""Who makes a request: the name recorded in registry events and on artifact versions.

Until authentication exists every request is ``"anonymous"``. The hook is
``app.state.identify``, a function of the request: authentication will set it to read the
authenticated user; behind a trusted proxy that authenticates, :func:`from_header` reads
the user from a header the proxy sets (never enable that on a server clients reach
directly: anyone could send the header).

Example (for later)::

    app.state.identify = from_header("X-Forwarded-User")
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from trailmark.validation import check_name

ANONYMOUS = "anonymous"

Identify = Callable[[Request], str]


def anonymous(_request: Request) -> str:
    return ANONYMOUS


def from_header(header: str) -> Identify:
    """An ``identify`` hook reading the user from ``header`` (for an authenticating proxy)."""

    def identify(request: Request) -> str:
        value = request.headers.get(header)
        return check_name("user", value) if value else ANONYMOUS

    return identify


def current_user(request: Request) -> str:
    """The user making ``request`` (a FastAPI dependency)."""
    identify: Identify = getattr(request.app.state, "identify", anonymous)
    return identify(request)

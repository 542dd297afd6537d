"""Cross-site request forgery: only the server's own pages, and programs, may change state.

A page on any site the user visits can make the browser send ``POST`` requests to a
tracker on ``localhost`` (a plain form, ``fetch(..., {mode: "no-cors"})``) with the
"simple" body types ``text/plain``, ``application/x-www-form-urlencoded``,
``multipart/form-data`` or none, without asking the server first; a page on
``http://localhost:3000`` is even *same-site* with a server on ``http://localhost:5000``.
So every ``POST``, ``PUT``, ``PATCH`` and ``DELETE``, whatever its route, is refused

- with 403 when the browser says the request comes from another origin: a
  ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or else an ``Origin`` that is
  not this request's own scheme, host and port (``Origin: null`` included);
- with 415 when it carries a body whose type is not one its route takes (JSON, unless
  :data:`~trailmark.server.access.body_types.ROUTE_BODY_TYPES` says otherwise), so no route
  can be reached with a body a browser sends cross-site without a CORS preflight, which
  this server never grants (that also covers browsers that send neither header).

Programs (the SDK, the ``mlflow`` client, the CLI, ``curl``) send neither header and their
JSON with its type, and the dashboard's own requests are same-origin: they pass unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Receive, Scope, Send

from trailmark.errors import CrossSiteRequest, UnsupportedMediaType
from trailmark.server.access.body_types import ANY_TYPE, FORM_TYPES, NO_BODY, body_types
from trailmark.server.access.guard import ROUTE_KEY, RouteTable, _route_path
from trailmark.server.errors import response_for

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_OWN_PAGES = frozenset({"same-origin", "none"})
"""``Sec-Fetch-Site`` values of a request the user or this server's own pages made."""

_DEFAULT_PORTS = {"http": 80, "https": 443}

_HOW_TO = (
    "Change data from the Trailmark dashboard served by this server, or from a program "
    "(the SDK, the mlflow client, the CLI, curl), which sends no Origin header."
)


class CrossSiteCheck:
    """ASGI middleware: refuse state-changing requests that a page on another origin could
    have made the browser send (see the module's docstring)."""

    def __init__(self, app: ASGIApp, routes_of: Any) -> None:
        self.app = app
        self._routes_of = routes_of  # the Starlette app: its routes name each body's types
        self._table: RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        problem = self.problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        await response_for(problem, scope["path"])(scope, receive, send)

    def problem(self, scope: Scope) -> CrossSiteRequest | UnsupportedMediaType | None:
        """Why this state-changing request is refused, or ``None``."""
        origin = fetch_site = host = None
        content_types: list[bytes] = []
        has_body = False
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_types.append(value)
            elif name == b"content-length":
                has_body = has_body or value.strip() not in (b"", b"0")
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").strip().lower()
            elif name == b"host":
                host = value.decode("latin-1")
        if fetch_site is not None:
            if fetch_site not in _OWN_PAGES:
                return CrossSiteRequest(
                    f"cross-site request refused: the browser says this {scope['method']} "
                    f"comes from a page on another site or origin (Sec-Fetch-Site: "
                    f"{fetch_site[:40]}), and only this server's own pages may change data "
                    f"(protection against cross-site request forgery). {_HOW_TO}"
                )
        elif origin is not None and not same_origin(origin, scope.get("scheme", "http"), host):
            return CrossSiteRequest(
                f"cross-site request refused: this {scope['method']} comes from a page on "
                f"{origin[:100]!r}, not from this server's own origin, and only this "
                f"server's own pages may change data (protection against cross-site request "
                f"forgery). {_HOW_TO}"
            )
        if not content_types and not has_body:
            return None
        sent = essence(b", ".join(content_types).decode("latin-1"))
        if sent == "application/json":  # the common case: no route to look up
            return None
        route = self._route(scope)
        expected = body_types(route) if route else NO_BODY  # no route: a 404, unread
        if expected in (ANY_TYPE, NO_BODY) or sent in expected or is_json(sent, expected):
            return None
        return UnsupportedMediaType(
            f"{route or scope['method'] + ' ' + scope['path'][:200]} takes "
            f"{' or '.join(expected)} bodies, not "
            f"{'a body without a Content-Type' if not sent else repr(sent[:100])}"
            + (
                ", a type any web page could send here (protection against cross-site "
                "request forgery)"
                if sent in FORM_TYPES
                else ""
            )
            + f"; send the body with Content-Type: {expected[0]}"
        )

    def _route(self, scope: Scope) -> str:
        """The declared route (``"METHOD /path"``) that answers, or ``""`` for none (the
        guard outside has resolved it already, when it ran)."""
        decided = scope.get(ROUTE_KEY)
        if decided is not None and decided.route:
            return str(decided.route)
        method, path = scope["method"], _route_path(scope)
        if self._table is None:  # compiled on the first body that is not plain JSON
            self._table = RouteTable(self._routes_of.routes)
        route = self._table.resolve(method, path).route
        if (not route or body_types(route) == NO_BODY) and self._routes_changed():
            route = self._table.resolve(method, path).route
        return route

    def _routes_changed(self) -> bool:
        """A route added after the table was compiled may answer before a catch-all."""
        assert self._table is not None
        if sum(1 for _ in iter_route_contexts(self._routes_of.routes)) == len(self._table.routes):
            return False
        self._table = RouteTable(self._routes_of.routes)
        return True


def essence(content_type: str) -> str:
    """A ``Content-Type``'s type and subtype, lower-cased, without parameters."""
    return content_type.partition(";")[0].strip().lower()


def is_json(sent: str, expected: tuple[str, ...]) -> bool:
    """Whether ``sent`` is an ``application/...+json`` type and the route takes JSON."""
    return (
        "application/json" in expected
        and sent.startswith("application/")
        and sent.endswith("+json")
        and "," not in sent
    )


def same_origin(origin: str, scheme: str, host: str | None) -> bool:
    """Whether ``Origin`` names the scheme, host and port the request was sent to."""
    if host is None or origin.strip().lower() == "null":
        return False
    try:
        theirs = urlsplit(origin.strip())
        ours = urlsplit(f"{scheme}://{host.strip()}")
        their_port = theirs.port or _DEFAULT_PORTS.get(theirs.scheme.lower())
        our_port = ours.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number, a malformed IPv6 host
        return False
    return (
        theirs.scheme.lower() == scheme
        and theirs.hostname is not None
        and theirs.hostname == ours.hostname
        and their_port == our_port
        and not theirs.path.strip("/")
    )

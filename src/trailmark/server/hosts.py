"""DNS-rebinding protection: refuse requests whose ``Host`` names a site this server is not.

A web page on ``evil.example`` can have its DNS name re-pointed at 127.0.0.1 and then read
and change a tracker on the visitor's own machine with the page's scripts; the browser
still sends ``Host: evil.example``. So a server bound to loopback answers only to loopback
names (``localhost``, ``127.0.0.1``, ``[::1]``, any loopback address) and the address it is
bound to, on any port, plus the names allowed with ``--allowed-host`` (the name a reverse
proxy forwards, say). Bound beyond loopback (``--insecure-allow-remote``) with no names
configured, every host is accepted: that server is reachable by any name on purpose.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from trailmark.server.errors import error_response

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The name in a ``Host`` header: lower-cased, without port, brackets or a final dot."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".") if value != "." else value


def parse_allowed_hosts(values: Iterable[str]) -> tuple[str, ...]:
    """Host names from repeated options or an environment variable (comma or space separated)."""
    names: list[str] = []
    for value in values:
        for part in value.replace(",", " ").split():
            name = part if part == "*" or part.startswith("*.") else host_name(part)
            if name and name not in names:
                names.append(name)
    return tuple(names)


def allowed_host_names(
    bound_host: str, configured: Iterable[str], is_loopback_bind: bool
) -> frozenset[str] | None:
    """The names to answer to; ``None`` means any (a deliberately remote server, or ``*``)."""
    names = set(parse_allowed_hosts(configured))
    if "*" in names or (not is_loopback_bind and not names):
        return None
    return frozenset(names | LOOPBACK_NAMES | {host_name(bound_host)})


def _is_allowed(name: str, allowed: frozenset[str]) -> bool:
    if name in allowed:
        return True
    if any(p.startswith("*.") and name.endswith(p[1:]) for p in allowed):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostCheck:
    """ASGI middleware: a ``Host`` outside ``allowed`` gets a 400 that says how to allow it."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str] | None) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"host")
        # No Host at all only comes from HTTP/1.0 tools, never from a browser: nothing to rebind.
        name = host_name(header.decode("latin-1")) if header is not None else None
        if name is None or _is_allowed(name, self.allowed):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = error_response(
            400,
            "invalid_host",
            f"this server does not answer to the host name {name[:100]!r} (protection against "
            "DNS rebinding). Use http://127.0.0.1 or http://localhost, or, behind a reverse "
            "proxy, allow the name with --allowed-host or TRAILMARK_ALLOWED_HOSTS.",
        )
        await response(scope, receive, send)

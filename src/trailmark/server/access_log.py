"""The access log: one JSON line per request, written through the ``trailmark.access`` logger.

The middleware sits outermost in the app (:func:`trailmark.server.app.create_app`), so that
it sees every answer, refusals by the host check, the body size limit and the request
guard included. A line looks like::

    {"log":"access","time":"2026-12-07T18:40:21.123Z","method":"GET","path":"/api/v1/projects",
     "query":"search=x&token=[redacted]","status":200,"ms":1.92,"bytes":312,
     "client":"127.0.0.1","user":"anonymous"}

``user`` is the identity the request guard found (``null`` when the request was refused
before the guard). Values of query parameters whose names suggest a secret (``token``,
``key``, ``password``, ...) are replaced by ``[redacted]``, and so are secrets under any
name, by :func:`trailmark.redact.redact_text` (a provider key in ``?q=``). ``trailmark server`` sends the
lines to stderr (:func:`log_to_stderr`) unless ``--no-access-log`` /
``TRAILMARK_ACCESS_LOG=false``.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trailmark.redact import REDACTED, is_secret_name, redact_text
from trailmark.server.identity import SCOPE_KEY, Identity

LOGGER_NAME = "trailmark.access"
log = logging.getLogger(LOGGER_NAME)

_SECRET_NAME = re.compile(
    r"token|key|secret|pass|pwd|auth|sig|session|cookie|credential|code", re.IGNORECASE
)
"""Names whose values a log line never shows (wider than :mod:`trailmark.redact`'s rules for
configs: in a log, hiding a harmless value costs nothing)."""


def safe_query(raw: bytes) -> str:
    """The query string with the values of secret-looking parameters replaced."""
    if not raw:
        return ""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return "&".join(
        f"{quote(name, safe='')}="
        + (REDACTED if _is_secret_name(name) else quote(redact_text(value), safe="[]"))
        for name, value in pairs
    )


def _is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) or is_secret_name(name)


class AccessLog:
    """ASGI middleware logging each HTTP request once it is answered (or has failed)."""

    def __init__(self, app: ASGIApp, logger: logging.Logger = log) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        size = 0

        async def observing_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        except BaseException:
            status = status or 500  # what the server answers for an unhandled error
            raise
        finally:
            self._write(scope, status, size, time.perf_counter() - started)

    def _write(self, scope: Scope, status: int, size: int, seconds: float) -> None:
        identity = scope.get(SCOPE_KEY)
        client = scope.get("client")
        line = {
            "log": "access",
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": scope["method"],
            "path": scope["path"],
            "query": safe_query(scope.get("query_string", b"")),
            "status": status,
            "ms": round(seconds * 1000, 2),
            "bytes": size,
            "client": client[0] if client else None,
            "user": identity.name if isinstance(identity, Identity) else None,
        }
        self.logger.info(orjson.dumps(line).decode())


def log_to_stderr() -> None:
    """Send the access log's lines to stderr, one per line, as they are (a server process
    calls this once at start; an embedding application configures logging its own way)."""
    if any(getattr(h, "_trailmark_access", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._trailmark_access = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

"""How many bytes a request body may hold, per route, declared once; and the ASGI middleware
that refuses a body over its route's limit (``413``, naming the limit and how to change it).

Every route takes at most :data:`~trailmark.limits.MAX_REQUEST_BYTES`, except those in
:func:`route_limits`: the routes that stream a file into storage. A body is refused before
it is read when its ``Content-Length`` says it is too large, and as soon as the bytes read
pass the limit when it comes without one (chunked), whatever the handler does with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trailmark.blobs.protocol import MAX_PART_SIZE, MAX_SINGLE_PUT
from trailmark.errors import PayloadTooLarge
from trailmark.limits import MAX_REQUEST_BYTES
from trailmark.server.errors import response_for
from trailmark.server.settings import ServerSettings


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a body of ``method`` on the routes matching ``template`` may hold."""

    method: str
    template: str
    """A route path: ``{name}`` is one segment, ``{name:path}`` the rest of the path."""
    max_bytes: int
    setting: str | None = None
    """The environment variable (and option) that changes the limit, if one does."""
    advice: str = "send smaller batches"

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{[^}:]+:path\\\}", ".+", re.escape(self.template))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        object.__setattr__(self, "_pattern", re.compile(pattern + "$"))

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and self._pattern.match(path) is not None  # type: ignore[attr-defined]

    def message(self) -> str:
        route = f" for {self.method} {self.template}" if self.method != "*" else ""
        where = f" (the server's {self.setting} sets it)" if self.setting else ""
        return (
            f"the request body is larger than the limit of {self.max_bytes} bytes{route}"
            f"{where}; {self.advice}"
        )


def route_limits(settings: ServerSettings) -> tuple[BodyLimit, ...]:
    """The limit of every route that takes more (or less) than a JSON request may."""
    return (
        BodyLimit(
            "PUT",
            "/api/2.0/mlflow-artifacts/artifacts/{path:path}",
            settings.max_artifact_bytes,
            "TRAILMARK_MAX_ARTIFACT_BYTES",
            "MLflow clients upload each file whole, so this is the largest artifact file",
        ),
        BodyLimit(
            "PUT",
            "/api/v1/projects/{project}/blobs/{digest}",
            MAX_SINGLE_PUT,
            advice="use an upload session (POST .../uploads) for larger files",
        ),
        BodyLimit(
            "PUT",
            "/api/v1/projects/{project}/uploads/{upload_id}",
            MAX_PART_SIZE,
            advice="send the file in smaller chunks",
        ),
    )


DEFAULT_LIMIT = BodyLimit("*", "{path:path}", MAX_REQUEST_BYTES)
"""Every other route: JSON requests and ingest batches."""


def limit_for(limits: tuple[BodyLimit, ...], method: str, path: str) -> BodyLimit:
    """The limit of a request of ``method`` on ``path``."""
    for limit in limits:
        if limit.matches(method, path):
            return limit
    return DEFAULT_LIMIT


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limits: tuple[BodyLimit, ...] = ()) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(self.limits, scope["method"], scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.max_bytes:
            await self._refuse(limit, scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit.max_bytes:
                    raise _TooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if started:  # an answer is under way: only cutting the connection is left
                raise
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: BodyLimit, scope: Scope, receive: Receive, send: Send) -> None:
        response = response_for(PayloadTooLarge(limit.message()), scope["path"])
        await response(scope, receive, send)


class _TooLarge(BaseException):
    """Raised out of the handler's ``receive`` (a ``BaseException``, so that no handler's
    catch-all turns it into a 500 on its way back here)."""

"""POST /api/v1/ingest: batches of spool records from SDK senders.

The route is documented (and served) by FastAPI, but the server answers it through
:class:`IngestLane`, an ASGI layer inside the security middleware and in front of FastAPI:
every training process posts a batch several times a second, and FastAPI's routing,
exception and dependency layers cost more of the interpreter per request than parsing a
typical batch. The lane does what the route does and maps errors the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trailmark.server.errors import response_for
from trailmark.server.ingest_queue import IngestQueue
from trailmark.server.responses import JSON
from trailmark.views.ingest import IngestResult

INGEST_PATH = "/api/v1/ingest"

router = APIRouter(prefix="/api/v1", tags=["ingest"])

INGEST_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"run":"a1b2c3d4","project":"mnist","writer":"w1"}\n'
                '{"t":"m","q":1,"s":0,"w":1767225600.0,"d":{"loss":0.5}}\n',
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["envelope", "records"],
                    "properties": {
                        "envelope": {"type": "object"},
                        "records": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
    }
}


@router.post(
    INGEST_PATH.removeprefix("/api/v1"),
    response_model=IngestResult,
    openapi_extra=INGEST_BODY_DOC,
)
async def ingest(request: Request) -> dict[str, Any]:
    """Apply one writer's records to a run in one transaction; each record is kept at most
    once by (run, writer, q), so retries are harmless. The answer comes after the commit.
    A busy server answers 429 with Retry-After: send the batch again after that long."""
    queue: IngestQueue = request.app.state.ingest_queue
    body = await request.body()
    result = await queue.apply(body, request.headers.get("content-type", "application/json"))
    return result.to_json()


class IngestLane:
    """ASGI: ``POST /api/v1/ingest`` straight to the app's ingest queue; every other
    request to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != INGEST_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        queue: IngestQueue = scope["app"].state.ingest_queue
        content_type = b"application/json"
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
        # Reading is left outside: the body size limit around the lane stops a body that
        # is too large by raising from ``receive``.
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its whole body
        try:
            result = await queue.apply(body, content_type.decode("latin-1"))
            response = JSON(result.to_json())
        except Exception as exc:
            response = response_for(exc)
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    parts: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)

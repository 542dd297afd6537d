"""POST /api/v1/ingest: batches of spool records from SDK senders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from trailmark.server.ingest_queue import IngestQueue

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


@router.post("/ingest", openapi_extra=INGEST_BODY_DOC)
async def ingest(request: Request) -> dict[str, Any]:
    """Apply one writer's records to a run in one transaction; each record is kept at most
    once by (run, writer, q), so retries are harmless. The answer comes after the commit.
    A busy server answers 429 with Retry-After: send the batch again after that long."""
    queue: IngestQueue = request.app.state.ingest_queue
    body = await request.body()
    result = await queue.apply(body, request.headers.get("content-type", "application/json"))
    return result.to_json()

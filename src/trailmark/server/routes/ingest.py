"""POST /api/v1/ingest: batches of spool records from SDK senders."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from trailmark.errors import InvalidInput
from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

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


def parse_body(body: bytes, content_type: str) -> tuple[Envelope, list[Any]]:
    """The envelope and records of an NDJSON or JSON ingest body."""
    try:
        if content_type.startswith("application/x-ndjson"):
            lines = [line for line in body.split(b"\n") if line.strip()]
            if not lines:
                raise InvalidInput("empty batch: send an envelope line and record lines")
            return Envelope.from_json(orjson.loads(lines[0])), [orjson.loads(x) for x in lines[1:]]
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise InvalidInput('send {"envelope": {...}, "records": [...]} or NDJSON')
    return Envelope.from_json(data.get("envelope")), data["records"]


@router.post("/ingest", openapi_extra=INGEST_BODY_DOC)
async def ingest(request: Request) -> dict[str, Any]:
    """Apply one writer's records to a run in one transaction; each record is kept at most
    once by (run, writer, q), so retries are harmless. The answer comes after the commit."""
    store: Store = request.app.state.store
    body = await request.body()
    envelope, records = parse_body(body, request.headers.get("content-type", "application/json"))
    result = await run_in_threadpool(store.ingestor.ingest, envelope, records)
    return result.to_json()

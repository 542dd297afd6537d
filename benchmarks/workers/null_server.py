"""A server that answers ``POST /api/v1/ingest`` without storing anything.

Usage: ``python null_server.py PORT``. It parses each batch (to count its records and answer
as Trailmark does) and nothing more, on the same uvicorn and HTTP parser as ``trailmark
server``. Timing a load against it shows what the writers themselves and the HTTP round
trips cost this machine: the floor under any server's latency in the same run.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
import uvicorn


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = b'{"status":"ok"}'
    if scope["path"].endswith("/ingest"):
        lines = [line for line in body.split(b"\n") if line.strip()]
        records = [orjson.loads(line) for line in lines[1:]]
        last = records[-1]["q"] if records else 0
        answer = orjson.dumps({"accepted": len(records), "duplicates": 0, "last_seq": last})
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")

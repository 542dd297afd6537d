"""Request bodies read as streams, never whole: upload chunks go to a sink piece by piece."""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from trailmark.blobs.protocol import PartSink
from trailmark.errors import InvalidInput, PayloadTooLarge

PIECE = 1024 * 1024
SPOOL_IN_MEMORY = 4 * 1024 * 1024


def declared_length(request: Request, limit: int) -> int:
    """The Content-Length of the request, required and at most ``limit``."""
    text = request.headers.get("content-length")
    if text is None or not text.isdigit():
        raise InvalidInput("send the body with a Content-Length header (no chunked encoding)")
    length = int(text)
    if length > limit:
        raise PayloadTooLarge(
            f"the body has {length} bytes; at most {limit} fit in one request. "
            "Use an upload session (POST .../uploads) for larger files."
        )
    return length


async def stream_into(request: Request, sink: PartSink, expected: int) -> None:
    """Copy the body into ``sink`` in pieces of about 1 MiB (written off the event loop)."""
    buffer = bytearray()
    seen = 0
    async for piece in request.stream():
        seen += len(piece)
        if seen > expected:
            raise InvalidInput(f"the body is longer than its Content-Length ({expected} bytes)")
        buffer += piece
        if len(buffer) >= PIECE:
            await run_in_threadpool(sink.write, bytes(buffer))
            buffer.clear()
    if buffer:
        await run_in_threadpool(sink.write, bytes(buffer))
    if seen != expected:
        raise InvalidInput(f"the body ended after {seen} of {expected} bytes; send the chunk again")


class _SpoolSink:
    def __init__(self) -> None:
        self.file: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # type: ignore[assignment]  # noqa: SIM115

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> str:
        self.file.seek(0)
        return ""

    def abort(self) -> None:
        self.file.close()


async def spool_body(request: Request, limit: int) -> BinaryIO:
    """The whole body in a temporary file (in memory up to 4 MiB), rewound; caller closes it."""
    sink = _SpoolSink()
    try:
        await stream_into(request, sink, declared_length(request, limit))
    except BaseException:
        sink.abort()
        raise
    sink.commit()
    return sink.file

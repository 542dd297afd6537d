"""The frames a sender writes to an ingest worker, and the answers it reads back.

A frame is a 4-byte big-endian length, then the envelope JSON line and the record lines,
joined by newlines. Each frame is answered by one JSON line: ``{"ok": true}``, or
``{"ok": false, "permanent": bool, "error": "..."}`` (permanent: the batch will never be
accepted, so the sender sets its bad records aside; otherwise it retries).
"""

from __future__ import annotations

import struct
from typing import Any, BinaryIO

import orjson

from trailmark.sdk.transports import PermanentError, TransientError, envelope_json

FRAME = struct.Struct(">I")


def encode_frame(header_line: bytes, lines: list[bytes]) -> bytes:
    """One frame: ``header_line`` (the envelope as JSON) and the encoded records."""
    payload = b"\n".join([header_line, *lines])
    return FRAME.pack(len(payload)) + payload


def batch_frame(header: dict[str, Any], lines: list[bytes]) -> bytes:
    """The frame of one spool batch of the writer named in ``header``."""
    return encode_frame(orjson.dumps(envelope_json(header)), lines)


def read_frame(inp: BinaryIO) -> tuple[bytes, list[bytes]] | None:
    """The next frame's envelope line and record lines; None at the end of the stream."""
    size_bytes = inp.read(FRAME.size)
    if len(size_bytes) < FRAME.size:
        return None
    (size,) = FRAME.unpack(size_bytes)
    payload = inp.read(size)
    if len(payload) < size:
        return None
    header_line, *lines = payload.split(b"\n")
    return header_line, lines


def answer(error: PermanentError | TransientError | None) -> bytes:
    """The answer line to a frame: stored (``error`` None), or why not."""
    if error is None:
        return b'{"ok":true}\n'
    permanent = isinstance(error, PermanentError)
    return orjson.dumps({"ok": False, "permanent": permanent, "error": str(error)}) + b"\n"


def raise_for_answer(line: bytes) -> None:
    """Return if ``line`` says the frame was stored; else raise what the worker said."""
    if not line:
        raise TransientError("the local ingest worker exited; it will be restarted")
    reply = orjson.loads(line)
    if reply.get("ok"):
        return
    if reply.get("permanent"):
        raise PermanentError(reply.get("error", "refused"))
    raise TransientError(reply.get("error", "failed"))

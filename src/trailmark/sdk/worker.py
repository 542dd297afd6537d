"""The local ingest worker: a child process that applies spool batches to the store in a data dir.

Why a process: decoding records and writing SQLite is CPU work; on the training process's
sender thread it would compete with the training loop for the GIL (doubling what ``log()``
costs) and would load SQLAlchemy and numpy into the training process. The sender thread only
moves bytes through a pipe, which releases the GIL.

Protocol, on stdin/stdout: the parent writes frames (4-byte big-endian length, then the
envelope JSON line and the record lines); the worker answers each with one JSON line,
``{"ok": true}`` or ``{"ok": false, "permanent": bool, "error": "..."}``. EOF ends the worker.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import BinaryIO

import orjson

from trailmark.sdk.transports import LocalTransport, PermanentError, TransientError

FRAME = struct.Struct(">I")


def encode_frame(header_line: bytes, lines: list[bytes]) -> bytes:
    payload = b"\n".join([header_line, *lines])
    return FRAME.pack(len(payload)) + payload


def serve(data_dir: Path, db_url: str | None, inp: BinaryIO, out: BinaryIO) -> None:
    transport = LocalTransport(data_dir, db_url)
    try:
        while True:
            size_bytes = inp.read(FRAME.size)
            if len(size_bytes) < FRAME.size:
                return
            (size,) = FRAME.unpack(size_bytes)
            payload = inp.read(size)
            if len(payload) < size:
                return
            header_line, *lines = payload.split(b"\n")
            try:
                transport.deliver(orjson.loads(header_line), lines)
                answer: dict[str, object] = {"ok": True}
            except PermanentError as exc:
                answer = {"ok": False, "permanent": True, "error": str(exc)}
            except TransientError as exc:
                answer = {"ok": False, "permanent": False, "error": str(exc)}
            out.write(orjson.dumps(answer) + b"\n")
            out.flush()
    finally:
        transport.close()


def main() -> None:
    data_dir = Path(sys.argv[1])
    db_url = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    serve(data_dir, db_url, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()

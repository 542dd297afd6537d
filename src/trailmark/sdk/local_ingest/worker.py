"""The local ingest worker: applies spool batches to the store in a data dir.

Why another process: decoding records and writing SQLite is CPU work; on the training
process's sender thread it would compete with the training loop for the GIL (doubling what
``log()`` costs) and would load SQLAlchemy and numpy into the training process. The sender
thread only moves bytes through a pipe or a socket, which releases the GIL.

It runs inside the shared ingest service (:mod:`.service`), one thread per connection, or
as a child process of one run (``python -m trailmark.sdk.local_ingest.worker DATA_DIR
[DB_URL]``) speaking on stdin and stdout. Either way: frames in, one answer line per frame
out (:mod:`.framing`); the end of the input ends it. The service also ships the spools it
adopted from finished runs (:func:`ship_adopted`) with the same store writes.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import orjson

from trailmark.sdk.local_ingest.framing import answer, read_frame
from trailmark.sdk.transports import LocalTransport, PermanentError, TransientError


def serve(
    data_dir: Path,
    db_url: str | None,
    inp: BinaryIO,
    out: BinaryIO,
    writer_lock: Callable[[object], threading.Lock] | None = None,
) -> None:
    """Apply every frame read from ``inp`` to the store, answering each on ``out``.

    ``writer_lock``: held while a frame of that writer applies (the service's, so that an
    adopted spool of the same writer never applies at the same time).
    """
    transport = LocalTransport(data_dir, db_url)
    try:
        transport.open()
        while (frame := read_frame(inp)) is not None:
            header_line, lines = frame
            error: PermanentError | TransientError | None = None
            header = orjson.loads(header_line)
            writer = header.get("writer") if isinstance(header, dict) else None
            held = writer_lock(writer) if writer_lock else contextlib.nullcontext()
            try:
                with held:
                    transport.deliver(header, lines)
            except (PermanentError, TransientError) as exc:
                error = exc
            out.write(answer(error))
            out.flush()
    finally:
        transport.close()


def ship_adopted(
    path: Path,
    data_dir: Path,
    db_url: str | None,
    writer_lock: Callable[[object], threading.Lock],
    patience: float,
) -> None:
    """In the service: store what is left of an adopted spool, then remove it.

    Transient failures (the database locked, a full disk) are retried for ``patience``
    seconds; then the spool stays, complete on disk, for ``trailmark sync``.
    """
    from trailmark.sdk import spool
    from trailmark.sdk.sender import retry_delay, ship_next

    try:
        header = spool.read_header(path)
    except (OSError, ValueError):
        return  # shipped and removed meanwhile (by trailmark sync), or not a spool
    transport = LocalTransport(data_dir, db_url)
    deadline = time.monotonic() + patience
    failures = 0
    try:
        with writer_lock(header.get("writer")), spool.SpoolCursor(path) as cursor:
            while True:
                try:
                    shipped, rejected = ship_next(cursor, header, transport)
                except TransientError:
                    failures += 1
                    if time.monotonic() > deadline:
                        return
                    time.sleep(retry_delay(failures, None))
                    continue
                failures = 0
                if not shipped and not rejected:
                    break
        if spool.count_lines_after(path, spool.read_ack(path)) == 0:
            spool.remove(path)
    except OSError:
        return  # the spool went (trailmark sync shipped it): nothing is left to do
    finally:
        transport.close()


def main() -> None:
    data_dir = Path(sys.argv[1])
    db_url = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    serve(data_dir, db_url, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()

"""The local ingest worker: applies spool batches to the store in a data dir.

Why another process: decoding records and writing SQLite is CPU work; on the training
process's sender thread it would compete with the training loop for the GIL (doubling what
``log()`` costs) and would load SQLAlchemy and numpy into the training process. The sender
thread only moves bytes through a pipe or a socket, which releases the GIL.

It runs inside the shared ingest service (:mod:`.service`), one thread per connection, or
as a child process of one run (``python -m trailmark.sdk.local_ingest.worker DATA_DIR
[DB_URL]``) speaking on stdin and stdout. Either way: frames in, one answer line per frame
out (:mod:`.framing`); the end of the input ends it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import orjson

from trailmark.sdk.local_ingest.framing import answer, read_frame
from trailmark.sdk.transports import LocalTransport, PermanentError, TransientError


def serve(data_dir: Path, db_url: str | None, inp: BinaryIO, out: BinaryIO) -> None:
    """Apply every frame read from ``inp`` to the store, answering each on ``out``."""
    transport = LocalTransport(data_dir, db_url)
    try:
        transport.open()
        while (frame := read_frame(inp)) is not None:
            header_line, lines = frame
            error: PermanentError | TransientError | None = None
            try:
                transport.deliver(orjson.loads(header_line), lines)
            except (PermanentError, TransientError) as exc:
                error = exc
            out.write(answer(error))
            out.flush()
    finally:
        transport.close()


def main() -> None:
    data_dir = Path(sys.argv[1])
    db_url = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    serve(data_dir, db_url, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()

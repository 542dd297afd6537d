"""The spool: an append-only file of JSON-line records, one per writer (process) of a run.

``log()`` writes a record with one ``os.write`` before it returns, so the record is in the
OS once the call returns and survives SIGKILL of the process. The writer holds an
exclusive ``flock`` on the file while it lives; ``trailmark sync`` uses that lock to tell
a live writer from a dead one. Shipped progress is kept beside it in ``<name>.ack``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Any

import orjson

SPOOL_SUFFIX = ".spool"
ACK_SUFFIX = ".ack"


class SpoolWriter:
    """Appends encoded records to a spool file; never raises on a full disk."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.dropped = 0
        self.last_error: OSError | None = None
        if os.fstat(self._fd).st_size == 0:
            self.write(orjson.dumps(header) + b"\n")

    def write(self, data: bytes) -> bool:
        """Append ``data``; on a full disk count it as dropped and return False."""
        written = 0
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write only happens near a full disk
                written += os.write(self._fd, data[written:])
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            if written:
                # Take back the torn start of the record, or the next record would be
                # glued to it and the line refused as malformed.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, os.fstat(self._fd).st_size - written)
            self.dropped += 1
            self.last_error = exc
            return False
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_header(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        first = f.readline()
    if not first.endswith(b"\n"):
        raise ValueError(f"{path} has no complete header line")
    header = orjson.loads(first)
    if not isinstance(header, dict) or header.get("t") != "hdr":
        raise ValueError(f"{path} does not start with a spool header")
    return header


def read_lines(
    path: Path, offset: int, max_bytes: int, max_lines: int | None = None
) -> tuple[list[bytes], int]:
    """Complete record lines from ``offset`` (at most about ``max_bytes``, and at most
    ``max_lines`` of them), and the next offset.

    A trailing line without its newline (a write in progress) is left for the next read.
    """
    with path.open("rb") as f:
        if offset == 0:
            offset = len(f.readline())
        f.seek(offset)
        data = f.read(max_bytes)
        if len(data) == max_bytes:
            # Finish the line we cut, so a record larger than max_bytes still ships.
            rest = f.readline()
            data += rest
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    body = data[: end + 1]
    if max_lines is not None and body.count(b"\n") > max_lines:
        *kept, rest = body.split(b"\n", max_lines)
        return [line for line in kept if line], offset + len(body) - len(rest)
    lines = [line for line in body.split(b"\n") if line]
    return lines, offset + end + 1


def ack_path(path: Path) -> Path:
    return path.with_suffix(ACK_SUFFIX)


def read_ack(path: Path) -> int:
    try:
        return int(ack_path(path).read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def write_ack(path: Path, offset: int) -> None:
    tmp = ack_path(path).with_suffix(".ack.tmp")
    tmp.write_text(str(offset))
    os.replace(tmp, ack_path(path))


def writer_is_alive(path: Path) -> bool:
    """Whether a live process still holds the spool's lock."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def count_lines_after(path: Path, offset: int) -> int:
    """How many complete records lie after ``offset``."""
    with contextlib.suppress(FileNotFoundError), path.open("rb") as f:
        if offset == 0:
            f.readline()
        else:
            f.seek(offset)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return 0


def remove(path: Path) -> None:
    for p in (path, ack_path(path)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


class NullWriter:
    """A spool that keeps nothing, for ``mode="disabled"``."""

    def __init__(self) -> None:
        self.path = Path(os.devnull)
        self.dropped = 0
        self.last_error: OSError | None = None

    def write(self, data: bytes) -> bool:
        return True

    def close(self) -> None:
        pass

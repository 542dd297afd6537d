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

from trailmark.private_files import make_private_dir

SPOOL_SUFFIX = ".spool"
ACK_SUFFIX = ".ack"


class SpoolWriter:
    """Appends encoded records to a spool file; never raises on a full disk."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        make_private_dir(path.parent)
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

    def fileno(self) -> int:
        """The descriptor that holds the writer's lock (the ingest service may adopt it)."""
        return self._fd

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
    with SpoolCursor(path) as cursor:
        return cursor.read(offset, max_bytes, max_lines)


ACK_WIDTH = 20
"""Acks are written in place, zero-padded to one width, so an ack never leaves a longer
older one's tail behind and never needs a temporary file and a rename."""


class SpoolCursor:
    """Reads a spool's records after its ack and records new acks, with both files kept
    open: a sender shipping every few tens of milliseconds pays two system calls a batch
    instead of opening, reading and replacing files each time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        self._ack_fd = -1
        self._header_end: int | None = None
        self.acked = read_ack(path)
        self.cut_short = False
        """Whether the last :meth:`read` stopped at its limits with more complete lines left."""

    def __enter__(self) -> SpoolCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(
        self, offset: int, max_bytes: int, max_lines: int | None = None
    ) -> tuple[list[bytes], int]:
        """Complete record lines from ``offset`` (see :func:`read_lines`)."""
        self.cut_short = False
        if offset == 0:
            offset = self._skip_header()
        size = os.fstat(self._fd).st_size
        if size <= offset:
            return [], offset
        data = os.pread(self._fd, min(size - offset, max_bytes), offset)
        if len(data) == max_bytes:
            # Finish the line we cut, so a record larger than max_bytes still ships.
            data += self._rest_of_line(offset + len(data))
            self.cut_short = True
        end = data.rfind(b"\n")
        if end < 0:
            return [], offset
        body = data[: end + 1]
        if max_lines is not None and body.count(b"\n") > max_lines:
            *kept, rest = body.split(b"\n", max_lines)
            self.cut_short = True
            return [line for line in kept if line], offset + len(body) - len(rest)
        lines = body.split(b"\n")
        lines.pop()  # the empty string after the last newline
        if b"" in lines:
            lines = [line for line in lines if line]
        return lines, offset + end + 1

    def ack(self, offset: int) -> None:
        """Record that everything before ``offset`` is stored at the destination."""
        if self._ack_fd < 0:
            self._ack_fd = _open_ack(self.path)
        _put_ack(self._ack_fd, offset)
        self.acked = offset

    def close(self) -> None:
        for fd in (self._fd, self._ack_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._ack_fd = -1

    def _skip_header(self) -> int:
        if self._header_end is not None:
            return self._header_end
        first = self._rest_of_line(0)
        if first.endswith(b"\n"):
            self._header_end = len(first)
        return len(first)

    def _rest_of_line(self, start: int) -> bytes:
        parts: list[bytes] = []
        while True:
            block = os.pread(self._fd, 64 * 1024, start)
            if not block:
                return b"".join(parts)
            cut = block.find(b"\n")
            if cut >= 0:
                parts.append(block[: cut + 1])
                return b"".join(parts)
            parts.append(block)
            start += len(block)


def ack_path(path: Path) -> Path:
    return path.with_suffix(ACK_SUFFIX)


def read_ack(path: Path) -> int:
    try:
        return int(ack_path(path).read_bytes().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def write_ack(path: Path, offset: int) -> None:
    """Record an ack in place (the same file a live :class:`SpoolCursor` writes)."""
    fd = _open_ack(path)
    try:
        _put_ack(fd, offset)
    finally:
        os.close(fd)


def _open_ack(path: Path) -> int:
    return os.open(ack_path(path), os.O_WRONLY | os.O_CREAT, 0o600)


def _put_ack(fd: int, offset: int) -> None:
    os.pwrite(fd, b"%0*d" % (ACK_WIDTH, offset), 0)


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

"""The spool: an append-only file of JSON-line records, one per writer (process) of a run.

``log()`` writes a record with one ``os.write`` before it returns, so the record is in the
OS once the call returns and survives SIGKILL of the process. The writer holds an
exclusive ``flock`` on the file while it lives; ``trailmark sync`` uses that lock to tell
a live writer from a dead one. Shipped progress is kept beside it in ``<name>.ack``.

Shipped records give their disk blocks back (:mod:`trailmark.sdk.holes`): after an ack, the
whole blocks before the last shipped record are punched out of the file, so with a healthy
destination a spool takes a few blocks however long the run. Offsets never move (the file
keeps its size; a punched range reads as NULs), so the ack, ``trailmark sync`` and a spool
half shipped by an older SDK work as before; the header's block and the last shipped record
are kept whole (``sync`` reads both). A reader that starts inside a punched range (an ack
that went back: two shippers, a lost ack write) skips it and the record it cuts, all of
them shipped already.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from trailmark.private_files import make_private_dir
from trailmark.sdk import holes

SPOOL_SUFFIX = ".spool"
ACK_SUFFIX = ".ack"
RESERVE_SUFFIX = ".reserve"
RESERVE_BYTES = 64 * 1024
"""Room kept aside for the run's finish record: a file of this size beside the spool,
deleted to make room when the finish record meets a full disk (a traceback is kept to
20,000 characters, so the record fits)."""
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class SpoolWriter:
    """Appends encoded records to a spool file; never raises on a full disk."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        make_private_dir(path.parent)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.dropped = 0
        self.last_error: OSError | None = None
        self.make_room: Callable[[bool], bool] | None = None
        """Set by the run's sender: called on a full disk (with whether the record is
        essential), it ships and reclaims what it can and says whether to try again."""
        if os.fstat(self._fd).st_size == 0:
            self.write(orjson.dumps(header) + b"\n")
        self._reserved = _reserve(reserve_path(path))

    def write(self, data: bytes, essential: bool = False) -> bool:
        """Append ``data``; on a full disk count it as dropped and return False.

        Before dropping, the sender may make room (:attr:`make_room`); an ``essential``
        record (the finish record) may also take the room held in reserve.
        """
        while True:
            full = self._append(data)
            if full is None:
                return True
            if self.make_room is not None and self.make_room(essential):
                continue
            if essential and self._reserved:
                self._reserved = False
                with contextlib.suppress(OSError):
                    reserve_path(self.path).unlink()
                continue
            self.dropped += 1
            self.last_error = full
            return False

    def _append(self, data: bytes) -> OSError | None:
        """One record appended whole, or the full disk's error and nothing appended."""
        written = 0
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write only happens near a full disk
                written += os.write(self._fd, data[written:])
        except OSError as exc:
            if exc.errno not in _DISK_FULL:
                raise
            if written:
                # Take back the torn start of the record, or the next record would be
                # glued to it and the line refused as malformed.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, os.fstat(self._fd).st_size - written)
            return exc
        return None

    def fileno(self) -> int:
        """The descriptor that holds the writer's lock (the ingest service may adopt it)."""
        return self._fd

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._reserved:
            self._reserved = False
            with contextlib.suppress(OSError):
                reserve_path(self.path).unlink()


def _reserve(path: Path) -> bool:
    """Write the finish record's reserve; False (and no file) on a disk already full."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        return False
    try:
        os.write(fd, bytes(RESERVE_BYTES))
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        return False
    os.close(fd)
    return True


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
    instead of opening, reading and replacing files each time. An ack gives the blocks of
    the records it covers back to the filesystem (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        self._ack_fd = -1
        self._punch_fd = -1
        self._header_end: int | None = None
        self.acked = read_ack(path)
        self.cut_short = False
        """Whether the last :meth:`read` stopped at its limits with more complete lines left."""
        self._read_end = -1
        self._last_line_start = -1
        """Where the last line of the last :meth:`read` starts: reclaiming stops before it."""
        self._reclaimed_to: int | None = -1
        """Where the blocks given back so far end (-1: none yet; None: not possible here)."""

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
        hole = data.find(b"\0")
        if hole >= 0 and self._is_hole(offset + hole):
            # Blocks already shipped and given back (read as NULs): the lines before
            # them now, the lines after them on the next read.
            data = data[:hole]
            self.cut_short = True
            if b"\n" not in data:  # the record at offset runs into them: shipped too
                after = self._past_hole(offset + hole)
                return self.read(after, max_bytes, max_lines) if after > offset else ([], offset)
        elif len(data) == max_bytes:
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
            body = body[: len(body) - len(rest)]
            self._note_read(offset, body)
            return [line for line in kept if line], offset + len(body)
        lines = body.split(b"\n")
        lines.pop()  # the empty string after the last newline
        if b"" in lines:
            lines = [line for line in lines if line]
        self._note_read(offset, body)
        return lines, offset + end + 1

    def _note_read(self, offset: int, body: bytes) -> None:
        self._read_end = offset + len(body)
        self._last_line_start = offset + body.rfind(b"\n", 0, len(body) - 1) + 1

    def _is_hole(self, offset: int) -> bool:
        return holes.next_data(self._fd, offset) > offset

    def _past_hole(self, offset: int) -> int:
        """The first line after the punched range at ``offset``: the line that range cuts
        (it was shipped: ranges end before the last shipped record) is skipped too."""
        data_at = holes.next_data(self._fd, offset)
        rest = self._rest_of_line(data_at)
        return data_at + len(rest) if rest.endswith(b"\n") else data_at

    def ack(self, offset: int) -> None:
        """Record that everything before ``offset`` is stored at the destination, then give
        back the blocks of the records it covers (all but the last one's)."""
        if self._ack_fd < 0:
            self._ack_fd = _open_ack(self.path)
        _put_ack(self._ack_fd, offset)
        self.acked = offset
        if offset == self._read_end:
            self._reclaim(self._last_line_start)

    def _reclaim(self, before: int) -> None:
        """Punch out the whole blocks between the header's block and ``before``."""
        if self._reclaimed_to is None:
            return
        if self._punch_fd < 0:
            try:
                self._punch_fd = os.open(self.path, os.O_WRONLY)
            except OSError:  # a spool we may read but not change: it keeps its blocks
                self._reclaimed_to = None
                return
        block = os.fstat(self._punch_fd).st_blksize or 4096
        if self._reclaimed_to < 0:
            self._reclaimed_to = -(-self._skip_header() // block) * block
        end = before // block * block
        if end <= self._reclaimed_to:
            return
        try:
            punched = holes.punch(self._punch_fd, self._reclaimed_to, end)
        except OSError:  # a passing failure: the next ack tries again from the same place
            return
        self._reclaimed_to = end if punched else None

    def close(self) -> None:
        for fd in (self._fd, self._ack_fd, self._punch_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._ack_fd = self._punch_fd = -1

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


def reserve_path(path: Path) -> Path:
    return path.with_suffix(RESERVE_SUFFIX)


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
    for p in (path, ack_path(path), reserve_path(path)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()

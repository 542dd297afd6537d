"""The sender: a background thread that ships a spool through a transport.

It reads complete lines after the acknowledged offset, ships them in batches, and
advances the offset only after the transport says they are stored. Transient failures
back off exponentially (waiting at least what ``Retry-After`` asks); a batch refused for
good is split until the bad records are isolated, set aside in ``<spool>.rejected`` with
the reason, and shipping goes on. Memory stays bounded: the backlog lives in the file, not
a queue, and while the destination is failing each retry sends one small batch as a probe
(so a long outage does not mean re-reading and re-encoding megabytes at every attempt).

Each ack gives the shipped records' blocks back (see :mod:`trailmark.sdk.spool`). When the
spool itself has filled its disk (its unshipped records take a quarter of the filesystem or
more) while the destination answers, the writer asks :meth:`Sender.make_room` before it
drops a record: ``log()`` waits for the next batch to be shipped and reclaimed (at most
:data:`ROOM_WAIT` seconds) instead of losing records to a full disk. A disk filled by
something else, or a destination that is failing, never makes ``log()`` wait.
"""

from __future__ import annotations

import os
import random
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from trailmark.limits import MAX_RECORDS_PER_BATCH
from trailmark.sdk import spool
from trailmark.sdk.transports import PermanentError, TransientError, Transport

MAX_BATCH_BYTES = 8 * 1024 * 1024
PROBE_BATCH_BYTES = 64 * 1024
"""The batch size while the destination is failing: enough to tell when it is back."""
POLL_INTERVAL = 0.1
FAST_POLL_INTERVAL = 0.02
"""The wait after a batch that left nothing behind, counted from the batch's start: while
a loop logs fast, batches go out every few tens of milliseconds and the store keeps pace
instead of catching up in ``finish()``; each empty poll doubles the wait up to
:data:`POLL_INTERVAL`. A transport may ask for a longer one (``ship_interval``): over
HTTP each request costs the server far more than a point does, so a server's writers
send a few larger batches a second instead of one per round trip. A batch cut short by
the size limits is followed at once by the next, whatever the interval."""
MAX_BACKOFF = 30.0
ROOM_WAIT = 10.0
"""The longest a write on a full disk waits for the sender to ship and reclaim; after a
wait that saw no progress, later writes do not wait until the sender moves on."""
SPOOL_SHARE_WORTH_WAITING = 4
"""A full disk is the spool's doing when its unshipped records take at least 1/4 of it."""


@dataclass(frozen=True)
class ShipReport:
    """What is left in a spool after shipping stopped."""

    path: Path
    remaining: int
    rejected: int
    last_error: str | None
    handed_off: bool = False
    """The local ingest service took the spool over and stores the rest (see
    :mod:`trailmark.sdk.local_ingest.adopt`); nothing is left to ship from here."""

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def ship_available(
    path: Path,
    header: dict[str, Any],
    transport: Transport,
    *,
    max_bytes: int = MAX_BATCH_BYTES,
) -> tuple[int, int]:
    """Ship one batch after the ack offset; return (records shipped, records rejected).

    Raises :class:`TransientError` when the destination should be retried later.
    """
    with spool.SpoolCursor(path) as cursor:
        return ship_next(cursor, header, transport, max_bytes=max_bytes)


def ship_next(
    cursor: spool.SpoolCursor,
    header: dict[str, Any],
    transport: Transport,
    *,
    max_bytes: int = MAX_BATCH_BYTES,
) -> tuple[int, int]:
    """:func:`ship_available` through a cursor the caller keeps open between batches."""
    lines, new_offset = cursor.read(cursor.acked, max_bytes, MAX_RECORDS_PER_BATCH)
    if not lines:
        return 0, 0
    rejected = _deliver_isolating_bad(cursor.path, header, transport, lines)
    try:
        cursor.ack(new_offset)
    except OSError as exc:  # e.g. a full disk: shipping again later is harmless
        raise TransientError(f"cannot record what was shipped in {cursor.path}: {exc}") from exc
    return len(lines) - rejected, rejected


def _deliver_isolating_bad(
    path: Path, header: dict[str, Any], transport: Transport, lines: list[bytes]
) -> int:
    try:
        transport.deliver(header, lines)
        return 0
    except PermanentError as exc:
        if len(lines) == 1:
            _set_aside(path, lines[0], str(exc))
            return 1
    middle = len(lines) // 2
    return _deliver_isolating_bad(path, header, transport, lines[:middle]) + _deliver_isolating_bad(
        path, header, transport, lines[middle:]
    )


def _set_aside(path: Path, line: bytes, reason: str) -> None:
    entry = orjson.dumps({"reason": reason, "record": line.decode("utf-8", "replace")})
    where = f"set aside in {path.with_suffix('.rejected')}"
    try:
        with path.with_suffix(".rejected").open("ab") as f:
            f.write(entry + b"\n")
    except OSError as exc:
        where = f"dropped (it could not be set aside: {exc}): {line[:200]!r}"
    warnings.warn(f"trailmark: a record was refused and {where}: {reason}", stacklevel=1)


def retry_delay(failures: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter; never sooner than the server's ``Retry-After``."""
    backoff = min(MAX_BACKOFF, 0.2 * 2.0**failures) * (0.75 + random.random() / 2)
    if retry_after is None:
        return backoff
    # The server said when to come back: not sooner, and a little later for some
    # senders so that a crowd of them does not return all in the same instant.
    return min(retry_after, 3600.0) * (1 + random.random() / 4)


class Sender:
    """Ships one spool in the background until stopped and drained."""

    def __init__(self, path: Path, header: dict[str, Any], transport: Transport) -> None:
        self.path = path
        self.header = header
        self.transport = transport
        self.rejected = 0
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drained = threading.Event()
        self._abandoned = threading.Event()
        self._thread = threading.Thread(target=self._run, name="trailmark-sender", daemon=True)
        self._progress = threading.Condition()
        self._shipped_to = spool.read_ack(path)
        """The spool offset shipped (and reclaimed) so far; guarded by ``_progress``."""
        self._failing = False
        self._stalled_at = -1

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def make_room(self, essential: bool = False) -> bool:
        """Called by the spool's writer on a full disk (in the training thread): ship and
        reclaim the backlog now and say whether there may be room, or False at once where
        waiting would not help (see the module's docstring). An ``essential`` record (the
        finish record) waits for any backlog, not only one that filled the disk."""
        with self._progress:
            shipped_to = self._shipped_to
            if self._failing or shipped_to == self._stalled_at or not self._thread.is_alive():
                return False
        try:
            backlog = os.stat(self.path).st_size - shipped_to
            disk = os.statvfs(self.path.parent)
        except OSError:
            return False
        worth = 1 if essential else disk.f_blocks * disk.f_frsize // SPOOL_SHARE_WORTH_WAITING
        if backlog < worth:
            return False
        with self._progress:
            self._wake.set()
            self._progress.wait_for(
                lambda: (
                    self._shipped_to != shipped_to or self._failing or not self._thread.is_alive()
                ),
                ROOM_WAIT,
            )
            moved = self._shipped_to != shipped_to
            if not moved:
                self._stalled_at = shipped_to
        return moved

    def _shipped(self, shipped_to: int, failing: bool) -> None:
        with self._progress:
            self._shipped_to = shipped_to
            self._failing = failing
            self._progress.notify_all()

    def _run(self) -> None:
        try:
            with spool.SpoolCursor(self.path) as cursor:
                self._ship_until_stopped(cursor)
        except Exception as exc:  # never let the sender die silently
            self.last_error = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"trailmark: the sender stopped: {self.last_error}", stacklevel=1)
        finally:
            self._shipped(self._shipped_to, failing=True)  # no writer waits on us any more

    def _ship_until_stopped(self, cursor: spool.SpoolCursor) -> None:
        failures = 0
        interval = max(FAST_POLL_INTERVAL, getattr(self.transport, "ship_interval", 0.0))
        idle_wait = interval
        prepare = getattr(self.transport, "prepare", None)
        if prepare is not None:
            prepare()
        while True:
            stopping = self._stopping.is_set()
            if self._abandoned.is_set():
                return
            started = time.monotonic()
            try:
                shipped, rejected = ship_next(
                    cursor,
                    self.header,
                    self.transport,
                    max_bytes=PROBE_BATCH_BYTES if failures else MAX_BATCH_BYTES,
                )
                self.rejected += rejected
                failures = 0
                self.last_error = None
                self._shipped(cursor.acked, failing=False)
            except TransientError as exc:
                failures += 1
                self.last_error = str(exc)
                self._shipped(cursor.acked, failing=True)
                delay = retry_delay(failures, exc.retry_after)
                if exc.retry_after is not None:
                    time.sleep(delay)  # the server's wish: not cut short, even by finish()
                else:
                    self._wake.wait(delay)  # finish() cuts a backoff short, once
                    self._wake.clear()
                continue
            if shipped or rejected:
                idle_wait = interval
                if cursor.cut_short or self._stopping.is_set():
                    continue
                # Jittered, so that writers started together (the ranks of one job) do
                # not all send in the same instant and wait on each other at the server.
                wait = interval * (0.75 + random.random() / 2) - (time.monotonic() - started)
            elif stopping:
                self._drained.set()
                return
            else:
                wait = idle_wait
                idle_wait = min(max(POLL_INTERVAL, interval), idle_wait * 2)
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()

    def abandon(self, timeout: float) -> None:
        """Stop at once without draining: whoever took the spool over ships the rest."""
        self._abandoned.set()
        self._wake.set()
        self._thread.join(timeout)

    def stop(self, timeout: float | None) -> ShipReport:
        """Ship what is left, waiting at most ``timeout`` seconds; report what remains."""
        self._stopping.set()
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.is_alive():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            self._thread.join(0.05 if left is None else min(0.05, left))
        if self._drained.is_set():
            self.transport.close()
        remaining = spool.count_lines_after(self.path, spool.read_ack(self.path))
        return ShipReport(self.path, remaining, self.rejected, self.last_error)

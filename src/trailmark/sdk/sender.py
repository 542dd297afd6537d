"""The sender: a background thread that ships a spool through a transport.

It reads complete lines after the acknowledged offset, ships them in batches, and
advances the offset only after the transport says they are stored. Transient failures
back off exponentially (honouring ``Retry-After``); a batch refused for good is split
until the bad records are isolated, set aside in ``<spool>.rejected`` with the reason,
and shipping goes on. Memory stays bounded: the backlog lives in the file, not a queue.
"""

from __future__ import annotations

import random
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from trailmark.sdk import spool
from trailmark.sdk.transports import PermanentError, TransientError, Transport

MAX_BATCH_BYTES = 8 * 1024 * 1024
POLL_INTERVAL = 0.1
MAX_BACKOFF = 30.0


@dataclass(frozen=True)
class ShipReport:
    """What is left in a spool after shipping stopped."""

    path: Path
    remaining: int
    rejected: int
    last_error: str | None

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
    offset = spool.read_ack(path)
    lines, new_offset = spool.read_lines(path, offset, max_bytes)
    if not lines:
        return 0, 0
    rejected = _deliver_isolating_bad(path, header, transport, lines)
    spool.write_ack(path, new_offset)
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
    with path.with_suffix(".rejected").open("ab") as f:
        f.write(entry + b"\n")
    warnings.warn(
        f"trailmark: a record was refused and set aside in {path.with_suffix('.rejected')}: {reason}",
        stacklevel=1,
    )


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
        self._thread = threading.Thread(target=self._run, name="trailmark-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        failures = 0
        prepare = getattr(self.transport, "prepare", None)
        if prepare is not None:
            prepare()
        try:
            while True:
                stopping = self._stopping.is_set()
                try:
                    shipped, rejected = ship_available(self.path, self.header, self.transport)
                    self.rejected += rejected
                    failures = 0
                    self.last_error = None
                except TransientError as exc:
                    failures += 1
                    self.last_error = str(exc)
                    delay = exc.retry_after or min(MAX_BACKOFF, 0.2 * 2**failures)
                    self._wake.wait(delay * (0.75 + random.random() / 2))
                    self._wake.clear()
                    continue
                if shipped or rejected:
                    continue
                if stopping:
                    self._drained.set()
                    return
                self._wake.wait(POLL_INTERVAL)
                self._wake.clear()
        except Exception as exc:  # never let the sender die silently
            self.last_error = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"trailmark: the sender stopped: {self.last_error}", stacklevel=1)

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
            self._wake.set()
        if self._drained.is_set():
            self.transport.close()
        remaining = spool.count_lines_after(self.path, spool.read_ack(self.path))
        return ShipReport(self.path, remaining, self.rejected, self.last_error)

"""The sender's pace: a transport's ship interval bounds its requests, a backlog goes at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson

from tests.support import wait_for
from trailmark.sdk import sender as sender_module
from trailmark.sdk import spool
from trailmark.sdk.sender import Sender

HEADER = {"t": "hdr", "run": "r1", "project": "p", "writer": "w1", "rank": 0, "host": "h"}


class CountingTransport:
    """Keeps the q of every record delivered, and when each batch came."""

    def __init__(self, ship_interval: float) -> None:
        self.ship_interval = ship_interval
        self.batches: list[tuple[float, list[int]]] = []
        self._lock = threading.Lock()

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        with self._lock:
            self.batches.append((time.monotonic(), [orjson.loads(x)["q"] for x in lines]))

    def close(self) -> None:
        pass

    @property
    def delivered(self) -> list[int]:
        return [q for _, qs in self.batches for q in qs]


def _record(q: int) -> bytes:
    return orjson.dumps({"t": "m", "q": q, "s": q, "w": 1.0, "d": {"x": 1.0}}) + b"\n"


def _started(
    tmp_path: Path, ship_interval: float
) -> tuple[spool.SpoolWriter, CountingTransport, Sender]:
    path = tmp_path / "w1.spool"
    writer = spool.SpoolWriter(path, HEADER)
    transport = CountingTransport(ship_interval)
    sender = Sender(path, HEADER, transport)
    sender.start()
    return writer, transport, sender


def test_a_steady_writer_sends_about_one_batch_per_interval(tmp_path: Path) -> None:
    writer, transport, sender = _started(tmp_path, ship_interval=0.2)
    started = time.monotonic()
    q = 0
    while time.monotonic() - started < 1.2:  # ~500 records a second for 1.2 s
        q += 1
        writer.write(_record(q))
        time.sleep(0.002)
    report = sender.stop(timeout=10)
    writer.close()
    assert report.complete
    assert transport.delivered == list(range(1, q + 1))
    # Without the interval this would be a batch every few milliseconds: hundreds.
    assert 3 <= len(transport.batches) <= 12, len(transport.batches)


def test_a_backlog_larger_than_a_batch_is_not_held_back_by_the_interval(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(sender_module, "MAX_RECORDS_PER_BATCH", 100)
    path = tmp_path / "w1.spool"
    writer = spool.SpoolWriter(path, HEADER)
    for q in range(1, 1001):
        writer.write(_record(q))
    transport = CountingTransport(ship_interval=5.0)
    sender = Sender(path, HEADER, transport)
    sender.start()
    wait_for(lambda: len(transport.delivered) >= 1000, 3, "1000 records", interval=0.01)
    assert transport.delivered == list(range(1, 1001)), "ten full batches, back to back"
    report = sender.stop(timeout=5)
    writer.close()
    assert report.complete


def test_finish_ships_at_once_whatever_the_interval(tmp_path: Path) -> None:
    writer, transport, sender = _started(tmp_path, ship_interval=30.0)
    writer.write(_record(1))
    time.sleep(0.1)  # the first batch goes out; the next waits up to 30 s
    writer.write(_record(2))
    started = time.monotonic()
    report = sender.stop(timeout=10)
    writer.close()
    assert time.monotonic() - started < 2
    assert report.complete
    assert transport.delivered == [1, 2]

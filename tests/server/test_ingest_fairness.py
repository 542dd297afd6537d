"""One huge ingest request does not starve the other writers (issue 16, item 6): the writer
applies it in slices, and batches that arrive meanwhile are applied between the slices."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support import wait_for
from trailmark.server.ingest_queue import IngestQueue, slices
from trailmark.store.ingest import Batch, Ingestor, IngestResult
from trailmark.store.store import Store

NDJSON = "application/x-ndjson"


def body(run: str, records: list[dict[str, Any]]) -> bytes:
    envelope = {"run": run, "project": "p", "writer": "w"}
    return b"\n".join(orjson.dumps(x) for x in [envelope, *records]) + b"\n"


def wide_records(count: int, keys: int) -> list[dict[str, Any]]:
    """``count`` steps of ``keys`` distinct metrics each (per-layer statistics)."""
    return [
        {
            "t": "m",
            "q": q,
            "s": q,
            "w": 1.0 * q,
            "d": {f"layer{k}/norm": float(q) for k in range(keys)},
        }
        for q in range(1, count + 1)
    ]


class FirstGroupGate(Ingestor):
    """The real ingestor; its first group waits until the test lets it go on."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.db)
        self.go = threading.Event()
        self.applied: list[list[str]] = []

    def ingest_many(
        self, batches: Sequence[Batch], *, busy: bool = False, checked: bool = False
    ) -> list[IngestResult | Exception]:
        if not self.applied:
            assert self.go.wait(30), "the test never let the first group go on"
        self.applied.append([envelope.run_id for envelope, _ in batches])
        return super().ingest_many(batches, busy=busy, checked=checked)


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url, tmp_path)
    yield opened
    opened.close()


def test_a_small_batch_is_answered_while_a_huge_one_is_applied(store: Store) -> None:
    ingestor = FirstGroupGate(store)
    queue = IngestQueue(ingestor, slice_values=1_000)
    finished: list[str] = []

    def note(name: str, future: Future[IngestResult]) -> None:
        future.add_done_callback(lambda _: finished.append(name))

    try:
        huge = queue.submit(body("huge", wide_records(40, 250)), NDJSON)
        note("huge", huge)
        wait_for(huge.running, 10, "the writer to start on the huge request")
        small = queue.submit(body("small", wide_records(1, 1)), NDJSON)
        note("small", small)
        ingestor.go.set()
        assert huge.result(60).accepted == 40 and small.result(60).accepted == 1
    finally:
        queue.stop()
    assert finished == ["small", "huge"], ingestor.applied
    assert len(ingestor.applied) > 2  # the huge request went in slices
    assert len(store.metrics.keys("huge")) == 250


def test_slices_keep_the_records_in_order_and_hold_at_least_one_record() -> None:
    records = [*wide_records(5, 300), {"t": "c", "q": 6, "c": {"lr": 0.1}}]
    cut = list(slices(records, 500))
    assert [r for piece in cut for r in piece] == records
    assert [len(piece) for piece in cut] == [1, 1, 1, 1, 2]
    assert list(slices(wide_records(1, 5_000), 500)) == [wide_records(1, 5_000)]

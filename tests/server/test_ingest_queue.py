"""The ingest writer: group commit, answers after the commit, backpressure, draining at stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.support import wait_for
from trailmark.errors import InvalidInput, TooManyRequests, Unavailable
from trailmark.server.app import create_app
from trailmark.server.ingest_queue import IngestQueue
from trailmark.server.settings import ServerSettings
from trailmark.store.ingest import Batch, Ingestor, IngestResult
from trailmark.store.store import Store

NDJSON = "application/x-ndjson"


def body(run: str, writer: str, first_q: int, steps: int, project: str = "p") -> bytes:
    envelope = {"run": run, "project": project, "writer": writer}
    records = [
        {"t": "m", "q": q, "s": q, "w": 1000.0 + q, "d": {"loss": float(q)}}
        for q in range(first_q, first_q + steps)
    ]
    return b"\n".join(orjson.dumps(x) for x in [envelope, *records]) + b"\n"


class GatedIngestor(Ingestor):
    """The real ingestor, held at a gate: the test decides when a group may be applied."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.db)
        self.gate = threading.Event()
        self.started = threading.Event()
        self.groups: list[int] = []
        self.busy: list[bool] = []

    def ingest_many(
        self, batches: Sequence[Batch], *, busy: bool = False, checked: bool = False
    ) -> list[IngestResult | Exception]:
        self.started.set()
        assert self.gate.wait(30), "the test never opened the gate"
        self.groups.append(len(batches))
        self.busy.append(busy)
        return super().ingest_many(batches, busy=busy, checked=checked)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(data_dir=tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def gated(store: Store) -> GatedIngestor:
    return GatedIngestor(store)


def test_batches_queued_meanwhile_are_applied_together_each_once(
    store: Store, gated: GatedIngestor
) -> None:
    queue = IngestQueue(gated)
    first = queue.submit(body("r0", "w0", 1, 5), NDJSON)
    assert gated.started.wait(10)  # the writer holds the first group at the gate
    later = [queue.submit(body(f"r{i}", "w", 1, 5), NDJSON) for i in range(1, 6)]
    later.append(queue.submit(body("r1", "w", 1, 7), NDJSON))  # r1's retry, with 2 more
    gated.gate.set()
    assert first.result(10) == IngestResult(5, 0, 5)
    results = [f.result(10) for f in later]
    assert results[:5] == [IngestResult(5, 0, 5)] * 5
    assert results[5] == IngestResult(2, 5, 7)
    assert gated.groups == [1, 6]  # one transaction for the six queued meanwhile
    assert store.metrics.points("r1", "loss").steps.tolist() == list(range(1, 8))
    queue.stop()


def test_an_answer_comes_only_after_the_commit(store: Store, gated: GatedIngestor) -> None:
    queue = IngestQueue(gated)
    future = queue.submit(body("r1", "w", 1, 3), NDJSON)
    assert gated.started.wait(10)  # the group is being applied: not committed yet
    assert not future.done()
    with pytest.raises(Exception, match="does not exist"):
        store.runs.get_run("p", "r1")
    gated.gate.set()
    assert future.result(10).accepted == 3
    assert store.runs.get_run("p", "r1")["last_step"] == 3
    queue.stop()


def test_a_bad_batch_in_a_group_is_refused_alone(store: Store, gated: GatedIngestor) -> None:
    queue = IngestQueue(gated)
    blocker = queue.submit(body("r0", "w", 1, 1), NDJSON)
    assert gated.started.wait(10)
    good = queue.submit(body("r1", "w", 1, 2), NDJSON)
    not_json = queue.submit(b'{"run": "r2", "project": "p", "writer": "w"}\n{oops\n', NDJSON)
    bad_value = queue.submit(body("r3", "w", 1, 2).replace(b'"loss":1.0', b'"loss":"x"'), NDJSON)
    other_project = queue.submit(body("r1", "w2", 1, 1, project="q"), NDJSON)
    gated.gate.set()
    assert blocker.result(10).accepted == 1
    assert good.result(10) == IngestResult(2, 0, 2)
    with pytest.raises(InvalidInput, match="not valid JSON"):
        not_json.result(10)
    with pytest.raises(InvalidInput, match="non-numeric"):
        bad_value.result(10)
    with pytest.raises(Exception, match="another project"):
        other_project.result(10)
    assert store.metrics.points("r1", "loss").steps.tolist() == [1, 2]
    queue.stop()


def test_a_full_queue_refuses_with_retry_after(gated: GatedIngestor) -> None:
    one = body("r1", "w", 1, 50)
    queue = IngestQueue(gated, max_bytes=3 * len(one))
    taken = [queue.submit(body(f"r{i}", "w", 1, 50), NDJSON) for i in range(3)]
    with pytest.raises(TooManyRequests) as refused:
        queue.submit(body("r9", "w", 1, 50), NDJSON)
    assert refused.value.status == 429
    assert int(refused.value.headers()["Retry-After"]) >= 1
    assert queue.stats.throttled == 1
    gated.gate.set()
    assert all(f.result(10).accepted == 50 for f in taken)
    wait_for(lambda: queue.unanswered_bytes == 0, 10, "the queue to drain", interval=0.005)
    assert queue.submit(body("r9", "w", 1, 50), NDJSON).result(10).accepted == 50
    queue.stop()


def test_one_request_larger_than_the_queue_is_taken_when_the_queue_is_empty(
    store: Store,
) -> None:
    queue = IngestQueue(store.ingestor, max_bytes=100)
    assert queue.submit(body("r1", "w", 1, 20), NDJSON).result(10).accepted == 20
    queue.stop()


def test_stop_applies_what_is_queued_then_refuses(store: Store, gated: GatedIngestor) -> None:
    queue = IngestQueue(gated)
    futures = [queue.submit(body(f"r{i}", "w", 1, 4), NDJSON) for i in range(5)]
    assert gated.started.wait(10)
    stopper = threading.Thread(target=queue.stop)
    stopper.start()
    wait_for(lambda: queue._stopping, 10, "stop() to begin", interval=0.005)
    with pytest.raises(Unavailable):
        queue.submit(body("late", "w", 1, 1), NDJSON)
    gated.gate.set()
    stopper.join(10)
    assert not stopper.is_alive()
    assert [f.result(0).accepted for f in futures] == [4] * 5
    assert {r["id"] for r in store.runs.search_runs("p")[0]} == {f"r{i}" for i in range(5)}


def test_the_writer_survives_an_unexpected_failure(store: Store) -> None:
    class Flaky(Ingestor):
        calls = 0

        def ingest_many(
            self, batches: Sequence[Batch], *, busy: bool = False, checked: bool = False
        ) -> list[IngestResult | Exception]:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("boom")
            return super().ingest_many(batches, busy=busy, checked=checked)

    queue = IngestQueue(Flaky(store.db))
    with pytest.raises(RuntimeError, match="boom"):
        queue.submit(body("r1", "w", 1, 1), NDJSON).result(10)
    assert queue.submit(body("r1", "w", 1, 1), NDJSON).result(10).accepted == 1
    assert queue.unanswered_bytes == 0
    queue.stop()


def test_a_cancelled_request_is_not_applied(store: Store, gated: GatedIngestor) -> None:
    queue = IngestQueue(gated)
    queue.submit(body("r0", "w", 1, 1), NDJSON)
    assert gated.started.wait(10)
    cancelled: Future[IngestResult] = queue.submit(body("r1", "w", 1, 1), NDJSON)
    assert cancelled.cancel()
    gated.gate.set()
    queue.stop()
    assert gated.groups == [1]  # r1 never reached the store
    wait_for(lambda: queue.unanswered_bytes == 0, 10, "the queue to drain", interval=0.005)


def test_the_server_answers_429_with_retry_after_when_busy(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as client:
        gated = GatedIngestor(app.state.store)
        queue = IngestQueue(gated, max_bytes=1)
        app.state.ingest_queue = queue
        queue.submit(body("r0", "w", 1, 1), NDJSON)  # holds the writer at the gate
        response = client.post(
            "/api/v1/ingest", content=body("r1", "w", 1, 3), headers={"Content-Type": NDJSON}
        )
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "too_many_requests"
        gated.gate.set()
        wait_for(lambda: queue.unanswered_bytes == 0, 10, "the queue to drain", interval=0.005)
        response = client.post(
            "/api/v1/ingest", content=body("r1", "w", 1, 3), headers={"Content-Type": NDJSON}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": 3, "duplicates": 0, "last_seq": 3}
        queue.stop()
    app.state.store.close()


def test_the_server_drains_its_queue_at_shutdown(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path))
    store: Store = app.state.store
    gated = GatedIngestor(store)
    app.state.ingest_queue = IngestQueue(gated)
    with TestClient(app):
        futures = [
            app.state.ingest_queue.submit(body(f"r{i}", "w", 1, 2), NDJSON) for i in range(4)
        ]
        assert gated.started.wait(10)
        threading.Timer(0.2, gated.gate.set).start()
    # Leaving the client ran the app's shutdown, which waited for the queue.
    assert [f.result(0).accepted for f in futures] == [2] * 4
    assert store.metrics.points("r3", "loss").steps.tolist() == [1, 2]
    store.close()


def test_ndjson_bodies_parse_in_one_go_and_refuse_what_is_not_one_text_a_line() -> None:
    from trailmark.server.ingest_queue import parse_body

    envelope, records = parse_body(body("r1", "w1", 1, 3), NDJSON)
    assert envelope.run_id == "r1"
    assert [r["q"] for r in records] == [1, 2, 3]
    # Blank lines and CRLF endings are fine.
    spaced = body("r1", "w1", 1, 2).replace(b"\n", b"\r\n\n")
    assert [r["q"] for r in parse_body(spaced, NDJSON)[1]] == [1, 2]
    # Two halves of one object on two lines would be one text joined: still refused.
    halves = b'{"run":"r1","project":"p","writer":"w1"}\n{"t":"m","q":1,\n"s":1,"w":1.0,"d":{}}\n'
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_body(halves, NDJSON)
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_body(body("r1", "w1", 1, 2) + b"{oops\n", NDJSON)
    with pytest.raises(InvalidInput, match="empty batch"):
        parse_body(b"\n\n", NDJSON)
    assert parse_body(b'{"run":"r1","project":"p","writer":"w1"}\n', NDJSON)[1] == []


def test_a_group_with_requests_queued_behind_it_is_applied_as_busy(
    store: Store, gated: GatedIngestor
) -> None:
    queue = IngestQueue(gated, max_group_batches=2)
    first = queue.submit(body("r0", "w0", 1, 5), NDJSON)
    assert gated.started.wait(10)
    later = [queue.submit(body(f"r{i}", "w", 1, 5), NDJSON) for i in range(1, 6)]
    gated.gate.set()
    assert first.result(10) == IngestResult(5, 0, 5)
    assert [f.result(10) for f in later] == [IngestResult(5, 0, 5)] * 5
    assert gated.groups == [1, 2, 2, 1]
    # Compaction waits while others wait: only the groups with requests behind them.
    assert gated.busy == [False, True, True, False]
    queue.stop()


def test_lanes_apply_runs_side_by_side_each_runs_batches_in_order(store: Store) -> None:
    from trailmark.server.ingest_queue import prepare

    queue = IngestQueue(store.ingestor, lanes=2)
    futures = []
    for step in range(5):
        for run in range(6):
            sent = body(f"r{run}", "w", 1 + 3 * step, 3)
            if (step + run) % 2:  # parsed by the handler, or by the writer: the same lane
                futures.append(queue.submit_prepared(prepare(sent, NDJSON), len(sent)))
            else:
                futures.append(queue.submit(sent, NDJSON))
    results = [f.result(10) for f in futures]
    assert all(r.accepted == 3 and r.duplicates == 0 for r in results)
    for run in range(6):
        assert store.metrics.points(f"r{run}", "loss").steps.tolist() == list(range(1, 16))
    names = {t.name for t in threading.enumerate()}
    assert {"trailmark-ingest", "trailmark-ingest-1"} <= names
    queue.stop()
    assert queue.unanswered_bytes == 0


def test_a_server_refuses_a_malformed_body_of_any_size_with_a_clear_400(tmp_path: Path) -> None:
    from trailmark.server.ingest_queue import INLINE_PARSE_BYTES

    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as client:
        good = body("r1", "w", 1, 3)
        small = good.replace(b'"loss":2.0', b'"loss":"two"')
        large = body("r2", "w", 1, INLINE_PARSE_BYTES // 40).replace(b'"loss":7.0', b'"loss":[]')
        assert len(large) > INLINE_PARSE_BYTES  # parsed by the writer, not the handler
        for bad in (small, large, b"not json at all\n"):
            response = client.post("/api/v1/ingest", content=bad, headers={"Content-Type": NDJSON})
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "invalid_input"
        assert (
            "non-numeric"
            in client.post(
                "/api/v1/ingest", content=small, headers={"Content-Type": NDJSON}
            ).json()["error"]["message"]
        )
        response = client.post("/api/v1/ingest", content=good, headers={"Content-Type": NDJSON})
        assert response.json() == {"accepted": 3, "duplicates": 0, "last_seq": 3}
        assert "content-security-policy" in response.headers  # the lane is inside them
        assert client.get("/api/v1/ingest").status_code in (404, 405)  # not the lane's
    app.state.store.close()

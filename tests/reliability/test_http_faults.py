"""HTTP faults between the SDK and a real server, injected by ``faultproxy.py``: 5xx bursts
back off exponentially, ``429 Retry-After`` is honoured, a lost answer is retried without
doubling anything, and a record refused for good is set aside while later records flow."""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

import trailmark as tm
from tests.reliability.faultproxy import Drop, FaultProxy, ForwardThenDrop, Respond
from tests.reliability.helpers import Server

RETRY_AFTER = 2.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def log_until(run: tm.Run, done: object, start: int, timeout: float = 60) -> int:
    """Keep a training loop going (100 points every 20 ms) until ``done()``; return the next step."""
    deadline = time.monotonic() + timeout
    step = start
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out while the faults were pending"
        for _ in range(100):
            run.log({"loss": float(step)}, step=step)
            step += 1
        time.sleep(0.02)  # the pace of the training loop
    return step


def assert_stored_once(server: Server, run_id: str, key: str, steps: list[int]) -> None:
    with tm.Api(server.url) as api:
        rows = api.run(f"http/{run_id}").history(keys=[key])
        assert [r["_step"] for r in rows] == steps
        stats = {m["key"]: m["stats"] for m in api.backend.metric_keys("http", run_id)}
        assert stats[key]["n"] == len(steps)


def test_5xx_bursts_429_and_lost_answers_are_retried_without_loss_or_doubles(
    server: Server, tmp_path: Path
) -> None:
    with FaultProxy(server.url) as proxy:
        proxy.plan(
            Respond(503),
            Respond(502),
            Respond(500),
            Respond(503),
            Respond(429, retry_after=RETRY_AFTER),
            ForwardThenDrop(),  # the server commits the batch, the answer is lost
            Drop(),  # the client's immediate reconnect finds the connection dropped too
        )
        run = tm.init(project="http", id="flaky", url=proxy.url, dir=tmp_path / "client")
        steps = log_until(run, lambda: proxy.pending() == 0, 0)
        steps = log_until(run, lambda: True, steps)
        report = run.finish(timeout=60)
        events = proxy.events

    assert report is not None and report.complete, report
    assert_stored_once(server, "flaky", "loss", list(range(steps)))

    statuses = [e.status for e in events[:5]]
    assert statuses == [503, 502, 500, 503, 429], events[:6]
    gaps = [b.at - a.at for a, b in itertools.pairwise(events[:6])]
    burst = gaps[:4]
    assert burst == sorted(burst) and burst[0] >= 0.2, f"exponential backoff, got {burst}"
    assert gaps[4] >= RETRY_AFTER, f"Retry-After {RETRY_AFTER}s honoured, waited {gaps[4]:.2f}s"
    lost = [e for e in events if e.action.startswith("forward, then drop")]
    assert lost and lost[0].status == 200, "the server had applied the batch whose answer was lost"


def test_a_record_refused_for_good_is_set_aside_and_later_records_flow(
    server: Server, tmp_path: Path
) -> None:
    refusal = "record 0 (q=7): metric 'poison/x' is not acceptable here"
    with FaultProxy(server.url) as proxy, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proxy.rule(b'"poison/x"', Respond(400, message=refusal))
        run = tm.init(project="http", id="poisoned", url=proxy.url, dir=tmp_path / "client")
        for step in range(500):
            run.log({"loss": float(step)}, step=step)
        run.log({"poison/x": 1.0}, step=500)
        for step in range(500, 1000):
            run.log({"loss": float(step)}, step=step)
        report = run.finish(timeout=60)

    assert report is not None and report.complete and report.rejected == 1, report
    assert_stored_once(server, "poisoned", "loss", list(range(1000)))
    rejected_file = Path(run.spool_path).with_suffix(".rejected")
    (entry,) = [orjson.loads(line) for line in rejected_file.read_bytes().splitlines()]
    assert refusal in entry["reason"] and "poison/x" in entry["record"]
    messages = [str(w.message) for w in caught if "set aside" in str(w.message)]
    assert len(messages) == 1, messages
    assert str(rejected_file) in messages[0] and refusal in messages[0]

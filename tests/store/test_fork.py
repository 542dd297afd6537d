"""Forking in the store: the parent's history up to a step is copied into the new run."""

from __future__ import annotations

from trailmark.store.chunks import CHUNK_TARGET
from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

PARENT = Envelope(run_id="parent", project="proj", writer="w1")
CHILD = Envelope(run_id="child", project="proj", writer="w2")


def test_a_fork_shares_history_up_to_its_step(store: Store) -> None:
    steps = CHUNK_TARGET + 500  # one full chunk, and the fork point inside the second
    records = [{"t": "def", "q": 1, "k": "loss", "summary": "min"}]
    records += [
        {"t": "m", "q": i + 2, "s": i, "w": 1000.0 + i, "d": {"loss": 1.0 / (i + 1), "x": float(i)}}
        for i in range(steps)
    ]
    records.append({"t": "sys", "q": steps + 2, "w": 1001.0, "d": {"system/cpu.util": 5.0}})
    store.ingestor.ingest(PARENT, records)
    fork_at = CHUNK_TARGET + 100
    store.ingestor.ingest(
        CHILD,
        [
            {"t": "run", "q": 1, "name": "child", "fork_from": {"run": "parent", "step": fork_at}},
            {"t": "m", "q": 2, "s": fork_at + 1, "w": 9000.0, "d": {"x": -1.0}},
        ],
    )
    child = store.runs.get_run("proj", "child")
    assert child["metadata"]["fork"] == {"run": "parent", "step": fork_at, "project": "proj"}
    assert child["last_step"] == fork_at + 1
    assert child["summary"] == {"loss": 1.0 / (fork_at + 1), "x": -1.0}
    loss = store.metrics.points("child", "loss")
    assert loss.steps.tolist() == list(range(fork_at + 1))
    assert loss.values.tolist() == [1.0 / (i + 1) for i in range(fork_at + 1)]
    assert store.metrics.points("child", "x").steps.tolist() == [*range(fork_at + 1), fork_at + 1]
    keys = {m["key"]: m for m in store.metrics.keys("child")}
    assert set(keys) == {"loss", "x"}, "system metrics describe the parent's machine: not copied"
    assert keys["loss"]["summary"] == "min" and keys["loss"]["stats"]["n"] == fork_at + 1
    # Replays copy nothing twice; the parent is untouched, and can go without the child.
    store.ingestor.ingest(CHILD, [{"t": "run", "q": 1, "fork_from": {"run": "parent", "step": 5}}])
    assert len(store.metrics.points("child", "loss")) == fork_at + 1
    store.runs.delete_run("proj", "parent")
    assert len(store.metrics.points("child", "loss")) == fork_at + 1


def test_a_fork_from_a_missing_run_keeps_the_new_run_and_says_so(store: Store) -> None:
    store.ingestor.ingest(
        CHILD,
        [
            {"t": "run", "q": 1, "fork_from": {"run": "ghost", "step": 5}},
            {"t": "m", "q": 2, "s": 6, "w": 1.0, "d": {"x": 1.0}},
        ],
    )
    child = store.runs.get_run("proj", "child")
    assert "does not exist" in child["metadata"]["fork"]["error"]
    assert child["summary"] == {"x": 1.0}

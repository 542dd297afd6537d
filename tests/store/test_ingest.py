"""Ingest: records applied once, summaries kept, bad batches refused whole (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.database import Database
from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

ENV = Envelope(run_id="run1", project="proj", writer="w1")


def metrics(q: int, step: int, **values: Any) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": step, "w": 1_700_000_000.0 + step, "d": values}


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)


def test_points_come_back_exactly_including_nan_and_inf(store: Store) -> None:
    values = [0.5, math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324]
    records = [{"t": "run", "q": 1, "name": "first", "config": {"lr": 0.1}}]
    records += [
        metrics(i + 2, i, loss=v if math.isfinite(v) else repr(v)) for i, v in enumerate(values)
    ]
    for r in records[1:]:
        v = r["d"]["loss"]
        r["d"]["loss"] = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(v, v)
    store.ingestor.ingest(ENV, records)
    points = store.metrics.points("run1", "loss")
    assert points.steps.tolist() == list(range(len(values)))
    got = points.values.tolist()
    for expected, actual in zip(values, got, strict=True):
        assert (math.isnan(expected) and math.isnan(actual)) or (
            expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
        )
    run = store.runs.get_run("proj", "run1")
    assert run["name"] == "first"
    assert run["config"] == {"lr": 0.1}
    assert run["summary"]["loss"] == 5e-324
    assert run["last_step"] == len(values) - 1


def test_a_replayed_batch_is_kept_once(store: Store) -> None:
    batch = [metrics(q, q - 1, loss=float(q)) for q in range(1, 101)]
    first = store.ingestor.ingest(ENV, batch)
    again = store.ingestor.ingest(ENV, batch)
    overlap = store.ingestor.ingest(ENV, [*batch[50:], metrics(101, 100, loss=101.0)])
    assert (first.accepted, again.accepted, overlap.accepted) == (100, 0, 1)
    assert again.duplicates == 100
    assert store.metrics.points("run1", "loss").steps.tolist() == list(range(101))


def test_two_writers_of_one_run_both_count(store: Store) -> None:
    other = Envelope(run_id="run1", project="proj", writer="w2")  # no rank: both are the run
    store.ingestor.ingest(ENV, [metrics(1, 0, a=1.0), metrics(2, 1, a=2.0)])
    store.ingestor.ingest(other, [metrics(1, 0, b=1.0), metrics(2, 1, b=2.0)])
    history = store.metrics.history("run1")
    assert history == [
        {"_step": 0, "_timestamp": 1_700_000_000.0, "a": 1.0, "b": 1.0},
        {"_step": 1, "_timestamp": 1_700_000_001.0, "a": 2.0, "b": 2.0},
    ]


def test_summary_modes_and_user_values(store: Store) -> None:
    records = [
        {"t": "def", "q": 1, "k": "loss", "summary": "min"},
        {"t": "def", "q": 2, "k": "acc", "summary": "max"},
        {"t": "def", "q": 3, "k": "lr", "summary": "mean"},
        metrics(4, 0, loss=3.0, acc=0.1, lr=1.0, last=5.0),
        metrics(5, 1, loss=1.0, acc=0.9, lr=3.0, last=math.nan and "NaN"),
        metrics(6, 2, loss=2.0, acc=0.5, lr=2.0),
        {"t": "sum", "q": 7, "d": {"best": 0.97, "note": "text"}},
    ]
    store.ingestor.ingest(ENV, records)
    summary = store.runs.get_run("proj", "run1")["summary"]
    assert summary == {
        "loss": 1.0,
        "acc": 0.9,
        "lr": 2.0,
        "last": "NaN",
        "best": 0.97,
        "note": "text",
    }


def test_many_small_batches_are_compacted_into_full_chunks(store: Store) -> None:
    q = 0
    for batch in range(40):
        records = []
        for i in range(150):
            q += 1
            records.append(metrics(q, batch * 150 + i, loss=float(q)))
        store.ingestor.ingest(ENV, records)
    points = store.metrics.points("run1", "loss")
    assert points.steps.tolist() == list(range(6000))
    assert points.values.tolist() == [float(i) for i in range(1, 6001)]
    ranged = store.metrics.points("run1", "loss", 4090, 4100)
    assert ranged.steps.tolist() == list(range(4090, 4101))


def test_wide_steps_in_one_step_batches_keep_every_point_and_summary(store: Store) -> None:
    keys = [f"layer{i:03d}/w" for i in range(300)]
    steps = 40  # more than COMPACT_AFTER_OPEN_CHUNKS one-step batches: compaction runs
    for step in range(steps):
        values = {k: float(step * 1000 + i) for i, k in enumerate(keys)}
        values[keys[0]] = math.nan if step == 7 else values[keys[0]]
        store.ingestor.ingest(ENV, [metrics(step + 1, step, **values)])
    for i in (0, 1, 299):
        points = store.metrics.points("run1", keys[i])
        assert points.steps.tolist() == list(range(steps))
        expected = [float(s * 1000 + i) for s in range(steps)]
        if i == 0:
            expected[7] = math.nan
        assert points.values.tolist() == pytest.approx(expected, nan_ok=True)
    summary = store.runs.get_run("proj", "run1")["summary"]
    assert summary[keys[299]] == float((steps - 1) * 1000 + 299)
    stats = {m["key"]: m["stats"] for m in store.metrics.keys("run1")}
    assert stats[keys[0]]["n"] == steps and stats[keys[0]]["nf"] == steps - 1
    assert stats[keys[0]]["min"] == 0.0 and stats[keys[0]]["max"] == float((steps - 1) * 1000)


def test_bucketed_read_keeps_spikes(store: Store) -> None:
    records = [metrics(i + 1, i, loss=100.0 if i == 7777 else 1.0) for i in range(20_000)]
    store.ingestor.ingest(ENV, records)
    buckets = store.metrics.bucketed("run1", "loss", 100)
    assert len(buckets) <= 200
    assert 100.0 in buckets.values.tolist()
    zoomed = store.metrics.bucketed("run1", "loss", 100, 7700, 7800)
    assert zoomed.steps.tolist() == list(range(7700, 7801))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (metrics(2, 1, loss="abc"), "non-numeric"),
        (metrics(2, 1, **{"x" * 10_000: 1.0}), "too long"),
        ({"t": "m", "q": 2, "s": "one", "w": 0, "d": {}}, "step"),
        ({"t": "zzz", "q": 2}, "unknown type"),
        ({"t": "m", "q": 1, "s": 0, "w": 0, "d": {}}, "increase"),
        ({"t": "fin", "q": 2, "state": "exploded"}, "state"),
    ],
)
def test_a_bad_record_refuses_the_whole_batch(
    store: Store, record: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        store.ingestor.ingest(ENV, [metrics(1, 0, loss=1.0), record])
    with pytest.raises(NotFound):
        store.runs.get_run("proj", "run1")


def test_a_run_cannot_move_to_another_project(store: Store) -> None:
    store.ingestor.ingest(ENV, [metrics(1, 0, a=1.0)])
    with pytest.raises(Conflict):
        store.ingestor.ingest(Envelope("run1", "elsewhere", "w9"), [metrics(1, 0, a=1.0)])


def test_finish_and_resume_records_set_the_state(store: Store) -> None:
    store.ingestor.ingest(
        ENV,
        [
            metrics(1, 0, a=1.0),
            {"t": "fin", "q": 2, "state": "failed", "exit_code": 1, "w": 5.0, "error": "boom"},
        ],
    )
    run = store.runs.get_run("proj", "run1")
    assert (run["state"], run["exit_code"], run["error"], run["ended"]) == (
        "failed",
        1,
        "boom",
        5.0,
    )
    store.ingestor.ingest(
        Envelope("run1", "proj", "w2"), [{"t": "run", "q": 1, "resume": True, "tags": ["again"]}]
    )
    run = store.runs.get_run("proj", "run1")
    assert (run["state"], run["ended"], run["tags"]) == ("running", None, ["again"])

"""Ingest: records applied once, summaries kept, bad batches refused whole (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.database import Database
from trailmark.store.ingest import Envelope, IngestResult
from trailmark.store.migrations import migrate
from trailmark.store.store import Store

ENV = Envelope(run_id="run1", project="proj", writer="w1")


def metrics(q: int, step: int, **values: Any) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": step, "w": 1_700_000_000.0 + step, "d": values}


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


# Group commit: many writers' batches in one transaction (what the server's writer does)


def _writer_batches(run: str) -> list[tuple[Envelope, list[dict[str, Any]]]]:
    """A distributed run's batches: rank 0 and rank 1, with every kind of record."""
    rank0 = Envelope(run, "proj", f"{run}-r0", rank=0, host="node0")
    rank1 = Envelope(run, "proj", f"{run}-r1", rank=1, host="node1")
    return [
        (
            rank0,
            [
                {"t": "run", "q": 1, "name": "dist", "config": {"lr": 0.1}, "tags": ["a"]},
                {"t": "def", "q": 2, "k": "loss", "summary": "min"},
                metrics(3, 0, loss=3.0, acc=0.1),
                {"t": "log", "q": 4, "lines": [[1.0, "stdout", "epoch 0"]]},
            ],
        ),
        (rank1, [{"t": "run", "q": 1, "host": "node1"}, metrics(2, 0, loss=2.5)]),
        (
            rank0,
            [
                metrics(5, 1, loss=1.0, acc=0.5),
                metrics(6, 2, loss=2.0, acc=0.7),
                {"t": "sys", "q": 7, "w": 1_700_000_003.0, "d": {"system/cpu": 50.0}},
                {"t": "sum", "q": 8, "d": {"best": 0.7}},
                {"t": "meta", "q": 9, "d": {"python": "3.11"}, "large": {"packages": ["x"]}},
            ],
        ),
        (
            rank1,
            [metrics(3, 1, loss=1.5), {"t": "fin", "q": 4, "state": "finished", "w": 9.0}],
        ),
        (rank0, [{"t": "fin", "q": 10, "state": "finished", "exit_code": 0, "w": 10.0}]),
    ]


def _stored(store: Store, run: str) -> dict[str, Any]:
    """What a reader sees of a run, without what differs between two runs by nature."""
    view = store.runs.get_run("proj", run)
    for key in ("id", "created", "updated", "heartbeat", "name"):
        view.pop(key, None)
    series = {
        m["key"]: store.metrics.points(run, m["key"]).values.tolist()
        for m in store.metrics.keys(run)
    }
    lines = [(x["n"], x["text"], x["rank"]) for x in store.console.lines(run)["lines"]]
    return {"run": view, "series": series, "lines": lines}


def test_a_group_stores_what_the_same_batches_one_by_one_store(store: Store) -> None:
    for env, records in _writer_batches("seq"):
        store.ingestor.ingest(env, records)
    outcomes = store.ingestor.ingest_many(_writer_batches("grp"))
    assert [o.to_json() for o in outcomes if not isinstance(o, Exception)] == [
        {"accepted": 4, "duplicates": 0, "last_seq": 4},
        {"accepted": 2, "duplicates": 0, "last_seq": 2},
        {"accepted": 5, "duplicates": 0, "last_seq": 9},
        {"accepted": 2, "duplicates": 0, "last_seq": 4},
        {"accepted": 1, "duplicates": 0, "last_seq": 10},
    ]
    grouped, sequential = _stored(store, "grp"), _stored(store, "seq")
    assert grouped == sequential
    assert grouped["series"]["loss"] == [3.0, 1.0, 2.0]
    assert grouped["series"]["loss@rank1"] == [2.5, 1.5]
    assert grouped["run"]["summary"]["loss"] == 1.0
    assert grouped["run"]["state"] == "finished"


def test_a_group_applies_each_writers_records_once(store: Store) -> None:
    w1, w2 = ENV, Envelope("run1", "proj", "w2")
    other = Envelope("run2", "proj", "w1")
    first = [metrics(q, q - 1, loss=float(q)) for q in range(1, 4)]
    group = [
        (w1, first),
        (w2, [metrics(1, 10, b=1.0)]),
        (other, [metrics(1, 0, loss=9.0)]),
        (w1, [*first[1:], metrics(4, 3, loss=4.0)]),  # a retry overlapping the first batch
    ]
    outcomes = store.ingestor.ingest_many(group)
    assert [(o.accepted, o.duplicates) for o in outcomes if not isinstance(o, Exception)] == [
        (3, 0),
        (1, 0),
        (1, 0),
        (1, 2),
    ]
    again = store.ingestor.ingest_many(group)
    assert [(o.accepted, o.duplicates) for o in again if not isinstance(o, Exception)] == [
        (0, 3),
        (0, 1),
        (0, 1),
        (0, 3),
    ]
    assert store.metrics.points("run1", "loss").values.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert store.metrics.points("run1", "b").steps.tolist() == [10]
    assert store.metrics.points("run2", "loss").values.tolist() == [9.0]


def test_a_group_appends_one_chunk_per_series(store: Store, database: Database) -> None:
    from sqlalchemy import func, select

    from trailmark.store.schema import chunks

    writers = [Envelope("run1", "proj", f"w{i}") for i in range(8)]
    store.ingestor.ingest_many([(w, [metrics(1, i, loss=float(i))]) for i, w in enumerate(writers)])
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(chunks)).scalar() == 1
    assert store.metrics.points("run1", "loss").steps.tolist() == list(range(8))


def test_a_bad_batch_in_a_group_is_refused_alone(store: Store) -> None:
    good = [metrics(1, 0, loss=1.0)]
    outcomes = store.ingestor.ingest_many(
        [
            (ENV, good),
            (Envelope("run2", "proj", "w1"), [metrics(1, 0, loss="abc")]),  # invalid
            (Envelope("run1", "elsewhere", "w2"), good),  # refused when applied
            (Envelope("run3", "proj", "w1"), good),
        ]
    )
    assert isinstance(outcomes[1], InvalidInput) and "non-numeric" in outcomes[1].message
    assert isinstance(outcomes[2], Conflict)
    assert [outcomes[0], outcomes[3]] == [IngestResult(1, 0, 1), IngestResult(1, 0, 1)]
    assert store.metrics.points("run1", "loss").values.tolist() == [1.0]
    assert store.metrics.points("run3", "loss").values.tolist() == [1.0]
    with pytest.raises(NotFound):
        store.runs.get_run("proj", "run2")


def test_a_failing_database_fails_the_group_without_retrying_each_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from trailmark.store import ingest

    attempts: list[int] = []

    def locked(_conn: Any, batches: Any, *_: Any) -> Any:
        attempts.append(len(batches))
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    monkeypatch.setattr(ingest, "_apply_group", locked)
    writers = [Envelope(f"run{i}", "proj", "w1") for i in range(3)]
    outcomes = store.ingestor.ingest_many([(w, [metrics(1, 0, a=1.0)]) for w in writers])
    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert attempts == [3, 1]  # the group, then one alone: the database, not a batch, fails


def test_series_logged_in_step_are_compacted_a_few_per_group(
    store: Store, database: Database
) -> None:
    from sqlalchemy import func, select

    from trailmark.store.metrics import compact_after
    from trailmark.store.schema import series

    threshold = compact_after(1)  # one point a series a batch
    keys = [f"k{i:03d}" for i in range(200)]
    most_open = []
    for step in range(3 * threshold):
        store.ingestor.ingest(ENV, [metrics(step + 1, step, **dict.fromkeys(keys, float(step)))])
        with database.read() as conn:
            most_open.append(conn.execute(select(func.max(series.c.open_chunks))).scalar())
    # All 200 reach the threshold in the same batch: a few dozen are compacted per batch
    # (not all in one), none is left past twice the threshold.
    assert max(most_open) <= 2 * threshold
    assert max(most_open) > threshold
    for key in (keys[0], keys[-1]):
        points = store.metrics.points("run1", key)
        assert points.steps.tolist() == list(range(3 * threshold))


def test_compaction_encodes_a_point_fully_once_when_its_chunk_fills(
    store: Store, database: Database
) -> None:
    from sqlalchemy import select

    from trailmark.store.chunks import TAG_RAW
    from trailmark.store.metrics import CHUNK_TARGET, compact_after
    from trailmark.store.schema import chunks

    per_batch = 100  # not a divisor of the chunk size: compaction leaves a partial tail
    q = 0
    for _ in range(5 * compact_after(per_batch)):
        batch = []
        for _ in range(per_batch):
            q += 1
            batch.append(metrics(q, q - 1, loss=1.0 / q))
        store.ingestor.ingest(ENV, batch)
    with database.read() as conn:
        rows = conn.execute(select(chunks.c.npoints, chunks.c.vals, chunks.c.sketch)).all()
    full = [r for r in rows if r.npoints == CHUNK_TARGET]
    partial = [r for r in rows if r.npoints < CHUNK_TARGET]
    assert len(full) >= q // CHUNK_TARGET - 1
    # Full chunks carry the full codec and a sketch; the merged remainder stays in the
    # quick form until it fills (it will be merged again).
    assert all(r.sketch is not None for r in full)
    assert all(r.vals[0] != TAG_RAW or len(r.vals) < 9 * CHUNK_TARGET for r in full)
    assert any(r.npoints > per_batch for r in partial), "compaction merged small appends"
    assert all(r.sketch is None and r.vals[0] == TAG_RAW for r in partial)
    points = store.metrics.points("run1", "loss")
    assert points.steps.tolist() == list(range(q))
    assert points.values.tolist() == [1.0 / (s + 1) for s in range(q)]


def test_compaction_waits_while_requests_queue_but_not_past_twice_the_threshold(
    store: Store, database: Database
) -> None:
    from sqlalchemy import select

    from trailmark.store.metrics import compact_after
    from trailmark.store.schema import series

    def open_chunks() -> int:
        with database.read() as conn:
            return int(conn.execute(select(series.c.open_chunks)).scalar_one())

    threshold = compact_after(1)
    seen = []
    for q in range(1, 2 * threshold + 1):
        store.ingestor.ingest_many([(ENV, [metrics(q, q, loss=float(q))])], busy=True)
        seen.append(open_chunks())
    # Busy: nothing compacted at the threshold, only once twice over it.
    assert seen[threshold - 1] == threshold
    assert max(seen) == 2 * threshold - 1
    assert seen[-1] == 1
    idle = []
    for q in range(2 * threshold + 1, 3 * threshold + 1):
        store.ingestor.ingest_many([(ENV, [metrics(q, q, loss=float(q))])])
        idle.append(open_chunks())
    assert max(idle) == threshold - 1, "idle: compacted at the threshold"
    assert min(idle) == 1
    points = store.metrics.points("run1", "loss")
    assert points.steps.tolist() == list(range(1, 3 * threshold + 1))


def test_a_series_compacts_once_its_partial_chunks_hold_about_a_full_chunk() -> None:
    from trailmark.store.metrics import (
        CHUNK_TARGET,
        COMPACT_AFTER_OPEN_CHUNKS,
        MAX_OPEN_CHUNKS,
        compact_after,
    )

    assert compact_after(100) * 100 >= CHUNK_TARGET > (compact_after(100) - 1) * 100
    assert compact_after(1) == MAX_OPEN_CHUNKS  # a slow loop: bounded for reads
    assert compact_after(CHUNK_TARGET // 2) == COMPACT_AFTER_OPEN_CHUNKS
    assert compact_after(0) == MAX_OPEN_CHUNKS


def test_appends_of_a_hundred_points_are_written_raw_then_encoded_once(
    store: Store, database: Database
) -> None:
    """Steady appends wait until their partial chunks make a full chunk: each point is
    written raw once and encoded once, not merged again and again on the way."""
    from sqlalchemy import func, select

    from trailmark.store.metrics import CHUNK_TARGET, compact_after
    from trailmark.store.schema import chunks

    per_batch, q = 100, 0
    merged_partials = []
    for _ in range(compact_after(per_batch) + 2):
        store.ingestor.ingest(
            ENV, [metrics(q + i + 1, q + i, loss=float(q + i)) for i in range(per_batch)]
        )
        q += per_batch
        with database.read() as conn:
            biggest = conn.execute(
                select(func.max(chunks.c.npoints)).where(chunks.c.npoints < CHUNK_TARGET)
            ).scalar()
        merged_partials.append(biggest)
    # Never a merged partial chunk (which would be rewritten later): the first merge
    # makes a full chunk, the remainder is smaller than one append.
    assert all(size <= per_batch for size in merged_partials)
    with database.read() as conn:
        full = conn.execute(select(func.count()).where(chunks.c.npoints == CHUNK_TARGET)).scalar()
    assert full == 1
    assert store.metrics.points("run1", "loss").steps.tolist() == list(range(q))


@pytest.mark.postgres
def test_postgresql_keeps_chunk_blobs_uncompressed_out_of_line(postgres_url: str) -> None:
    from sqlalchemy import text

    from trailmark.store.migrations import CHUNK_BLOBS

    db = Database(postgres_url)
    try:
        migrate(db)
        with db.read() as conn:
            storage = dict(
                conn.execute(
                    text(
                        "SELECT attname, attstorage FROM pg_attribute "
                        "WHERE attrelid = 'chunks'::regclass AND attnum > 0"
                    )
                ).all()
            )
    finally:
        db.dispose()
    assert {c: storage[c] for c in CHUNK_BLOBS} == dict.fromkeys(CHUNK_BLOBS, "e")


def test_a_busy_group_compacts_only_a_share_of_the_overdue_series() -> None:
    from trailmark.store.ingest import _compact_now

    # 200 series appended one point each, all twice over their threshold at once.
    due = [(2.0, 128, sid) for sid in range(200)]
    chosen = _compact_now(list(due), 200, 200, busy=True)
    assert 0 < len(chosen) < 50, "a share, not every series in one group"
    # Below twice the threshold nothing is compacted while busy; three times over, all are.
    assert _compact_now([(1.5, 96, 1), (1.9, 120, 2)], 2, 2, busy=True) == []
    late = [(3.0, 192, sid) for sid in range(200)]
    assert len(_compact_now(late, 200, 200, busy=True)) == 200
    # Idle: the most overdue first, twice over always.
    idle = _compact_now([(1.0, 64, 999), *due], 200, 200)
    assert len(idle) == 200 and 999 not in idle


def test_new_series_are_created_in_one_statement_and_races_read_back(
    store: Store, database: Database
) -> None:
    from trailmark.store.metrics import ensure_series_of_runs

    store.ingestor.ingest(ENV, [metrics(1, 0, loss=1.0)])
    wanted = {"run1": ["loss", "acc", "système/ü"]}
    with database.write() as conn:
        # "loss" exists, as if another writer created it after this group read the series:
        # the insert skips it and it is read back with the row it has.
        rows = ensure_series_of_runs(conn, wanted, {})
    assert sorted(key for _, key in rows) == ["acc", "loss", "système/ü"]
    assert rows[("run1", "loss")].stats["n"] == 1
    assert rows[("run1", "acc")].stats == {} and rows[("run1", "acc")].summary_mode == "last"
    with database.write() as conn:
        again = ensure_series_of_runs(conn, wanted)
    assert {k: r.id for k, r in again.items()} == {k: r.id for k, r in rows.items()}

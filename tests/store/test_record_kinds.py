"""Record kinds: a kind written in this module alone is checked, applied and written by the real
ingest path (SQLite and PostgreSQL); the built-in registry covers every record the SDK writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import Connection, text

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.store.database import Database
from trailmark.store.ingest import Envelope, Ingestor
from trailmark.store.record_kinds import BUILT_IN, KINDS, RecordKind, WriterBatch, registry
from trailmark.store.store import Store
from trailmark.types import Record

# A toy kind, "alert": a titled event at a step. It touches the run's state (a count in its
# metadata), its series (a point of `alerts` at the step) and rows of its own table, written
# once for a whole group of batches.

LEVELS = ("info", "warn", "error")
ALERT_TABLE = "CREATE TABLE toy_alerts (run_id TEXT, step BIGINT, title TEXT, level TEXT)"
writes: list[int] = []  # rows per call of the kind's write, to see one call per group


def check_alert(record: Record, where: str, known: set[str]) -> None:
    title = record.get("title")
    if not isinstance(title, str) or not title:
        raise InvalidInput(f"{where}: an alert needs a title")
    if record.get("level") not in LEVELS:
        raise InvalidInput(f"{where}: level must be one of {', '.join(LEVELS)}")
    if type(record.get("s")) is not int:
        raise InvalidInput(f"{where}: step must be an integer")


def apply_alerts(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    state.metadata["alerts"] = state.metadata.get("alerts", 0) + len(records)
    batch.add_points(
        [(r["s"], r["w"], {"alerts": float(LEVELS.index(r["level"]))}) for r in records]
    )
    for r in records:
        batch.defer("alert", (batch.run_id, r["s"], r["title"], r["level"]))


def alert_series(records: list[Record]) -> Iterable[str]:
    return ("alerts",)


def write_alerts(conn: Connection, pending: list[Any]) -> None:
    writes.append(len(pending))
    conn.execute(
        text("INSERT INTO toy_alerts VALUES (:run_id, :step, :title, :level)"),
        [{"run_id": r, "step": s, "title": t, "level": lv} for r, s, t, lv in pending],
    )


ALERT = RecordKind(
    "alert", check=check_alert, apply=apply_alerts, series=alert_series, write=write_alerts
)


def alert(q: int, step: int, title: str, level: str = "warn") -> dict[str, Any]:
    return {
        "t": "alert",
        "q": q,
        "s": step,
        "w": 1_700_000_000.0 + step,
        "title": title,
        "level": level,
    }


def metrics(q: int, step: int, **values: float) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": step, "w": 1_700_000_000.0 + step, "d": values}


@pytest.fixture
def store(database: Database) -> Store:
    with database.write() as conn:
        conn.execute(text(ALERT_TABLE))
    writes.clear()
    return Store(database)


@pytest.fixture
def ingestor(store: Store) -> Ingestor:
    return Ingestor(store.db, kinds=registry(*KINDS.values(), ALERT))


def alert_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.db.read() as conn:
        rows = conn.execute(text("SELECT run_id, step, title, level FROM toy_alerts ORDER BY 1, 2"))
        return [tuple(row) for row in rows]


def test_a_kind_from_one_module_is_ingested_with_the_built_in_ones(
    store: Store, ingestor: Ingestor
) -> None:
    env = Envelope(run_id="run1", project="proj", writer="w1")
    records = [
        {"t": "run", "q": 1, "name": "toy"},
        metrics(2, 0, loss=1.0),
        alert(3, 0, "loss is high"),
        metrics(4, 1, loss=0.5),
        alert(5, 1, "diverging", "error"),
        {"t": "fin", "q": 6, "state": "finished", "w": 1_700_000_010.0},
    ]
    result = ingestor.ingest(env, records)
    assert (result.accepted, result.duplicates) == (6, 0)
    run = store.runs.get_run("proj", "run1")
    assert (run["name"], run["state"], run["metadata"]["alerts"]) == ("toy", "finished", 2)
    assert store.metrics.points("run1", "alerts").values.tolist() == [1.0, 2.0]
    assert store.metrics.points("run1", "loss").steps.tolist() == [0, 1]
    assert alert_rows(store) == [
        ("run1", 0, "loss is high", "warn"),
        ("run1", 1, "diverging", "error"),
    ]
    again = ingestor.ingest(env, records)  # a replay is harmless for the new kind too
    assert (again.accepted, again.duplicates) == (0, 6)
    assert len(alert_rows(store)) == 2
    assert store.runs.get_run("proj", "run1")["metadata"]["alerts"] == 2


def test_a_group_of_writers_writes_the_kind_once(store: Store, ingestor: Ingestor) -> None:
    batches = [
        (
            Envelope(run_id=f"run{i}", project="proj", writer="w1"),
            [alert(1, 0, f"a{i}"), alert(2, 1, f"b{i}")],
        )
        for i in range(3)
    ]
    outcomes = ingestor.ingest_many(batches)
    assert [o.accepted for o in outcomes if not isinstance(o, Exception)] == [2, 2, 2]
    assert writes == [6]  # one statement for the group, not one per record or batch
    assert [row[0] for row in alert_rows(store)] == ["run0", "run0", "run1", "run1", "run2", "run2"]
    other_rank = Envelope(run_id="run0", project="proj", writer="w2", rank=1)
    ingestor.ingest(other_rank, [alert(1, 5, "rank one")])
    assert store.metrics.points("run0", "alerts@rank1").steps.tolist() == [5]


def test_a_bad_record_of_the_kind_refuses_its_batch_whole(store: Store, ingestor: Ingestor) -> None:
    env = Envelope(run_id="run1", project="proj", writer="w1")
    with pytest.raises(InvalidInput, match=r"record 1 \(q=2\): level must be one of info"):
        ingestor.ingest(env, [metrics(1, 0, loss=1.0), alert(2, 0, "x", "loud")])
    assert alert_rows(store) == []
    with pytest.raises(InvalidInput, match="record 1 has unknown type 'alert'; expected one of"):
        store.ingestor.ingest(env, [metrics(1, 0, loss=1.0), alert(2, 0, "x")])  # not built in


def test_the_built_in_kinds_cover_every_record_the_sdk_writes() -> None:
    assert set(KINDS) >= rec.RECORD_TYPES
    assert [kind.tag for kind in BUILT_IN] == list(KINDS)


def test_two_kinds_of_one_tag_are_refused() -> None:
    with pytest.raises(ValueError, match="two record kinds have the tag 'm'"):
        registry(*KINDS.values(), RecordKind("m", check=check_alert, apply=apply_alerts))

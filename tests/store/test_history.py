"""History rows: the one-statement path and the checks behind it (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trailmark.errors import NotFound
from trailmark.store.ingest import Envelope
from trailmark.store.store import Store


def metrics(q: int, step: int, **values: Any) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": step, "w": 1_700_000_000.0 + step, "d": values}


@pytest.fixture
def store(store: Store) -> Store:
    records: list[dict[str, Any]] = [{"t": "run", "q": 1, "name": "h"}]
    for step in range(10):
        values: dict[str, Any] = {"loss": float(step)}
        if step % 2 == 0:
            values["acc"] = "NaN" if step == 4 else step / 10
        records.append(metrics(step + 2, step, **values))
    store.ingestor.ingest(Envelope(run_id="r1", project="p", writer="w1"), records)
    ranked = Envelope(run_id="r1", project="p", writer="w2", rank=3)
    store.ingestor.ingest(ranked, [metrics(1, 0, loss=-1.0)])
    return store


def test_rows_of_the_keys_asked(store: Store) -> None:
    rows = store.metrics.history("r1", ["loss", "acc"], project="p")
    assert [r["_step"] for r in rows] == list(range(10))
    assert rows[3] == {"_step": 3, "_timestamp": 1_700_000_003.0, "loss": 3.0}
    assert rows[2]["acc"] == 0.2 and math.isnan(rows[4]["acc"])


def test_a_step_range_and_a_range_without_points(store: Store) -> None:
    rows = store.metrics.history("r1", ["loss"], 3, 5, project="p")
    assert [r["loss"] for r in rows] == [3.0, 4.0, 5.0]
    assert store.metrics.history("r1", ["loss"], 100, 200, project="p") == []
    assert [r["_step"] for r in store.metrics.history("r1", ["loss", "acc"], 5, 6)] == [5, 6]


def test_another_ranks_series_under_its_plain_name(store: Store) -> None:
    assert store.metrics.history("r1", ["loss"], rank=3) == [
        {"_step": 0, "_timestamp": 1_700_000_000.0, "loss": -1.0}
    ]


def test_unknown_key_run_or_project_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no metric 'nope'"):
        store.metrics.history("r1", ["loss", "nope"], project="p")
    with pytest.raises(NotFound, match="does not exist in project 'other'"):
        store.metrics.history("r1", ["loss"], project="other")
    with pytest.raises(NotFound, match="'r2' does not exist"):
        store.metrics.history("r2", ["loss"])

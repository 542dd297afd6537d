"""``sys``: system metrics sampled at wall time ``w``: ``d`` {key: value}, keys under
``system/``. They have no step: they are filed on the system axis, milliseconds since the
run was created, so they never move the run's step counter."""

from __future__ import annotations

from typing import Any

from trailmark import records as rec
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.record_kinds.metrics import check_values, series
from trailmark.types import Record


def check(record: Record, where: str, known: set[str]) -> None:
    check_values(record, where, known, system=True)


def apply(records: list[Record], batch: WriterBatch) -> None:
    created = batch.created_at
    rows: list[tuple[int, float, dict[str, Any]]] = [
        (round((r["w"] - created) * 1000), r["w"], r["d"]) for r in records
    ]
    batch.add_points(rows)


KIND = RecordKind(rec.SYSTEM, check=check, apply=apply, series=series)

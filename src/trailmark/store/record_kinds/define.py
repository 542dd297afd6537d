"""``def``: ``define_metric``: ``k`` key, ``summary`` mode (which value the run's summary
shows for the series: last, min, max, ...)."""

from __future__ import annotations

from collections.abc import Iterable

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.types import Record
from trailmark.validation import key_problem


def check(record: Record, where: str, known: set[str]) -> None:
    problem = key_problem(record.get("k"))
    if problem:
        raise InvalidInput(f"{where}: {problem}")
    if record.get("summary") not in rec.SUMMARY_MODES:
        raise InvalidInput(f"{where}: summary must be one of {', '.join(rec.SUMMARY_MODES)}")


def apply(records: list[Record], batch: WriterBatch) -> None:
    for record in records:
        batch.define(record["k"], record["summary"])


def series(records: list[Record]) -> Iterable[str]:
    return [record["k"] for record in records]


KIND = RecordKind(rec.DEFINE, check=check, apply=apply, series=series)

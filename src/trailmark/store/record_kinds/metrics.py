"""``m``: metrics at a step: ``s`` step, ``w`` wall time, ``d`` {key: value}.

The usual record by far: :func:`~trailmark.store.ingest_checks.validate` checks it inline
when its keys were seen earlier in the batch, with the same outcome as :func:`check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from trailmark import records as rec
from trailmark.errors import InvalidInput, PayloadTooLarge
from trailmark.limits import MAX_METRICS_PER_RECORD
from trailmark.records import metric_from_json
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.types import Record
from trailmark.validation import key_problem


def check(record: Record, where: str, known: set[str]) -> None:
    step = record.get("s")
    if type(step) is not int or not -(2**62) <= step <= 2**62:
        raise InvalidInput(f"{where}: step must be an integer, got {step!r}")
    check_values(record, where, known)


def check_values(record: Record, where: str, known: set[str], *, system: bool = False) -> None:
    """The wall time and values; ``known`` holds the keys of this batch already found good
    (a batch repeats the same keys at every step: each is checked once)."""
    wall, data = record.get("w"), record.get("d")
    if type(wall) is not float and type(wall) is not int:
        raise InvalidInput(f"{where}: wall time w must be a number, got {wall!r}")
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: d must be an object of metric values")
    if len(data) > MAX_METRICS_PER_RECORD:
        raise PayloadTooLarge(
            f"{where}: a record holds at most {MAX_METRICS_PER_RECORD} metric values, got "
            f"{len(data)}; log them in several records (the SDK's log() does this itself)"
        )
    if known.issuperset(data) and FLOATS.issuperset(map(type, data.values())):
        return  # the usual record: keys already checked, every value a float
    for key, value in data.items():
        if key not in known:
            problem = key_problem(key)
            if problem:
                raise InvalidInput(f"{where}: {problem}")
            if system and not rec.is_system_key(key):
                raise InvalidInput(
                    f"{where}: system metric {key!r} must start with {rec.SYSTEM_PREFIX!r}"
                )
            known.add(key)
        if type(value) is not float and metric_from_json(value) is None:
            raise InvalidInput(
                f"{where}: metric {key!r} has a non-numeric value {str(value)[:80]!r}; "
                'metric values are numbers or "NaN", "Infinity", "-Infinity"'
            )


FLOATS = frozenset({float})


def apply(records: list[Record], batch: WriterBatch) -> None:
    rows: list[tuple[int, float, dict[str, Any]]] = [(r["s"], r["w"], r["d"]) for r in records]
    batch.add_points(rows)
    if batch.primary:  # another rank's steps are its own series', not the run's
        top: int = max(map(_STEP, rows))
        state = batch.state
        if state.last_step is None or top > state.last_step:
            state.last_step = top


_STEP = itemgetter(0)


def series(records: list[Record]) -> Iterable[str]:
    named: set[str] = set()
    for record in records:
        named.update(record["d"])
    return named


KIND = RecordKind(rec.METRICS, check=check, apply=apply, series=series)

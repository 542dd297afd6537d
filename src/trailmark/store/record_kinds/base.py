"""What a record kind is, and the work it applies its records to.

A kind is a type tag, a check of one record and an apply of consecutive records of its type
(see :mod:`trailmark.store.record_kinds` for the list and how to add one). Ingest hands a
kind a :class:`WriterBatch`: one writer's fresh records of one run, inside the transaction
of a whole group of batches. A kind never writes a statement per record: it folds its
records into the run's state (written once per run by the group), adds points to the run's
series (appended once per series by the group), or defers rows that its ``write`` puts in
the database once per group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from trailmark import records as rec
from trailmark.records import metric_from_json
from trailmark.store.ingest_rows import RunRow
from trailmark.store.run_state import RunState
from trailmark.types import Record


def no_series(records: list[Record]) -> Iterable[str]:
    return ()


def no_write(conn: Connection, pending: list[Any]) -> None:
    return None


@dataclass(frozen=True)
class RecordKind:
    """One type of spool record: how it is checked and applied.

    Example (a kind whose records set run tags, in one module)::

        def check(record: Record, where: str, known: set[str]) -> None:
            if not isinstance(record.get("tag"), str):
                raise InvalidInput(f"{where}: tag must be a string")

        def apply(records: list[Record], batch: WriterBatch) -> None:
            state = batch.change_state()
            state.tags = [*state.tags, *(r["tag"] for r in records)]

        KIND = RecordKind("tag", check=check, apply=apply)
    """

    tag: str
    """The record's ``t``."""
    check: Callable[[Record, str, set[str]], None]
    """Raise :class:`~trailmark.errors.InvalidInput` for a malformed record, its message
    starting with ``where`` (the record's index and ``q``). The sequence number and type are
    checked already. ``known``: this kind's memo for the batch being checked, for values
    already found good (the metric kinds keep the keys they checked: a batch repeats them)."""
    apply: Callable[[list[Record], WriterBatch], None]
    """Apply consecutive records of this kind, in order, each checked and new (after the
    writer's last applied sequence number)."""
    series: Callable[[list[Record]], Iterable[str]] = no_series
    """The metric keys these records append to or define, as logged (ingest adds another
    rank's mark), so that the group reads their series rows in its first round trip."""
    write: Callable[[Connection, list[Any]], None] = no_write
    """Write what this kind's applies deferred (:meth:`WriterBatch.defer`) in the whole
    group, in the order deferred: once per group, with the run rows locked."""


@dataclass
class Series:
    """Points collected for one series in a group, in the order they came."""

    steps: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass
class RunWork:
    """What a group does to one run: its state, and the points for its series."""

    row: RunRow
    state: RunState
    metrics: dict[str, Series] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    writers: set[str] = field(default_factory=set)
    fields_changed: bool = False
    """Whether a record changed more of the row than its summary and last step."""


class WriterBatch:
    """One writer's new records of one run, being applied: what a kind's apply works on."""

    __slots__ = ("_deferred", "conn", "primary", "rank", "run", "run_id", "suffix")

    def __init__(
        self,
        conn: Connection,
        run_id: str,
        rank: int | None,
        run: RunWork,
        deferred: dict[str, list[Any]],
    ) -> None:
        self.conn = conn
        """The group's transaction (for a rare read, such as a fork's copy)."""
        self.run_id = run_id
        self.rank = rank
        self.primary = rec.is_primary(rank)
        """Whether this writer speaks for the run (rank 0, or no rank)."""
        self.suffix = rec.rank_key("", rank)
        self.run = run
        self._deferred = deferred

    @property
    def state(self) -> RunState:
        """The run's state, to read (and its ``last_step`` to move)."""
        return self.run.state

    @property
    def created_at(self) -> float:
        return self.run.row.created_at

    def change_state(self) -> RunState:
        """The run's state, to change: the group writes the whole run row back."""
        self.run.fields_changed = True
        return self.run.state

    def series_name(self, key: str) -> str:
        """The stored name of this writer's metric ``key`` (another rank's is marked)."""
        return key + self.suffix if self.suffix else key

    def add_points(self, rows: list[tuple[int, float, dict[str, Any]]]) -> None:
        """Add (step or axis, wall time, {key: value}) rows to this writer's series."""
        collect(self.run.metrics, rows, self.suffix)

    def define(self, key: str, mode: str) -> None:
        """Set the summary mode of this writer's series ``key`` (created if missing)."""
        self.run.modes[self.series_name(key)] = mode

    def defer(self, tag: str, item: Any) -> None:
        """Keep ``item`` for the ``write`` of kind ``tag``, run once for the group."""
        pending = self._deferred.get(tag)
        if pending is None:
            pending = self._deferred[tag] = []
        pending.append(item)


def collect(
    metrics: dict[str, Series], rows: list[tuple[int, float, dict[str, Any]]], suffix: str
) -> None:
    """Add (step, wall time, values) rows to the series they go to (``suffix``: another
    rank's mark). Rows that log the same keys in the same order (the usual case: a training
    loop logs the same metrics every step) are added a column at a time."""
    start = 0
    while start < len(rows):
        keys = tuple(rows[start][2])
        end = start + 1
        while end < len(rows) and tuple(rows[end][2]) == keys:
            end += 1
        block = rows[start:end]
        steps = [row[0] for row in block]
        times = [float(row[1]) for row in block]
        columns = zip(*[row[2].values() for row in block], strict=True) if keys else ()
        for key, column in zip(keys, columns, strict=True):
            name = key + suffix if suffix else key
            s = metrics.get(name)
            if s is None:
                s = metrics[name] = Series()
            s.steps.extend(steps)
            s.times.extend(times)
            if set(map(type, column)) == _FLOATS:
                s.values.extend(column)
            else:
                s.values.extend(metric_from_json(v) for v in column)  # type: ignore[misc]
        start = end


_FLOATS = {float}

"""Apply a batch of spool records to the store in one transaction, each record at most once.

A batch belongs to one writer of one run. The writer's highest applied sequence number
is kept in ``writers.last_seq``; records at or below it are skipped, so retries and
replays (``trailmark sync``) are harmless. Everything is validated before anything is
written: a malformed batch is refused whole with a message naming the bad record.

A writer of rank 0 (or without a rank) writes the run's own series, state and metadata.
Another rank's metrics go to ``<key>@rank<r>`` series, its metadata and end state to
``metadata.ranks.<r>``; a failure there marks the run failed too. System metrics (``sys``)
are filed on their own axis: milliseconds since the run was created. Neither they nor other
ranks' series appear in the run's summary or move its ``last_step``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from trailmark import records as rec
from trailmark.errors import Conflict, InvalidInput, PayloadTooLarge
from trailmark.limits import MAX_RECORDS_PER_BATCH
from trailmark.records import json_safe, metric_from_json
from trailmark.store.console import append_lines, check_log_record
from trailmark.store.database import Database
from trailmark.store.dialect import for_update, insert_ignoring_conflicts
from trailmark.store.fork import check_fork_from, copy_history
from trailmark.store.metrics import (
    COMPACT_AFTER_OPEN_CHUNKS,
    QUICK_BELOW,
    chunk_rows,
    compact_many,
    ensure_series,
    points_from_lists,
    small_chunk_row,
    update_series,
)
from trailmark.store.run_state import RunState
from trailmark.store.runs import ensure_project, new_run_row
from trailmark.store.schema import chunks, run_metadata, runs, writers
from trailmark.store.series_stats import merge_stats, merge_stats_lists, summary_value
from trailmark.store.upserts import upsert
from trailmark.types import RUN_STATES
from trailmark.validation import (
    check_json_object,
    check_name,
    check_project_name,
    check_run_fields,
    check_run_id,
    key_problem,
)


@dataclass(frozen=True)
class Envelope:
    """Who a batch is from: the run, its project and the writer (one process)."""

    run_id: str
    project: str
    writer: str
    rank: int | None = None
    host: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Envelope:
        if not isinstance(data, dict):
            raise InvalidInput("the batch header must be an object with run, project and writer")
        rank = data.get("rank")
        if rank is not None and (type(rank) is not int or rank < 0):
            raise InvalidInput(f"rank must be an integer from 0, got {rank!r}")
        host = data.get("host")
        return cls(
            run_id=check_run_id(data.get("run")),
            project=check_project_name(data.get("project")),
            writer=check_run_id(data.get("writer")),
            rank=rank,
            host=check_name("host", host) if host is not None else None,
        )


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    last_seq: int

    def to_json(self) -> dict[str, int]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "last_seq": self.last_seq}


@dataclass
class _Series:
    steps: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def validate(records: list[Any]) -> list[dict[str, Any]]:
    """Check every record's shape; raise InvalidInput naming the first bad one."""
    if len(records) > MAX_RECORDS_PER_BATCH:
        raise PayloadTooLarge(
            f"a batch holds at most {MAX_RECORDS_PER_BATCH} records, got {len(records)}; send smaller batches"
        )
    last_q = 0
    for index, record in enumerate(records):
        where = f"record {index}"
        if not isinstance(record, dict):
            raise InvalidInput(f"{where} must be an object, got {type(record).__name__}")
        kind, q = record.get("t"), record.get("q")
        if kind not in rec.RECORD_TYPES:
            raise InvalidInput(
                f"{where} has unknown type {kind!r}; expected one of {sorted(rec.RECORD_TYPES)}"
            )
        if type(q) is not int or q < 1:
            raise InvalidInput(f"{where} needs a sequence number q (an integer from 1), got {q!r}")
        if q <= last_q:
            raise InvalidInput(f"{where}: sequence numbers must increase, {q} follows {last_q}")
        last_q = q
        _validate_record(record, f"{where} (q={q})")
    return records


def _validate_values(record: dict[str, Any], where: str) -> None:
    wall, data = record.get("w"), record.get("d")
    if type(wall) not in (int, float):
        raise InvalidInput(f"{where}: wall time w must be a number, got {wall!r}")
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: d must be an object of metric values")
    system = record["t"] == rec.SYSTEM
    for key, value in data.items():
        problem = key_problem(key)
        if problem:
            raise InvalidInput(f"{where}: {problem}")
        if system and not rec.is_system_key(key):
            raise InvalidInput(
                f"{where}: system metric {key!r} must start with {rec.SYSTEM_PREFIX!r}"
            )
        if metric_from_json(value) is None:
            raise InvalidInput(
                f"{where}: metric {key!r} has a non-numeric value {str(value)[:80]!r}; "
                'metric values are numbers or "NaN", "Infinity", "-Infinity"'
            )


def _validate_meta(record: dict[str, Any], where: str) -> None:
    try:
        check_json_object("metadata", record.get("d"))
        large = record.get("large")
        if large is not None:
            check_json_object("large metadata", large)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc
    for path in record.get("large") or {}:
        if not path or path.count(".") > 1 or "" in path.split("."):
            raise InvalidInput(
                f"{where}: large metadata path {path!r} must be 'key' or 'section.key'"
            )


def _validate_record(record: dict[str, Any], where: str) -> None:
    kind = record["t"]
    if kind == rec.METRICS:
        step = record.get("s")
        if type(step) is not int or not -(2**62) <= step <= 2**62:
            raise InvalidInput(f"{where}: step must be an integer, got {step!r}")
        _validate_values(record, where)
    elif kind == rec.SYSTEM:
        _validate_values(record, where)
    elif kind == rec.CONSOLE:
        check_log_record(record, where)
    elif kind == rec.META:
        _validate_meta(record, where)
    elif kind in (rec.CONFIG, rec.SUMMARY):
        check_json_object("config" if kind == rec.CONFIG else "summary", record.get("d"))
        if kind == rec.SUMMARY:
            for key in record["d"]:
                problem = key_problem(key)
                if problem:
                    raise InvalidInput(f"{where}: {problem}")
    elif kind == rec.DEFINE:
        problem = key_problem(record.get("k"))
        if problem:
            raise InvalidInput(f"{where}: {problem}")
        if record.get("summary") not in rec.SUMMARY_MODES:
            raise InvalidInput(f"{where}: summary must be one of {', '.join(rec.SUMMARY_MODES)}")
    elif kind == rec.FINISH:
        if record.get("state") not in RUN_STATES:
            raise InvalidInput(f"{where}: state must be one of {', '.join(RUN_STATES)}")
    elif kind in (rec.RUN, rec.UPDATE):
        _validate_run_fields(record, where)


def _validate_run_fields(record: dict[str, Any], where: str) -> None:
    try:
        check_run_fields(
            {
                k: record.get(k)
                for k in (
                    "name",
                    "tags",
                    "notes",
                    "config",
                    "metadata",
                    "group",
                    "job_type",
                    "host",
                )
            }
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc
    if record.get("fork_from") is not None:
        check_fork_from(record["fork_from"], where)


class Ingestor:
    """Applies batches of records to the store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ingest(self, envelope: Envelope, records: list[Any]) -> IngestResult:
        validate(records)
        with self.db.write() as conn:
            return _apply(conn, envelope, records)


def _apply(conn: Connection, env: Envelope, records: list[dict[str, Any]]) -> IngestResult:
    now = time.time()
    primary = rec.is_primary(env.rank)
    project_id = ensure_project(conn, env.project)
    run = conn.execute(for_update(conn, select(runs).where(runs.c.id == env.run_id))).first()
    if run is None:
        first = next((r for r in records if r["t"] == rec.RUN), {})
        if not primary:  # another rank's host and metadata are its own, not the run's
            first = {k: v for k, v in first.items() if k not in ("host", "metadata")}
        conn.execute(runs.insert().values(new_run_row(env.run_id, project_id, **first)))
        run = conn.execute(select(runs).where(runs.c.id == env.run_id)).one()
    elif run.project_id != project_id:
        raise Conflict(f"run {env.run_id!r} belongs to another project, not {env.project!r}")

    insert_ignoring_conflicts(
        conn,
        writers,
        [
            {
                "run_id": env.run_id,
                "writer_id": env.writer,
                "last_seq": 0,
                "rank": env.rank,
                "host": env.host,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    last_seq = int(
        conn.execute(
            for_update(
                conn,
                select(writers.c.last_seq).where(
                    writers.c.run_id == env.run_id, writers.c.writer_id == env.writer
                ),
            )
        ).scalar_one()
    )
    fresh = [r for r in records if r["q"] > last_seq]
    if not fresh:
        return IngestResult(0, len(records), last_seq)

    state = RunState.from_row(run, env.rank)
    suffix = rec.rank_key("", env.rank)
    metrics: dict[str, _Series] = {}
    modes: dict[str, str] = {}
    lines: list[list[Any]] = []
    large: dict[str, Any] = {}
    for record in fresh:
        kind = record["t"]
        if kind == rec.METRICS:
            step = record["s"]
            _collect(metrics, record, step, suffix)
            if primary and (state.last_step is None or step > state.last_step):
                state.last_step = step
        elif kind == rec.SYSTEM:
            _collect(metrics, record, round((record["w"] - run.created_at) * 1000), suffix)
        elif kind == rec.CONSOLE:
            lines.extend(record["lines"])
        elif kind == rec.DEFINE:
            modes[rec.rank_key(record["k"], env.rank)] = record["summary"]
        else:
            if kind == rec.RUN and record.get("fork_from") and "fork" not in state.metadata:
                state.fork(copy_history(conn, env.run_id, record["fork_from"]))
            elif kind == rec.META and record.get("large"):
                large.update(record["large"])
            state.apply(record)

    summary_changes = _apply_metrics(conn, env.run_id, metrics, modes)
    summary_changes = {k: v for k, v in summary_changes.items() if rec.is_run_series(k)}
    state.summary.update({k: v for k, v in summary_changes.items() if v is not None})
    for key in [k for k, v in summary_changes.items() if v is None]:
        state.summary.pop(key, None)
    state.summary.update(state.user_summary)
    append_lines(conn, env.run_id, env.rank, lines)
    for path, value in large.items():
        stored = path if primary else f"ranks.{env.rank}.{path}"
        row = {"run_id": env.run_id, "path": stored, "value": json_safe(value)}
        upsert(conn, run_metadata, row, keys=("run_id", "path"), update=("value",))

    values = state.changed_values()
    values.update(updated_at=now, heartbeat_at=now)
    conn.execute(update(runs).where(runs.c.id == env.run_id).values(**values))
    new_last = fresh[-1]["q"]
    conn.execute(
        update(writers)
        .where(writers.c.run_id == env.run_id, writers.c.writer_id == env.writer)
        .values(last_seq=new_last, updated_at=now)
    )
    return IngestResult(len(fresh), len(records) - len(fresh), new_last)


def _collect(metrics: dict[str, _Series], record: dict[str, Any], step: int, suffix: str) -> None:
    """Add a record's values to the series they go to (``suffix``: another rank's mark)."""
    wall = float(record["w"])
    for key, value in record["d"].items():
        name = key + suffix if suffix else key
        s = metrics.get(name)
        if s is None:
            s = metrics[name] = _Series()
        s.steps.append(step)
        s.times.append(wall)
        s.values.append(metric_from_json(value))  # type: ignore[arg-type]


def _apply_metrics(
    conn: Connection, run_id: str, metrics: dict[str, _Series], modes: dict[str, str]
) -> dict[str, Any]:
    """Append points, update series stats; return the run summary values that changed."""
    keys = sorted(set(metrics) | set(modes))
    if not keys:
        return {}
    rows = ensure_series(conn, run_id, keys)
    new_chunks: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    to_compact: list[int] = []
    for key in keys:
        row = rows[key]
        stats, open_chunks = row.stats, row.open_chunks
        mode = modes.get(key, row.summary_mode)
        collected = metrics.get(key)
        if collected is not None:
            steps, times, values = collected.steps, collected.times, collected.values
            if len(steps) < QUICK_BELOW:
                # A few points (one of many series of a wide step): no numpy per series.
                stats = merge_stats_lists(stats, steps, times, values)
                new_chunks.append(small_chunk_row(row.id, steps, times, values))
                open_chunks += 1
            else:
                points = points_from_lists(steps, times, values)
                stats = merge_stats(stats, points)
                pieces, partial = chunk_rows(row.id, points)
                new_chunks.extend(pieces)
                open_chunks += partial
            if open_chunks >= COMPACT_AFTER_OPEN_CHUNKS:
                to_compact.append(row.id)
        changes.append(
            {"sid": row.id, "new_stats": stats, "new_open": open_chunks, "new_mode": mode}
        )
        summary[key] = summary_value(stats, mode)
    if new_chunks:
        conn.execute(chunks.insert(), new_chunks)
    remaining = compact_many(conn, to_compact)
    for change in changes:
        if change["sid"] in remaining:
            change["new_open"] = remaining[change["sid"]]
    update_series(conn, changes)
    return summary

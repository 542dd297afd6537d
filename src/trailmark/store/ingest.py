"""Apply a batch of spool records to the store in one transaction, each record at most once.

A batch belongs to one writer of one run. The writer's highest applied sequence number
is kept in ``writers.last_seq``; records at or below it are skipped, so retries and
replays (``trailmark sync``) are harmless. Everything is validated before anything is
written: a malformed batch is refused whole with a message naming the bad record.

Many batches (of any runs and writers) can be applied in one transaction, as the server's
ingest writer does with those that arrive together (:meth:`Ingestor.ingest_many`): the result
is what applying them one after the other gives, with a few statements for the whole group,
one chunk append and one stats update per series, and one commit.

A writer of rank 0 (or without a rank) writes the run's own series, state and metadata.
Another rank's metrics go to ``<key>@rank<r>`` series, its metadata and end state to
``metadata.ranks.<r>``; a failure there marks the run failed too. System metrics (``sys``)
are filed on their own axis: milliseconds since the run was created. Neither they nor other
ranks' series appear in the run's summary or move its ``last_step``.

What a record does is its kind's (:mod:`trailmark.store.record_kinds`): the group hands each
writer's consecutive records of one type to their kind's ``apply``, and writes once what
the kinds gathered: run rows, series appends, and each kind's deferred rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from trailmark import records as rec
from trailmark.errors import Conflict, InvalidInput, TrailmarkError, Unavailable
from trailmark.store.chunks import CHUNK_TARGET, Points
from trailmark.store.database import Database
from trailmark.store.dialect import fetch_together, insert_ignoring_conflicts, pipelined
from trailmark.store.ingest_checks import validate
from trailmark.store.ingest_rows import (
    RunRow,
    lock_runs,
    project_ids,
    projects_found,
    projects_query,
    runs_found,
    runs_query,
    seqs_found,
    seqs_query,
    update_runs,
    update_writers,
    writer_seqs,
)
from trailmark.store.metrics import (
    COMPACT_AFTER_OPEN_CHUNKS,
    QUICK_BELOW,
    SeriesRow,
    chunk_rows,
    compact_after,
    delete_chunks,
    ensure_series_of_runs,
    insert_chunks,
    merge_partial_chunks,
    points_from_lists,
    series_found,
    series_queries,
    small_chunk_row,
    update_series,
)
from trailmark.store.record_kinds import KINDS, RecordKind
from trailmark.store.record_kinds.base import RunWork, Series, WriterBatch
from trailmark.store.run_state import RunState
from trailmark.store.runs import new_run_row
from trailmark.store.schema import runs
from trailmark.store.series_stats import merge_stats, merge_stats_lists, summary_value
from trailmark.validation import (
    check_name,
    check_project_name,
    check_run_id,
)

log = logging.getLogger("trailmark.ingest")


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


Batch = tuple[Envelope, list[Any]]
"""One writer's records, as a request brings them."""


class Ingestor:
    """Applies batches of records to the store (``kinds``: the record kinds it knows, by
    tag; see :mod:`trailmark.store.record_kinds`)."""

    def __init__(self, db: Database, kinds: Mapping[str, RecordKind] = KINDS) -> None:
        self.db = db
        self.kinds = kinds

    def ingest(self, envelope: Envelope, records: list[Any]) -> IngestResult:
        validate(records, self.kinds)
        with self.db.write() as conn:
            return _apply_group(conn, [(envelope, records)], kinds=self.kinds)[0]

    def ingest_many(
        self, batches: Sequence[Batch], *, busy: bool = False, checked: bool = False
    ) -> list[IngestResult | Exception]:
        """Apply the batches of many writers in one transaction (group commit): one commit
        for all, and per series one chunk append and one stats update however many writers
        sent points. Each batch keeps its own outcome, in order: a batch that fails
        validation is refused alone, and if applying the group fails, every batch is applied
        again in a transaction of its own so that only the one at fault is refused. Nothing
        partial is ever written: a transaction is committed whole or not at all.
        ``checked``: every batch has passed :func:`~trailmark.store.ingest_checks.validate`
        with this ingestor's kinds.
        """
        outcomes: list[IngestResult | Exception] = []
        valid: list[int] = []
        for index, (_, records) in enumerate(batches):
            try:
                if not checked:
                    validate(records, self.kinds)
            except TrailmarkError as exc:
                outcomes.append(exc)
                continue
            outcomes.append(_PENDING)
            valid.append(index)
        if len(valid) > 1:
            applied = self._apply_together([batches[i] for i in valid], busy)
            if applied is not None:
                for index, result in zip(valid, applied, strict=True):
                    outcomes[index] = result
                return outcomes
        database_failed: OperationalError | None = None
        for index in valid:
            if database_failed is not None:
                # The database itself fails (locked by another process for longer than the
                # busy timeout, connection lost): trying the others one by one would only
                # make each of them wait as long.
                outcomes[index] = database_failed
                continue
            try:
                outcomes[index] = self._apply_alone(batches[index], busy)
            except OperationalError as exc:
                outcomes[index] = database_failed = exc
            except Exception as exc:  # this batch's outcome: its caller raises it
                outcomes[index] = exc
        return outcomes

    def _apply_alone(self, batch: Batch, busy: bool) -> IngestResult:
        """One batch in a transaction of its own. A key that another server's transaction
        took first (a race the statements do not foresee) is tried once more: the new
        transaction reads the rows as the winner left them. Should it lose again, the batch
        is answered as a temporary failure (503): ingest is idempotent, so the sender sends it
        again, where a 409 would have set the batch aside for good."""
        for attempt in (1, 2):
            try:
                with self.db.write() as conn:
                    return _apply_group(conn, [batch], busy, self.kinds)[0]
            except IntegrityError as exc:
                kind = type(exc.orig).__name__
                log.info("a batch lost a race with another writer (%s, try %d)", kind, attempt)
        raise Unavailable("the batch lost a race with another writer twice; send it again")

    def _apply_together(self, batches: list[Batch], busy: bool) -> list[IngestResult] | None:
        try:
            with self.db.write() as conn:
                return _apply_group(conn, batches, busy, self.kinds)
        except Exception as exc:
            log.info("a group of %d batches failed (%s); applying each alone", len(batches), exc)
            return None


_PENDING = IngestResult(0, 0, 0)


def _apply_group(
    conn: Connection,
    batches: Sequence[Batch],
    busy: bool = False,
    kinds: Mapping[str, RecordKind] = KINDS,
) -> list[IngestResult]:
    """Apply validated batches of any runs and writers, as if one after the other, with a
    few statements for the whole group rather than a few per batch. ``busy``: more requests
    wait behind this group, so compaction that can wait does (see :func:`_compact_now`)."""
    now = time.time()
    first_seen: dict[tuple[str, str], tuple[int | None, str | None]] = {}
    for env, _ in batches:
        first_seen.setdefault((env.run_id, env.writer), (env.rank, env.host))
    names = sorted({env.project for env, _ in batches})
    run_ids = sorted({env.run_id for env, _ in batches})
    wanted = _series_wanted(batches, kinds)
    # Everything the group reads, in one round trip on PostgreSQL; what is missing (a new
    # project, run, writer or series) is created and read back after.
    series_reads = series_queries(wanted)
    found = fetch_together(
        conn,
        [
            projects_query(names),
            runs_query(conn, run_ids),
            seqs_query(conn, list(first_seen)),
            *series_reads,
        ],
    )
    projects = project_ids(conn, names, projects_found(found[0]))
    run_rows = _lock_runs(conn, batches, projects, runs_found(found[1]))
    for env, _ in batches:
        if run_rows[env.run_id].project_id != projects[env.project]:
            raise Conflict(f"run {env.run_id!r} belongs to another project, not {env.project!r}")
    last_seqs = writer_seqs(conn, first_seen, now, seqs_found(found[2]))
    known_series: dict[tuple[str, str], SeriesRow] = {}
    for rows in found[3:]:
        known_series.update(series_found(rows))

    results: list[IngestResult] = []
    work: dict[str, RunWork] = {}
    deferred: dict[str, list[Any]] = {}  # by kind: rows its write puts in the database
    for env, records in batches:
        writer = (env.run_id, env.writer)
        fresh = _after(records, last_seqs[writer])
        if fresh:
            last_seqs[writer] = fresh[-1]["q"]
            run = work.get(env.run_id)
            if run is None:
                row = run_rows[env.run_id]
                run = work[env.run_id] = RunWork(row, RunState.from_row(row, env.rank))
            run.state.rank = env.rank
            run.writers.add(env.writer)
            batch = WriterBatch(conn, env.run_id, env.rank, run, deferred)
            for tag, block in groupby(fresh, _TAG):
                kinds[tag].apply(list(block), batch)
        results.append(IngestResult(len(fresh), len(records) - len(fresh), last_seqs[writer]))
    if not work:
        return results
    for tag, pending in deferred.items():
        kinds[tag].write(conn, pending)

    summaries, series_changes, stale = _apply_metrics(conn, work, known_series, busy)
    changes: list[tuple[str, dict[str, Any]]] = []
    for run_id, run in sorted(work.items()):
        state = run.state
        changed = {k: v for k, v in summaries.get(run_id, {}).items() if rec.is_run_series(k)}
        state.summary.update({k: v for k, v in changed.items() if v is not None})
        for key in [k for k, v in changed.items() if v is None]:
            state.summary.pop(key, None)
        state.summary.update(state.user_summary)
        if run.fields_changed:
            values = state.changed_values()
        else:  # points and console lines only: the rest of the row is as it was read
            values = {"summary": state.summary, "last_step": state.last_step}
        values.update(updated_at=now, heartbeat_at=now)
        changes.append((run_id, values))
    with pipelined(conn):
        delete_chunks(conn, stale)
        update_series(conn, series_changes)
        update_runs(conn, changes)
        update_writers(
            conn,
            [
                (run_id, w, last_seqs[(run_id, w)])
                for run_id, run in sorted(work.items())
                for w in sorted(run.writers)
            ],
            now,
        )
    return results


_TAG = itemgetter("t")


def _lock_runs(
    conn: Connection,
    batches: Sequence[Batch],
    projects: dict[str, int],
    found: dict[str, RunRow],
) -> dict[str, RunRow]:
    """The rows of the batches' runs (``found``: those that exist, read and locked in id
    order, see :func:`~trailmark.store.ingest_rows.lock_runs`); a run seen for the first
    time is created from its first batch's ``run`` record."""
    new_rows: dict[str, dict[str, Any]] = {}
    for env, records in batches:
        if env.run_id in found or env.run_id in new_rows:
            continue
        first: dict[str, Any] = next((r for r in records if r["t"] == rec.RUN), {})
        if not rec.is_primary(env.rank):  # another rank's host and metadata are its own
            first = {k: v for k, v in first.items() if k not in ("host", "metadata")}
        new_rows[env.run_id] = new_run_row(env.run_id, projects[env.project], **first)
    if new_rows:
        # Another server may be creating the same run from another writer's first batch:
        # the row that loses waits for the winner's commit and is skipped, and the run is
        # read (and locked) as the winner wrote it; this batch's records then apply to it.
        insert_ignoring_conflicts(conn, runs, [new_rows[run_id] for run_id in sorted(new_rows)])
        found.update(lock_runs(conn, sorted(new_rows)))
    return found


def _series_wanted(
    batches: Sequence[Batch], kinds: Mapping[str, RecordKind]
) -> dict[str, list[str]]:
    """The series each run's records may append to or define (those of records already
    applied too: reading a few rows more is cheaper than a round trip more)."""
    wanted: dict[str, set[str]] = {}
    for env, records in batches:
        keys = wanted.setdefault(env.run_id, set())
        suffix = rec.rank_key("", env.rank)
        named: set[str] = set()
        for tag, block in groupby(records, _TAG):
            named.update(kinds[tag].series(list(block)))
        keys.update(k + suffix for k in named) if suffix else keys.update(named)
    return {run_id: sorted(keys) for run_id, keys in sorted(wanted.items()) if keys}


def _after(records: list[dict[str, Any]], last_seq: int) -> list[dict[str, Any]]:
    """The records after ``last_seq`` (sequence numbers increase within a batch)."""
    if not records or records[0]["q"] > last_seq:
        return records
    start = 0
    while start < len(records) and records[start]["q"] <= last_seq:
        start += 1
    return records[start:]


def _apply_metrics(
    conn: Connection,
    work: dict[str, RunWork],
    known: dict[tuple[str, str], SeriesRow],
    busy: bool = False,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[int]]:
    """Append points of the group's runs, with a few statements for all (``known``: the
    series rows read already); return each run's summary values that changed, the series'
    new stats and the ids of the chunks that compaction merged (for the caller to write
    and delete with the run rows: :func:`~trailmark.store.metrics.update_series`)."""
    wanted = {
        run_id: sorted(set(run.metrics) | set(run.modes))
        for run_id, run in sorted(work.items())
        if run.metrics or run.modes
    }
    if not wanted:
        return {}, [], []
    rows = ensure_series_of_runs(conn, wanted, known)
    changes: list[dict[str, Any]] = []
    summaries: dict[str, dict[str, Any]] = {}
    appends: dict[int, Series | Points] = {}
    due: list[tuple[float, int, int]] = []  # (open chunks over threshold, points, series id)
    appended = 0
    for run_id, keys in wanted.items():
        metrics, modes = work[run_id].metrics, work[run_id].modes
        summary = summaries[run_id] = {}
        for key in keys:
            row = rows[(run_id, key)]
            stats, open_chunks = row.stats, row.open_chunks
            mode = modes.get(key, row.summary_mode)
            collected = metrics.get(key)
            if collected is not None:
                steps, times, values = collected.steps, collected.times, collected.values
                if len(steps) < QUICK_BELOW:
                    # A few points (one of many series of a wide step): no numpy per series.
                    stats = merge_stats_lists(stats, steps, times, values)
                    appends[row.id] = collected
                else:
                    points = points_from_lists(steps, times, values)
                    stats = merge_stats(stats, points)
                    appends[row.id] = points
                open_chunks += bool(len(steps) % CHUNK_TARGET)  # the partial piece
                appended += len(steps)
                threshold = compact_after(len(steps))
                if open_chunks >= threshold:
                    due.append((open_chunks / threshold, open_chunks * len(steps), row.id))
            changes.append(
                {"sid": row.id, "new_stats": stats, "new_open": open_chunks, "new_mode": mode}
            )
            summary[key] = summary_value(stats, mode)
    chosen = _compact_now(due, len(changes), appended, busy)
    # The points of a series being compacted are merged with its partial chunks in memory:
    # no chunk of their own, written now to be rewritten at once.
    merged = merge_partial_chunks(
        conn, chosen, {sid: _as_points(appends.pop(sid)) for sid in chosen if sid in appends}
    )
    new_chunks = merged.rows
    for sid, pending in appends.items():
        if isinstance(pending, Points):
            new_chunks.extend(chunk_rows(sid, pending, partial_quick=True)[0])
        else:
            new_chunks.append(small_chunk_row(sid, pending.steps, pending.times, pending.values))
    insert_chunks(conn, new_chunks)
    for change in changes:
        if change["sid"] in merged.remaining:
            change["new_open"] = merged.remaining[change["sid"]]
    return summaries, changes, merged.stale


def _as_points(pending: Series | Points) -> Points:
    if isinstance(pending, Points):
        return pending
    return points_from_lists(pending.steps, pending.times, pending.values)


def _compact_now(
    due: list[tuple[float, int, int]], series_appended: int, appended: int, busy: bool = False
) -> list[int]:
    """The series to compact now, of those ``due`` (open chunks over the series' threshold,
    see :func:`~trailmark.store.metrics.compact_after`; their partial points, estimated;
    id), the most overdue first.

    Series logged in step (every metric of a training loop, of every run) reach their
    threshold in the same group, and compacting them all at once made that group 10-15
    times slower than the others: a latency spike every so many groups. So a group
    compacts about twice its share of series (``series_appended`` got points, about one in
    :data:`~trailmark.store.metrics.COMPACT_AFTER_OPEN_CHUNKS` of them is due) and of
    points (about twice the points it ``appended``: each point is compacted about once),
    leaving the rest to the next groups, except series twice over their threshold: the
    same work, spread out.

    When requests wait behind the group (``busy``: many writers finishing at once, or a
    steady load near what the server can take), only series twice over their threshold are
    compacted, within the same share (past it, only those three times over): the rest waits
    for a group with nobody behind it, so compaction is done while the server would
    otherwise idle instead of adding to the wait of every request in the queue, and a busy
    spell never makes one group compact every series at once.
    """
    if busy:
        due = [d for d in due if d[0] >= 2]
    due.sort(reverse=True)
    series_left = max(16, 2 * series_appended // COMPACT_AFTER_OPEN_CHUNKS)
    points_left = max(2 * appended, COMPACT_BUDGET_MIN)
    chosen: list[int] = []
    for over, points, sid in due:
        if (series_left > 0 and points_left > 0) or over >= (3 if busy else 2):
            chosen.append(sid)
            series_left -= 1
            points_left -= points
    return sorted(chosen)


COMPACT_BUDGET_MIN = 4 * CHUNK_TARGET
"""Points a group may compact however few it appended."""

"""Metric series stored as columnar chunks: append, compact, read, downsample, history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Connection, select

from trailmark import records as rec
from trailmark.errors import InvalidInput, NotFound
from trailmark.store.buckets import downsample
from trailmark.store.chunks import (
    CHUNK_TARGET,
    EncodedChunk,
    Points,
    decode_chunk,
    decode_chunks,
    encode_chunk,
    encode_small,
)
from trailmark.store.database import Database, json_text, json_value
from trailmark.store.dialect import (
    execute_many,
    fetch_all,
    insert_many,
    insert_new,
    update_many,
)
from trailmark.store.runs import require_run
from trailmark.store.schema import chunks, projects, runs, series
from trailmark.store.sketches import BLOCK, make_sketch, read_sketch

COMPACT_AFTER_OPEN_CHUNKS = 16
"""A series has its partly-filled chunks merged once it has at least this many of them..."""

MAX_OPEN_CHUNKS = 64
"""...and at most this many (a read decodes every partial chunk of the range it asks for)."""


def compact_after(appended: int) -> int:
    """How many partial chunks a series may have, given the size of its latest append.

    Merging rewrites every partial point, so merging before the partial points fill a chunk
    writes the same points again and again: with appends of 100 points and a fixed 16, each
    point was written four times before it reached a full chunk, and those rewrites were
    half of the database's work under many writers. So a series waits until its partial
    chunks hold about a full chunk (estimated from its appends, which a training loop keeps
    about the same size), between :data:`COMPACT_AFTER_OPEN_CHUNKS` and
    :data:`MAX_OPEN_CHUNKS` of them.
    """
    wanted = -(-CHUNK_TARGET // max(1, appended))
    return min(MAX_OPEN_CHUNKS, max(COMPACT_AFTER_OPEN_CHUNKS, wanted))


_IN_BATCH = 500

QUICK_BELOW = 256
"""Fewer points than a sketch needs (:data:`~trailmark.store.sketches.MIN_POINTS`). Chunks of fewer points are encoded quickly (raw): they are partial, and compaction
merges and re-encodes them once a series has :data:`COMPACT_AFTER_OPEN_CHUNKS`."""


class SeriesRow(NamedTuple):
    id: int
    run_id: str
    key: str
    summary_mode: str
    stats: dict[str, Any]
    open_chunks: int


def ensure_series(conn: Connection, run_id: str, keys: Sequence[str]) -> dict[str, SeriesRow]:
    """Series rows of one run by key for every key, creating the missing ones."""
    found = ensure_series_of_runs(conn, {run_id: list(keys)})
    return {key: row for (_, key), row in found.items()}


def ensure_series_of_runs(
    conn: Connection,
    wanted: dict[str, list[str]],
    found: dict[tuple[str, str], SeriesRow] | None = None,
) -> dict[tuple[str, str], SeriesRow]:
    """Series rows by (run, key) for every key wanted of each run, creating the missing ones.

    ``found``: the rows of these keys (or more) already read in this transaction (see
    :func:`series_queries`): a key not among them does not exist yet."""
    found = _series_rows(conn, wanted) if found is None else found
    missing = {
        run_id: [k for k in keys if (run_id, k) not in found] for run_id, keys in wanted.items()
    }
    missing = {run_id: keys for run_id, keys in missing.items() if keys}
    if missing:
        created = insert_new(
            conn,
            series.name,
            _NEW_SERIES_COLUMNS,
            [(run_id, k, "last", "{}", 0) for run_id, keys in missing.items() for k in keys],
            _SERIES_COLUMNS,
        )
        found.update(series_found(created))
        # Keys another writer created in the meantime (skipped by the insert): read them.
        raced = {
            run_id: [k for k in keys if (run_id, k) not in found]
            for run_id, keys in missing.items()
        }
        raced = {run_id: keys for run_id, keys in raced.items() if keys}
        if raced:
            found.update(_series_rows(conn, raced))
    return found


_SERIES_COLUMNS = ("id", "run_id", "key", "summary_mode", "stats", "open_chunks")
_NEW_SERIES_COLUMNS = (
    ("run_id", "text"),
    ("key", "text"),
    ("summary_mode", "text"),
    ("stats", "jsonb"),
    ("open_chunks", "integer"),
)


def _series_rows(
    conn: Connection, wanted: dict[str, list[str]]
) -> dict[tuple[str, str], SeriesRow]:
    """Existing series rows by (run, key) for the keys wanted of each run.

    Read through the driver: a wide step asks for 10,000 rows, and SQLAlchemy's per-row
    result processing cost more than the query."""
    found: dict[tuple[str, str], SeriesRow] = {}
    for sql, params in series_queries(wanted):
        found.update(series_found(fetch_all(conn, sql, params)))
    return found


def series_queries(wanted: dict[str, list[str]]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements that read the series rows of the keys wanted of each run (for
    :func:`~trailmark.store.dialect.fetch_all` or :func:`~trailmark.store.dialect.fetch_together`;
    their rows go to :func:`series_found`)."""
    run_ids = sorted(wanted)
    keys = sorted({k for ks in wanted.values() for k in ks})
    runs_in = ", ".join("?" * len(run_ids))
    queries = []
    for start in range(0, len(keys), _IN_BATCH):
        part = keys[start : start + _IN_BATCH]
        sql = (
            f"SELECT {', '.join(_SERIES_COLUMNS)} FROM {series.name} "
            f"WHERE run_id IN ({runs_in}) AND key IN ({', '.join('?' * len(part))})"
        )
        queries.append((sql, (*run_ids, *part)))
    return queries


def series_found(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], SeriesRow]:
    found = {}
    for sid, run_id, key, mode, stats, open_chunks in rows:
        parsed = stats if isinstance(stats, dict) else json_value(stats)
        found[(run_id, key)] = SeriesRow(sid, run_id, key, mode, parsed, open_chunks)
    return found


def chunk_rows(
    series_id: int, points: Points, *, partial_quick: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Encoded chunk rows for ``points``, and how many of them are not full.

    ``partial_quick``: a piece that is not full is stored in the quick encoding and
    without a sketch, as small appends are; compaction uses this for the remainder it
    will merge again later, so each point pays the full codec once, when its chunk fills.
    """
    rows: list[dict[str, Any]] = []
    partial = 0
    for piece in points.split(CHUNK_TARGET):
        full = len(piece) >= CHUNK_TARGET
        if not full and (partial_quick or len(piece) < QUICK_BELOW):
            rows.append(_chunk_row(series_id, encode_chunk(piece, quick=True), None))
        else:
            rows.append(_chunk_row(series_id, encode_chunk(piece), make_sketch(piece)))
        partial += not full
    return rows, partial


def _chunk_row(series_id: int, encoded: EncodedChunk, sketch: bytes | None) -> dict[str, Any]:
    return {
        "series_id": series_id,
        "npoints": encoded.count,
        "step_min": encoded.step_min,
        "step_max": encoded.step_max,
        "steps": encoded.steps,
        "times": encoded.times,
        "vals": encoded.vals,
        "sketch": sketch,
    }


def small_chunk_row(
    series_id: int, steps: list[int], times: list[float], values: list[float]
) -> dict[str, Any]:
    """The chunk row of a small append (fewer than :data:`QUICK_BELOW` points), numpy-free."""
    return _chunk_row(series_id, encode_small(steps, times, values), None)


class Compaction(NamedTuple):
    """Partial chunks merged in memory: what to delete, what to insert, what is left."""

    stale: list[int]
    """Ids of the chunks merged (to delete)."""
    rows: list[dict[str, Any]]
    """The merged chunk rows (to insert)."""
    remaining: dict[int, int]
    """Partial chunks of each series once the merged rows replace the stale ones."""


def merge_partial_chunks(
    conn: Connection, series_ids: Sequence[int], adding: dict[int, Points] | None = None
) -> Compaction:
    """Read and merge the partly-filled chunks of each series, with the points being
    ``adding`` to it (which then need no chunk of their own); writes nothing.

    A few statements whatever the number of series (a wide run compacts 10,000 at once).
    """
    adding = adding or {}
    partial: dict[int, list[tuple[Any, ...]]] = {sid: [] for sid in series_ids}
    for start in range(0, len(series_ids), _IN_BATCH):
        part = series_ids[start : start + _IN_BATCH]
        sql = (
            f"SELECT id, series_id, npoints, steps, times, vals FROM {chunks.name} "
            f"WHERE series_id IN ({', '.join('?' * len(part))}) AND npoints < ? ORDER BY id"
        )
        for row in fetch_all(conn, sql, (*part, CHUNK_TARGET)):
            partial[row[1]].append(row)
    merged = Compaction([], [], {})
    for sid, found in partial.items():
        new = adding.get(sid)
        if len(found) + (new is not None) < 2:
            if new is not None:
                rows, merged.remaining[sid] = chunk_rows(sid, new, partial_quick=True)
                merged.rows.extend(rows)
            else:
                merged.remaining[sid] = len(found)
            continue
        points = decode_chunks([(n, steps, times, vals) for _, _, n, steps, times, vals in found])
        if new is not None:
            points = Points.concat([points, new])
        merged.stale.extend(row[0] for row in found)
        rows, merged.remaining[sid] = chunk_rows(sid, points, partial_quick=True)
        merged.rows.extend(rows)
    return merged


def delete_chunks(conn: Connection, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), _IN_BATCH):
        part = ids[start : start + _IN_BATCH]
        execute_many(
            conn,
            f"DELETE FROM {chunks.name} WHERE id IN ({', '.join('?' * len(part))})",
            [tuple(part)],
        )


def compact_many(conn: Connection, series_ids: Sequence[int]) -> dict[int, int]:
    """Merge the partly-filled chunks of each series; how many partial chunks remain, by id."""
    merged = merge_partial_chunks(conn, series_ids)
    delete_chunks(conn, merged.stale)
    insert_chunks(conn, merged.rows)
    return merged.remaining


def read_points(
    conn: Connection, series_id: int, min_step: int | None, max_step: int | None
) -> Points:
    """Every point of a series in the inclusive step range, sorted by step (stable)."""
    query = select(chunks.c.npoints, chunks.c.steps, chunks.c.times, chunks.c.vals).where(
        chunks.c.series_id == series_id
    )
    if min_step is not None:
        query = query.where(chunks.c.step_max >= min_step)
    if max_step is not None:
        query = query.where(chunks.c.step_min <= max_step)
    parts = [
        (r.npoints, r.steps, r.times, r.vals) for r in conn.execute(query.order_by(chunks.c.id))
    ]
    merged = decode_chunks(parts) if parts else Points.empty()
    return merged.sorted_by_step().in_range(min_step, max_step)


def read_bucketed(
    conn: Connection, series_id: int, buckets: int, min_step: int | None, max_step: int | None
) -> tuple[Points, bool]:
    """Min/max buckets of one series over a step range; see :func:`read_bucketed_many`."""
    return read_bucketed_many(conn, [series_id], buckets, min_step, max_step)[series_id]


def read_bucketed_many(
    conn: Connection,
    series_ids: Sequence[int],
    buckets: int,
    min_step: int | None,
    max_step: int | None,
) -> dict[int, tuple[Points, bool]]:
    """Min/max buckets of several series over a step range, and whether each is bucketed.

    A range holding at most ``2 * buckets`` points comes back whole. Otherwise chunks that
    lie wholly inside the range, when a bucket spans several sketch blocks, contribute
    their sketch instead of their points (see :mod:`trailmark.store.sketches`). Three
    statements whatever the number of series: chunk bounds, sketches, whole chunks.
    """
    lo = -(2**63) if min_step is None else min_step
    hi = 2**63 - 1 if max_step is None else max_step
    meta = conn.execute(
        select(
            chunks.c.id,
            chunks.c.series_id,
            chunks.c.npoints,
            chunks.c.step_min,
            chunks.c.step_max,
            chunks.c.sketch.is_not(None).label("sketched"),
        )
        .where(
            chunks.c.series_id.in_(list(series_ids)),
            chunks.c.step_max >= lo,
            chunks.c.step_min <= hi,
        )
        .order_by(chunks.c.id)
    ).all()
    by_series: dict[int, list[Any]] = {sid: [] for sid in series_ids}
    for m in meta:
        by_series[m.series_id].append(m)
    use_sketch: set[int] = set()
    sketched_series: list[int] = []
    for sid, rows in by_series.items():
        inner = [m for m in rows if m.step_min >= lo and m.step_max <= hi]
        inner_points = sum(m.npoints for m in inner)
        if inner_points > 2 * buckets and inner_points >= 2 * BLOCK * buckets:
            use_sketch.update(m.id for m in inner if m.sketched)
            sketched_series.append(sid)
    parts: dict[int, list[Points]] = {sid: [] for sid in series_ids}
    if sketched_series:
        # By series and range, not by chunk id: an IN list of thousands of ids is slow.
        query = select(chunks.c.series_id, chunks.c.sketch).where(
            chunks.c.series_id.in_(sketched_series),
            chunks.c.step_min >= lo,
            chunks.c.step_max <= hi,
            chunks.c.sketch.is_not(None),
        )
        for row in conn.execute(query):
            parts[row.series_id].append(read_sketch(row.sketch))
    whole = [m.id for m in meta if m.id not in use_sketch]
    if whole:
        query = select(
            chunks.c.series_id, chunks.c.npoints, chunks.c.steps, chunks.c.times, chunks.c.vals
        ).where(chunks.c.id.in_(whole))
        for r in conn.execute(query.order_by(chunks.c.id)):
            parts[r.series_id].append(decode_chunk(r.npoints, r.steps, r.times, r.vals))
    out: dict[int, tuple[Points, bool]] = {}
    for sid, rows in by_series.items():
        points = Points.concat(parts[sid]).sorted_by_step().in_range(min_step, max_step)
        sketched = any(m.id in use_sketch for m in rows)
        if not len(points) or (not sketched and len(points) <= 2 * buckets):
            out[sid] = (points, False)
            continue
        span = (max(lo, min(m.step_min for m in rows)), min(hi, max(m.step_max for m in rows)))
        out[sid] = (downsample(points, buckets, span=span), True)
    return out


class MetricStore:
    """Reads of metric series."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keys(self, run_id: str) -> list[dict[str, Any]]:
        """Every series of a run: key, summary mode and statistics."""
        with self.db.read() as conn:
            require_run(conn, run_id)
            rows = conn.execute(
                select(series.c.key, series.c.summary_mode, series.c.stats)
                .where(series.c.run_id == run_id)
                .order_by(series.c.key)
            ).all()
        return [
            {"key": r.key, "summary": r.summary_mode, "stats": r.stats}
            for r in rows
            if r.stats.get("n")
        ]

    def points(
        self, run_id: str, key: str, min_step: int | None = None, max_step: int | None = None
    ) -> Points:
        """The full-resolution points of one series in a step range."""
        with self.db.read() as conn:
            series_id = _series_id(conn, run_id, key)
            return read_points(conn, series_id, min_step, max_step)

    def bucketed(
        self,
        run_id: str,
        key: str,
        buckets: int,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> Points:
        """Min/max-preserving buckets for a pixel budget; full resolution when few points."""
        return self.chart(run_id, key, buckets, min_step, max_step)[0]

    def chart(
        self,
        run_id: str,
        key: str,
        buckets: int,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> tuple[Points, bool]:
        """What a chart of ``buckets`` pixels shows of a series, and whether it is bucketed."""
        with self.db.read() as conn:
            return read_bucketed(conn, _series_id(conn, run_id, key), buckets, min_step, max_step)

    def many(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        buckets: int | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list[tuple[str, str, Points, bool]]:
        """(run, key, points, bucketed) for every run × key that exists, read in one transaction.

        With ``buckets``, a range of more than ``2 * buckets`` points comes back as min/max buckets.
        """
        out: list[tuple[str, str, Points, bool]] = []
        with self.db.read() as conn:
            rows = conn.execute(
                select(series.c.id, series.c.run_id, series.c.key)
                .where(series.c.run_id.in_(list(run_ids)), series.c.key.in_(list(keys)))
                .order_by(series.c.run_id, series.c.key)
            ).all()
            if buckets is not None:
                charts = read_bucketed_many(conn, [r.id for r in rows], buckets, min_step, max_step)
            for row in rows:
                if buckets is None:
                    points, bucketed = read_points(conn, row.id, min_step, max_step), False
                else:
                    points, bucketed = charts[row.id]
                out.append((row.run_id, row.key, points, bucketed))
        return out

    def keys_of_runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The union of metric keys of ``run_ids``, with how many of those runs have each."""
        from sqlalchemy import func

        with self.db.read() as conn:
            rows = conn.execute(
                select(series.c.key, func.count(series.c.run_id).label("runs"))
                .where(series.c.run_id.in_(list(run_ids)))
                .group_by(series.c.key)
                .order_by(series.c.key)
            ).all()
        return [{"key": r.key, "runs": int(r.runs)} for r in rows]

    def history(
        self,
        run_id: str,
        keys: Iterable[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        rank: int | None = None,
        project: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows by step: ``{"_step", "_timestamp", key: value, ...}`` for the keys asked.

        Without ``keys``: every series of the run itself (not system metrics, not other
        ranks'). With ``rank``, that rank's series (``key@rank<r>``) under their plain names.
        With ``project``, a run of another project is not found.
        """
        with self.db.read() as conn:
            if keys is not None:
                names = {rec.rank_key(k, rank): k for k in keys}
                found = _points_by_key(conn, run_id, project, list(names), min_step, max_step)
                if len(found) == len(names):  # the usual case: one statement in all
                    return join_by_step({names[k]: pts for k, pts in found.items()})
            require_run(conn, run_id, project)
            wanted = list(keys) if keys is not None else None
            query = select(series.c.id, series.c.key).where(series.c.run_id == run_id)
            if wanted is not None:
                names = {rec.rank_key(k, rank): k for k in wanted}
                ids = {
                    names[r.key]: r.id for r in conn.execute(query.where(series.c.key.in_(names)))
                }
                unknown = [k for k in wanted if k not in ids]
                if unknown:
                    whose = f" from rank {rank}" if not rec.is_primary(rank) else ""
                    raise NotFound(f"run {run_id!r} has no metric {unknown[0]!r}{whose}")
            else:
                ids = {}
                for r in conn.execute(query):
                    base, owner = rec.split_rank_key(r.key)
                    if not rec.is_system_key(r.key) and owner == (
                        None if rec.is_primary(rank) else rank
                    ):
                        ids[base] = r.id
            by_key = {k: read_points(conn, sid, min_step, max_step) for k, sid in ids.items()}
        return join_by_step(by_key)


def _points_by_key(
    conn: Connection,
    run_id: str,
    project: str | None,
    keys: list[str],
    min_step: int | None,
    max_step: int | None,
) -> dict[str, Points]:
    """Points in the step range of each of ``keys`` that has a chunk there, in one statement
    (run, project, series and chunks joined). A key absent from the answer may not exist,
    or may have no point in the range: the caller tells which the slower way."""
    query = (
        select(series.c.key, chunks.c.npoints, chunks.c.steps, chunks.c.times, chunks.c.vals)
        .select_from(series.join(chunks, chunks.c.series_id == series.c.id))
        .where(series.c.run_id == run_id, series.c.key.in_(keys))
    )
    if project is not None:
        in_project = (
            select(runs.c.id)
            .join(projects, projects.c.id == runs.c.project_id)
            .where(runs.c.id == run_id, projects.c.name == project)
        )
        query = query.where(series.c.run_id.in_(in_project))
    if min_step is not None:
        query = query.where(chunks.c.step_max >= min_step)
    if max_step is not None:
        query = query.where(chunks.c.step_min <= max_step)
    parts: dict[str, list[tuple[int, Any, Any, Any]]] = {}
    for r in conn.execute(query.order_by(chunks.c.id)):
        parts.setdefault(r.key, []).append((r.npoints, r.steps, r.times, r.vals))
    found = {}
    for key, pieces in parts.items():
        points = decode_chunks(pieces).sorted_by_step().in_range(min_step, max_step)
        if len(points):
            found[key] = points
    return found


def join_by_step(by_key: dict[str, Points]) -> list[dict[str, Any]]:
    """Rows keyed by step with every key's value there; a key missing at a step is absent."""
    if len(by_key) == 1:
        ((key, pts),) = by_key.items()
        steps = pts.steps
        if steps.size < 2 or bool(np.all(steps[1:] > steps[:-1])):
            # One series with distinct steps (the usual case): one row per point.
            return [
                {"_step": s, "_timestamp": t, key: v}
                for s, t, v in zip(
                    steps.tolist(), pts.times.tolist(), pts.values.tolist(), strict=True
                )
            ]
    rows: dict[int, dict[str, Any]] = {}
    for key in sorted(by_key):
        pts = by_key[key]
        for step, when, value in zip(
            pts.steps.tolist(), pts.times.tolist(), pts.values.tolist(), strict=True
        ):
            row = rows.get(step)
            if row is None:
                row = rows[step] = {"_step": step, "_timestamp": when}
            row[key] = value
            if when > row["_timestamp"]:
                row["_timestamp"] = when
    return [rows[s] for s in sorted(rows)]


def _series_id(conn: Connection, run_id: str, key: str) -> int:
    found = conn.execute(
        select(series.c.id).where(series.c.run_id == run_id, series.c.key == key)
    ).scalar()
    if found is None:
        require_run(conn, run_id)
        raise NotFound(f"run {run_id!r} has no metric {key!r}")
    return int(found)


def update_series(conn: Connection, changes: list[dict[str, Any]]) -> None:
    """Write back stats, open-chunk counts and summary modes, one statement for all."""
    update_many(
        conn,
        series.name,
        ("id", "bigint"),
        [("stats", "jsonb"), ("open_chunks", "integer"), ("summary_mode", "text")],
        [(json_text(c["new_stats"]), c["new_open"], c["new_mode"], c["sid"]) for c in changes],
    )


_CHUNK_TYPES = (
    ("series_id", "int8"),
    ("npoints", "int4"),
    ("step_min", "int8"),
    ("step_max", "int8"),
    ("steps", "bytea"),
    ("times", "bytea"),
    ("vals", "bytea"),
    ("sketch", "bytea"),
)
_CHUNK_COLUMNS = tuple(name for name, _ in _CHUNK_TYPES)


def insert_chunks(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert chunk rows (as :func:`chunk_rows` makes them), one statement for all."""
    insert_many(
        conn, chunks.name, _CHUNK_TYPES, [tuple(row[c] for c in _CHUNK_COLUMNS) for row in rows]
    )


def points_from_lists(steps: list[int], times: list[float], values: list[float]) -> Points:
    if not steps:
        raise InvalidInput("no points")
    return Points(
        np.asarray(steps, dtype=np.int64),
        np.asarray(times, dtype=np.float64),
        np.asarray(values, dtype=np.float64),
    )

"""MLflow metric points in Trailmark's chunked series: idempotent appends, latest values, reads.

MLflow clients retry a request that timed out, so the same points can arrive twice. A point
identical in (key, step, timestamp, value) to one the run already has is kept once: before
appending, the chunks overlapping the new points' step range are read back and matching
points dropped (comparing value bits, so a repeated NaN is a duplicate too).

MLflow's "latest" value of a metric is the one at the highest step (then the latest
timestamp, then the largest value), whatever order points arrive in; asynchronous logging
delivers them out of order. It is kept in the series statistics as ``latest``,
``latest_step`` and ``latest_time`` beside Trailmark's own ``last`` (the last one logged),
and it is the run's summary value for that key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection

from trailmark.records import float_to_json, metric_from_json
from trailmark.store.chunks import Points
from trailmark.store.metrics import (
    chunk_rows,
    compact_after,
    compact_many,
    ensure_series,
    read_points,
    update_series,
)
from trailmark.store.schema import chunks
from trailmark.store.series_stats import merge_stats, summary_value


@dataclass(frozen=True)
class MetricPoint:
    """One MLflow metric point: ``time`` in seconds (MLflow sends milliseconds)."""

    key: str
    value: float
    time: float
    step: int


@dataclass(frozen=True)
class LatestPoint:
    value: float
    step: int
    time: float


def _sort_key(step: int, when: float, value: float) -> tuple[int, float, float]:
    return (step, when, -math.inf if math.isnan(value) else value)


def latest_of(stats: dict[str, Any]) -> LatestPoint | None:
    """MLflow's latest point of a series from its stats (Trailmark's last one if unknown)."""
    if not stats.get("n"):
        return None
    if "latest" in stats:
        value, step, when = stats["latest"], stats["latest_step"], stats["latest_time"]
    else:
        value, step, when = stats.get("last"), stats.get("last_step"), stats.get("last_time")
    number = metric_from_json(value)
    return LatestPoint(math.nan if number is None else number, int(step or 0), float(when or 0.0))


def _with_latest(stats: dict[str, Any], points: Points) -> dict[str, Any]:
    ordered = np.where(np.isnan(points.values), -np.inf, points.values)
    best_index = int(np.lexsort((ordered, points.times, points.steps))[-1])
    candidate = (
        int(points.steps[best_index]),
        float(points.times[best_index]),
        float(points.values[best_index]),
    )
    current = latest_of(stats)
    out = dict(stats)
    if current is None or _sort_key(*candidate) > _sort_key(
        current.step, current.time, current.value
    ):
        out["latest"] = float_to_json(candidate[2])
        out["latest_step"], out["latest_time"] = candidate[0], candidate[1]
    elif "latest" not in out:
        out["latest"] = float_to_json(current.value)
        out["latest_step"], out["latest_time"] = current.step, current.time
    return out


def _unique(
    steps: np.ndarray[Any, Any], times: np.ndarray[Any, Any], bits: np.ndarray[Any, Any]
) -> list[int]:
    seen: set[tuple[int, float, int]] = set()
    keep = []
    for i, item in enumerate(zip(steps.tolist(), times.tolist(), bits.tolist(), strict=True)):
        if item not in seen:
            seen.add(item)
            keep.append(i)
    return keep


def _new_points(
    conn: Connection, series_id: int, has_points: bool, pts: list[MetricPoint]
) -> Points:
    """``pts`` without repeats and without points the series already holds."""
    steps = np.asarray([p.step for p in pts], dtype=np.int64)
    times = np.asarray([p.time for p in pts], dtype=np.float64)
    values = np.asarray([p.value for p in pts], dtype=np.float64)
    keep = _unique(steps, times, values.view(np.uint64))
    steps, times, values = steps[keep], times[keep], values[keep]
    if has_points:
        old = read_points(conn, series_id, int(steps.min()), int(steps.max()))
        maybe = np.isin(old.steps, steps) & np.isin(old.times, times)
        if maybe.any():
            held = set(
                zip(
                    old.steps[maybe].tolist(),
                    old.times[maybe].tolist(),
                    old.values[maybe].view(np.uint64).tolist(),
                    strict=True,
                )
            )
            fresh = [
                i
                for i, item in enumerate(
                    zip(
                        steps.tolist(), times.tolist(), values.view(np.uint64).tolist(), strict=True
                    )
                )
                if item not in held
            ]
            steps, times, values = steps[fresh], times[fresh], values[fresh]
    return Points(steps, times, values)


def append_points(conn: Connection, run_id: str, points: Sequence[MetricPoint]) -> dict[str, Any]:
    """Append ``points`` (each kept at most once); return the run's new summary values."""
    by_key: dict[str, list[MetricPoint]] = {}
    for point in points:
        by_key.setdefault(point.key, []).append(point)
    if not by_key:
        return {}
    rows = ensure_series(conn, run_id, sorted(by_key))
    new_chunks: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    to_compact: list[int] = []
    for key, pts in by_key.items():
        row = rows[key]
        fresh = _new_points(conn, row.id, bool(row.stats.get("n")), pts)
        if not len(fresh):
            continue
        stats = _with_latest(merge_stats(row.stats, fresh), fresh)
        pieces, partial = chunk_rows(row.id, fresh)
        new_chunks.extend(pieces)
        open_chunks = row.open_chunks + partial
        if open_chunks >= compact_after(len(fresh)):
            to_compact.append(row.id)
        changes.append(
            {
                "sid": row.id,
                "new_stats": stats,
                "new_open": open_chunks,
                "new_mode": row.summary_mode,
            }
        )
        mode = row.summary_mode
        summary[key] = stats["latest"] if mode == "last" else summary_value(stats, mode)
    if new_chunks:
        conn.execute(chunks.insert(), new_chunks)
    remaining = compact_many(conn, to_compact)
    for change in changes:
        if change["sid"] in remaining:
            change["new_open"] = remaining[change["sid"]]
    update_series(conn, changes)
    return summary


def sample_steps(points: Points, max_results: int) -> Points:
    """At most ``max_results`` points spread evenly over the steps, first and last included."""
    if len(points) <= max_results:
        return points
    if max_results == 1:
        return points.take(np.asarray([len(points) - 1]))
    indices = np.unique(np.linspace(0, len(points) - 1, max_results).round().astype(np.int64))
    return points.take(indices)

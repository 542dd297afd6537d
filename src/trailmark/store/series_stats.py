"""Per-series running statistics, kept in ``series.stats`` and used to compute run summaries.

Keys: ``n`` points, ``nf`` finite points, ``min``/``max``/``sum`` over finite values,
``first``/``first_step``, ``last``/``last_step``/``last_time`` (in logging order).
Non-finite values are stored as JSON strings (see :mod:`trailmark.records`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trailmark.records import float_to_json, metric_from_json
from trailmark.store.chunks import Points


def merge_stats(stats: dict[str, Any], points: Points) -> dict[str, Any]:
    """``stats`` updated with ``points`` (in the order they were logged)."""
    if len(points) == 0:
        return stats
    values = points.values
    finite = values[np.isfinite(values)]
    bounds = (
        (float(finite.min()), float(finite.max()), float(finite.sum())) if len(finite) else None
    )
    first = (float(values[0]), int(points.steps[0]))
    last = (float(values[-1]), int(points.steps[-1]), float(points.times[-1]))
    return _merged(stats, len(values), len(finite), bounds, first, last)


def merge_stats_lists(
    stats: dict[str, Any], steps: list[int], times: list[float], values: list[float]
) -> dict[str, Any]:
    """:func:`merge_stats` for a few points given as Python lists (no numpy per call)."""
    if not values:
        return stats
    total = sum(values)
    if math.isfinite(total):  # then so is every value (a NaN or an infinity would show)
        finite = values
        bounds: tuple[float, float, float] | None = (min(values), max(values), total)
    else:
        finite = [v for v in values if math.isfinite(v)]
        bounds = (min(finite), max(finite), sum(finite)) if finite else None
    return _merged(
        stats,
        len(values),
        len(finite),
        bounds,
        (values[0], steps[0]),
        (values[-1], steps[-1], times[-1]),
    )


def _merged(
    stats: dict[str, Any],
    n: int,
    nf: int,
    bounds: tuple[float, float, float] | None,
    first: tuple[float, int],
    last: tuple[float, int, float],
) -> dict[str, Any]:
    out = dict(stats)
    n_before = int(stats.get("n", 0))
    out["n"] = n_before + n
    out["nf"] = int(stats.get("nf", 0)) + nf
    if bounds is not None:
        fmin, fmax, fsum = bounds
        old_min, old_max = stats.get("min"), stats.get("max")
        out["min"] = fmin if old_min is None else min(float(old_min), fmin)
        out["max"] = fmax if old_max is None else max(float(old_max), fmax)
        out["sum"] = float(stats.get("sum", 0.0)) + fsum
    if n_before == 0:
        out["first"] = float_to_json(first[0])
        out["first_step"] = first[1]
    out["last"] = float_to_json(last[0])
    out["last_step"] = last[1]
    out["last_time"] = last[2]
    return out


def summary_value(stats: dict[str, Any], mode: str) -> Any:
    """The value a run's summary shows for a series in ``mode``; ``None`` hides it."""
    if mode == "none" or not stats.get("n"):
        return None
    if mode == "mean":
        nf = int(stats.get("nf", 0))
        return float_to_json(float(stats["sum"]) / nf) if nf else "NaN"
    if mode in ("min", "max"):
        value = stats.get(mode)
        return value if value is not None else stats.get("last")
    if mode == "first":
        return stats.get("first")
    return stats.get("last")


def stats_view(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats with non-finite values turned back into floats, for Python callers."""
    out = dict(stats)
    for key in ("first", "last"):
        if key in out:
            value = metric_from_json(out[key])
            out[key] = math.nan if value is None else value
    return out

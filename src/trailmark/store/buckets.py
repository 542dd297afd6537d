"""Min/max-preserving downsampling of a series for charts.

A chart asks for a step range and a pixel budget (``buckets``). When the range holds at
most ``2 * buckets`` points it gets them all; otherwise the range is cut into ``buckets``
equal-width step bins and each bin contributes the points holding its smallest and largest
finite values, so spikes and dips never vanish, plus its first non-finite point (NaN or
±inf) if it has one, so gaps and overflows still show. Everything is vectorized: a call
costs a few passes over the points in range plus a little work per bucket.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from trailmark.errors import InvalidInput
from trailmark.store.chunks import INT64_MAX, Points, step_bounds

MAX_BUCKETS: Final = 100_000
"""The largest pixel budget a caller may ask for."""


def validate_buckets(buckets: object) -> int:
    """``buckets`` as an int if it is a valid pixel budget (1 to :data:`MAX_BUCKETS`).

    Raises :class:`~trailmark.errors.InvalidInput` otherwise.
    """
    if isinstance(buckets, bool) or not isinstance(buckets, int | np.integer):
        raise InvalidInput(
            f"buckets must be a whole number from 1 to {MAX_BUCKETS}, got {buckets!r}"
        )
    if not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidInput(f"buckets must be from 1 to {MAX_BUCKETS}, got {int(buckets)}")
    return int(buckets)


def downsample(
    points: Points,
    buckets: int,
    min_step: int | None = None,
    max_step: int | None = None,
    *,
    span: tuple[int, int] | None = None,
) -> Points:
    """The points of ``points`` in the inclusive step range, at most 3 per bucket.

    ``points`` must be sorted by step (as :meth:`Points.sorted_by_step` leaves them); ``None``
    leaves that end of the range open, and ``min_step > max_step`` gives no points. When the
    range holds at most ``2 * buckets`` points they are all returned. Otherwise the steps
    from the first to the last point in range are cut into ``buckets`` equal-width bins, and
    each non-empty bin keeps the first point with its minimum finite value, the first with
    its maximum finite value, and its first non-finite point, if any. The result is sorted
    by step, equal steps in their original order.

    ``span`` (first step, last step) fixes the bins' extent instead of the points' own: a
    caller that bins a subset of a series (such as chunk sketches) gets the same bins as
    binning the whole series would.

    Raises :class:`~trailmark.errors.InvalidInput` if ``buckets`` is not 1 to
    :data:`MAX_BUCKETS`.
    """
    buckets = validate_buckets(buckets)
    bounds = step_bounds(min_step, max_step)
    if bounds is None:
        return Points.empty()
    steps = points.steps
    start = 0 if min_step is None else int(np.searchsorted(steps, bounds[0], side="left"))
    stop = len(steps) if max_step is None else int(np.searchsorted(steps, bounds[1], "right"))
    selected = points.take(slice(start, stop)) if (start, stop) != (0, len(steps)) else points
    if len(selected) <= 2 * buckets:
        return selected
    return selected.take(_keep(selected.steps, selected.values, buckets, span))


def _keep(
    steps: NDArray[np.int64],
    values: NDArray[np.float64],
    buckets: int,
    span: tuple[int, int] | None = None,
) -> NDArray[np.intp]:
    """Sorted indices of the points a downsample keeps (``len(steps) > 2 * buckets``)."""
    n = len(steps)
    starts = _bin_starts(steps, buckets, span)
    ends = np.append(starts[1:], n)
    nonempty = starts < ends
    first = starts[nonempty]  # first index of every non-empty bin, strictly increasing
    last = ends[nonempty]
    finite = np.isfinite(values)
    nonfinite = np.flatnonzero(~finite) if not finite.all() else None
    work = values
    if nonfinite is not None and bool(np.isinf(values[nonfinite]).any()):
        # fmin/fmax skip NaN but not ±inf: make the infinities NaN for the extremes.
        work = values.copy()
        work[nonfinite] = np.nan
    columns = [_first_extreme(work, first, np.fmin), _first_extreme(work, first, np.fmax)]
    if nonfinite is not None:
        found = np.searchsorted(nonfinite, first)  # first non-finite point from each bin on
        found[found == len(nonfinite)] = 0
        candidate = nonfinite[found]
        columns.append(np.where((candidate >= first) & (candidate < last), candidate, n))
    # One row per bin; the rows' index ranges are disjoint and increasing, so sorting each
    # row sorts the whole table. Then drop the placeholders (n) and repeats.
    table: NDArray[np.intp] = np.sort(np.stack(columns, axis=1), axis=1).ravel()
    keep = table != n
    keep[1:] &= table[1:] != table[:-1]
    kept: NDArray[np.intp] = table[keep]
    return kept


def _first_extreme(
    values: NDArray[np.float64], first: NDArray[np.intp], reduce: np.ufunc
) -> NDArray[np.intp]:
    """Per bin, the index of the first point holding the bin's extreme value.

    Bins start at the indices ``first`` and run to the next start. ``reduce`` is
    ``np.fmin`` or ``np.fmax``, which skip NaN; a bin of only NaN gets ``len(values)``.
    """
    extreme = reduce.reduceat(values, first)
    found = ~np.isnan(extreme)
    hits = np.flatnonzero(values == np.repeat(extreme, np.diff(first, append=len(values))))
    out = np.full(len(first), len(values), dtype=np.intp)
    out[found] = hits[np.searchsorted(hits, first[found])]
    return out


def _bin_starts(
    steps: NDArray[np.int64], buckets: int, span: tuple[int, int] | None = None
) -> NDArray[np.intp]:
    """Index of the first point of each of ``buckets`` equal-width bins over the steps.

    Bin ``k`` holds the steps ``s`` with ``floor((s - lo) * buckets / width) == k``, where
    ``lo`` and ``hi`` are the first and last steps and ``width = hi - lo + 1``. The result is
    non-decreasing, starts at 0, and empty bins repeat the next bin's start. ``span``
    replaces the first and last steps as ``lo`` and ``hi``.
    """
    n = len(steps)
    lo, hi = (int(steps[0]), int(steps[-1])) if span is None else span
    width = hi - lo + 1
    k = np.arange(buckets, dtype=np.int64)
    if width <= (INT64_MAX - buckets) // buckets:
        # Exact: the first step of bin k is lo + ceil(k * width / buckets).
        offsets = (k * width + (buckets - 1)) // buckets
        starts = np.searchsorted(steps, lo + np.minimum(offsets, width - 1), side="left")
        starts[offsets >= width] = n  # bins past the last step (only when width < buckets)
        return starts
    # A range too wide for exact int64 arithmetic: float edges, which are still monotonic.
    edges = float(lo) + k * (float(width) / buckets)
    starts = np.searchsorted(steps.astype(np.float64), edges, side="left")
    starts[0] = 0
    return starts

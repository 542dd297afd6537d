"""Sketches keep exactly the points a wide min/max bucketing can show."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trailmark.store.buckets import downsample
from trailmark.store.chunks import Points
from trailmark.store.sketches import BLOCK, MIN_POINTS, make_sketch, read_sketch


def series(n: int, seed: int = 0) -> Points:
    rng = np.random.default_rng(seed)
    return Points(np.arange(n, dtype=np.int64), 1.7e9 + np.arange(n) * 0.1, rng.normal(size=n))


def test_small_or_unsorted_chunks_get_none() -> None:
    assert make_sketch(series(MIN_POINTS - 1)) is None
    shuffled = series(4096)
    shuffled = shuffled.take(np.random.default_rng(1).permutation(4096))
    assert make_sketch(shuffled) is None


def test_sketch_keeps_every_block_extreme_and_the_first_non_finite() -> None:
    points = series(4096 + 17)
    values = points.values.copy()
    values[100] = 50.0
    values[2000] = math.nan
    values[2001] = math.inf
    values[4100] = -math.inf
    points = Points(points.steps, points.times, values)
    sketch = read_sketch(make_sketch(points) or b"")
    kept = dict(zip(sketch.steps.tolist(), sketch.values.tolist(), strict=True))
    assert kept[100] == 50.0
    assert math.isnan(kept[2000]) and 2001 not in kept
    assert kept[4100] == -math.inf
    for block in range(0, len(points), BLOCK):
        chunk = values[block : block + BLOCK]
        finite = chunk[np.isfinite(chunk)]
        if len(finite):
            assert finite.max() in sketch.values and finite.min() in sketch.values
    assert len(sketch) <= 3 * (-(-len(points) // BLOCK))


@pytest.mark.parametrize("buckets", [10, 50, 64])
def test_bucketing_sketches_matches_bucketing_the_points_on_block_aligned_buckets(
    buckets: int,
) -> None:
    points = series(BLOCK * 640, seed=buckets)
    full = downsample(points, buckets)
    candidates = read_sketch(make_sketch(points) or b"")
    from_sketch = downsample(candidates, buckets, span=(0, len(points) - 1))
    edges = np.linspace(0, len(points), buckets + 1)
    for lo, hi in itertools.pairwise(edges):
        a = full.values[(full.steps >= lo) & (full.steps < hi)]
        b = from_sketch.values[(from_sketch.steps >= lo) & (from_sketch.steps < hi)]
        assert a.max() == b.max() and a.min() == b.min()


def test_malformed_sketch_is_refused() -> None:
    blob = make_sketch(series(1024)) or b""
    with pytest.raises(ValueError, match="malformed"):
        read_sketch(blob[:-3])

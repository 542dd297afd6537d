"""Min/max-preserving downsampling: extremes and spikes survive, ranges, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike

from trailmark.errors import InvalidInput
from trailmark.store.buckets import MAX_BUCKETS, downsample, validate_buckets
from trailmark.store.chunks import INT64_MAX, INT64_MIN, Points


def make_points(steps: ArrayLike, values: ArrayLike) -> Points:
    steps_array = np.asarray(steps, dtype=np.int64)
    times = 1.7e9 + steps_array.astype(np.float64)
    return Points(steps_array, times, np.asarray(values, dtype=np.float64))


def reference_indices(steps: list[int], values: list[float], buckets: int) -> list[int]:
    """What downsample keeps of sorted, in-range points, the slow and obvious way."""
    if len(steps) <= 2 * buckets:
        return list(range(len(steps)))
    lo, hi = steps[0], steps[-1]
    width = hi - lo + 1
    bins: dict[int, list[int]] = {}
    for i, step in enumerate(steps):
        bins.setdefault((step - lo) * buckets // width, []).append(i)
    kept: set[int] = set()
    for members in bins.values():
        finite = [i for i in members if math.isfinite(values[i])]
        if finite:
            kept.add(min(finite, key=lambda i: (values[i], i)))
            kept.add(min(finite, key=lambda i: (-values[i], i)))
        nonfinite = [i for i in members if not math.isfinite(values[i])]
        if nonfinite:
            kept.add(nonfinite[0])
    return sorted(kept)


def assert_same_points(got: Points, want: Points) -> None:
    np.testing.assert_array_equal(got.steps, want.steps)
    np.testing.assert_array_equal(got.times.view(np.uint64), want.times.view(np.uint64))
    np.testing.assert_array_equal(got.values.view(np.uint64), want.values.view(np.uint64))


def test_matches_the_reference_on_random_series() -> None:
    rng = np.random.default_rng(42)
    for trial in range(400):
        n = int(rng.integers(1, 400))
        buckets = int(rng.integers(1, 60))
        spread = [3, 50, 10**6, 2**40][trial % 4]
        steps = np.sort(rng.integers(-spread, spread, size=n))
        values = rng.normal(size=n).round(int(rng.integers(0, 3)))  # rounding makes ties
        special = rng.random(n)
        values[special < 0.1] = np.nan
        values[(special >= 0.1) & (special < 0.13)] = np.inf
        values[(special >= 0.13) & (special < 0.16)] = -np.inf
        if trial % 5 == 0:
            values[: n // 2] = np.nan  # whole bins without a finite value
        points = make_points(steps, values)
        want = reference_indices(steps.tolist(), values.tolist(), buckets)
        assert_same_points(downsample(points, buckets), points.take(np.array(want, dtype=np.intp)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(2**40), 2**40) | st.integers(-3, 3), st.floats()),
        max_size=300,
    ),
    st.integers(min_value=1, max_value=40),
)
def test_matches_the_reference_property(pairs: list[tuple[int, float]], buckets: int) -> None:
    pairs.sort(key=lambda pair: pair[0])
    steps = [step for step, _ in pairs]
    values = [value for _, value in pairs]
    points = make_points(steps, values) if pairs else Points.empty()
    want = reference_indices(steps, values, buckets)
    assert_same_points(downsample(points, buckets), points.take(np.array(want, dtype=np.intp)))


def test_matches_the_reference_in_a_range() -> None:
    rng = np.random.default_rng(3)
    steps = np.sort(rng.integers(0, 5000, size=3000))
    values = rng.normal(size=3000)
    points = make_points(steps, values)
    for min_step, max_step in [(100, 4000), (None, 2500), (2500, None), (1234, 1300)]:
        ranged = points.in_range(min_step, max_step)
        want = reference_indices(ranged.steps.tolist(), ranged.values.tolist(), 40)
        got = downsample(points, 40, min_step, max_step)
        assert_same_points(got, ranged.take(np.array(want, dtype=np.intp)))


def test_keeps_global_extremes_and_every_isolated_spike() -> None:
    rng = np.random.default_rng(0)
    n, buckets = 200_000, 500
    width = n // buckets
    values = rng.normal(scale=0.1, size=n)
    # One spike in each of 80 distinct bins, at a random place in the bin, up or down.
    bins = rng.choice(buckets, size=80, replace=False)
    spikes = bins * width + rng.integers(0, width, size=80)
    heights = 50.0 + rng.random(80)
    values[spikes] = np.where(np.arange(80) % 2 == 0, heights, -heights)
    points = make_points(np.arange(n), values)
    result = downsample(points, buckets)
    assert len(result) <= 2 * buckets
    assert set(spikes.tolist()) <= set(result.steps.tolist())
    assert result.values.max() == values.max()
    assert result.values.min() == values.min()
    assert np.all(np.diff(result.steps) > 0)


def test_result_is_sorted_and_bounded() -> None:
    rng = np.random.default_rng(1)
    steps = np.sort(rng.integers(0, 10**9, size=100_000))
    values = rng.normal(size=100_000)
    values[rng.random(100_000) < 0.01] = np.nan
    result = downsample(make_points(steps, values), 1000)
    assert len(result) <= 3 * 1000
    assert np.all(np.diff(result.steps) >= 0)


def test_respects_the_step_range() -> None:
    n = 100_000
    values = np.zeros(n)
    values[10] = 1000.0  # spikes outside the range must not appear
    values[90_000] = -1000.0
    values[50_000] = 7.0
    points = make_points(np.arange(n), values)
    result = downsample(points, 100, min_step=20_000, max_step=80_000)
    assert result.steps.min() >= 20_000
    assert result.steps.max() <= 80_000
    assert result.values.max() == 7.0
    assert result.values.min() == 0.0
    inclusive = downsample(points, 100, min_step=50_000, max_step=50_000)
    assert inclusive.steps.tolist() == [50_000]


def test_full_resolution_when_few_points_in_range() -> None:
    rng = np.random.default_rng(2)
    points = make_points(np.arange(1000), rng.normal(size=1000))
    assert_same_points(downsample(points, 500), points)  # 1000 <= 2 * 500
    assert len(downsample(points, 499)) < 1000
    ranged = downsample(points, 10, min_step=100, max_step=119)  # 20 points <= 2 * 10
    assert_same_points(ranged, points.take(slice(100, 120)))


def test_bins_without_finite_values_keep_a_non_finite_point() -> None:
    n = 10_000
    values = np.sin(np.arange(n) / 100.0)
    values[2000:3000] = np.nan  # ten whole bins of NaN
    values[5000:5100] = np.inf
    values[7000] = -np.inf  # an isolated -inf in a bin with finite values
    points = make_points(np.arange(n), values)
    result = downsample(points, 100)
    by_step = dict(zip(result.steps.tolist(), result.values.tolist(), strict=True))
    for first in range(2000, 3000, 100):
        assert first in by_step
        assert math.isnan(by_step[first])
    assert by_step[5000] == math.inf
    assert by_step[7000] == -math.inf
    # Infinities never stand in for a bin's finite extremes.
    finite = result.values[np.isfinite(result.values)]
    assert finite.max() == values[np.isfinite(values)].max()
    assert finite.min() == values[np.isfinite(values)].min()


def test_all_nan_series() -> None:
    points = make_points(np.arange(1000), np.full(1000, np.nan))
    result = downsample(points, 10)
    assert result.steps.tolist() == list(range(0, 1000, 100))
    assert np.isnan(result.values).all()


def test_single_point_empty_input_and_empty_ranges() -> None:
    single = make_points([5], [1.5])
    assert_same_points(downsample(single, 1), single)
    assert len(downsample(single, 1, min_step=6)) == 0
    assert len(downsample(Points.empty(), 10)) == 0
    assert len(downsample(Points.empty(), 10, min_step=0, max_step=10)) == 0
    points = make_points(np.arange(100), np.arange(100.0))
    assert len(downsample(points, 10, min_step=50, max_step=40)) == 0
    assert len(downsample(points, 10, min_step=200)) == 0
    assert len(downsample(points, 10, max_step=-1)) == 0


def test_duplicate_steps_and_extreme_step_ranges() -> None:
    rng = np.random.default_rng(4)
    same = make_points(np.full(5000, 7), rng.normal(size=5000))
    result = downsample(same, 10)
    assert sorted(result.values.tolist()) == [same.values.min(), same.values.max()]
    assert result.times.tolist() == sorted(result.times.tolist())  # original order kept

    edge = make_points([INT64_MIN] * 50 + [0] * 50 + [INT64_MAX] * 50, rng.normal(size=150))
    result = downsample(edge, 3, min_step=-(2**70), max_step=2**70)
    assert set(result.steps.tolist()) == {INT64_MIN, 0, INT64_MAX}
    assert len(result) == 6

    wide = np.sort(rng.integers(INT64_MIN, INT64_MAX, size=50_000, endpoint=True))
    values = rng.normal(size=50_000)
    result = downsample(make_points(wide, values), 100)
    assert len(result) <= 200
    assert result.values.max() == values.max()
    assert result.values.min() == values.min()
    assert np.all(np.diff(result.steps) >= 0)

    tight = make_points(np.repeat(np.arange(10) + (INT64_MAX - 9), 100), np.arange(1000.0))
    result = downsample(tight, 50)  # fewer distinct steps than buckets
    assert len(result) == 20
    assert result.steps[-1] == INT64_MAX


@pytest.mark.parametrize("bad", [0, -1, MAX_BUCKETS + 1, 10**12, True, 2.0, "100", None])
def test_bucket_count_is_validated(bad: object) -> None:
    with pytest.raises(InvalidInput, match="buckets must be"):
        validate_buckets(bad)
    with pytest.raises(InvalidInput):
        downsample(make_points([1], [1.0]), bad)  # type: ignore[arg-type]


def test_bucket_count_limits_are_accepted() -> None:
    assert validate_buckets(1) == 1
    assert validate_buckets(MAX_BUCKETS) == MAX_BUCKETS
    assert validate_buckets(np.int64(64)) == 64
    points = make_points(np.arange(1000), np.arange(1000.0))
    assert len(downsample(points, 1)) == 2
    assert_same_points(downsample(points, MAX_BUCKETS), points)

"""Series statistics: the numpy and the plain-list merges agree, in any batching."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trailmark.store.chunks import Points
from trailmark.store.series_stats import merge_stats, merge_stats_lists, summary_value

values = st.lists(
    st.one_of(
        st.floats(min_value=-1e12, max_value=1e12),
        st.sampled_from([math.nan, math.inf, -math.inf, -0.0]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=1, max_size=4))
def test_list_merge_matches_numpy_merge(batches: list[list[float]]) -> None:
    by_numpy: dict[str, object] = {}
    by_lists: dict[str, object] = {}
    step = 0
    for batch in batches:
        steps = list(range(step, step + len(batch)))
        times = [1.7e9 + s for s in steps]
        step += len(batch)
        by_numpy = merge_stats(by_numpy, Points(np.array(steps), np.array(times), np.array(batch)))
        by_lists = merge_stats_lists(by_lists, steps, times, batch)
    assert by_numpy.keys() == by_lists.keys()
    for key, expected in by_numpy.items():
        got = by_lists[key]
        if key == "sum" and isinstance(expected, float) and math.isfinite(expected):
            # numpy sums pairwise, the list merge in order: equal up to rounding.
            assert isinstance(got, float)
            scale = sum(abs(v) for b in batches for v in b if math.isfinite(v))
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12 * scale)
        elif isinstance(expected, float) and math.isnan(expected):
            assert isinstance(got, float) and math.isnan(got)
        else:
            assert got == expected, key
    for mode in ("last", "min", "max", "first"):
        assert summary_value(by_lists, mode) == summary_value(by_numpy, mode)


def test_huge_values_overflow_to_infinity_not_an_error() -> None:
    stats = merge_stats_lists({}, [0, 1], [1.0, 2.0], [1.7e308, 1.7e308])
    assert stats["sum"] == math.inf and stats["max"] == 1.7e308

"""Chunk encoding: bit-exact round trips, compactness, malformed blobs, and Points helpers."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray

from trailmark.store.chunks import (
    CHUNK_TARGET,
    INT64_MAX,
    INT64_MIN,
    TAG_ARITHMETIC,
    TAG_DELTA_PLANES,
    TAG_PLANES,
    TAG_RAW,
    EncodedChunk,
    Points,
    decode_chunk,
    encode_chunk,
    encode_small,
    step_bounds,
)

SPECIAL_FLOAT_BITS = [
    0x0000000000000000,  # +0.0
    0x8000000000000000,  # -0.0
    0x7FF0000000000000,  # +inf
    0xFFF0000000000000,  # -inf
    0x7FF8000000000000,  # quiet NaN
    0xFFF8000000000000,  # negative quiet NaN
    0x7FF0000000000001,  # signalling NaN, payload 1
    0x7FF4DEADBEEF0001,  # NaN with a payload
    0xFFFFFFFFFFFFFFFF,  # all-ones NaN
    0x0000000000000001,  # smallest subnormal
    0x000FFFFFFFFFFFFF,  # largest subnormal
    0x8000000000000001,  # negative subnormal
    0x0010000000000000,  # smallest normal
    0x7FEFFFFFFFFFFFFF,  # largest finite
    0xFFEFFFFFFFFFFFFF,  # most negative finite
    0x3FF0000000000000,  # 1.0
]


def bits(array: NDArray[Any]) -> NDArray[np.uint64]:
    return np.ascontiguousarray(array).view(np.uint64)


def assert_identical(a: Points, b: Points) -> None:
    """Same length and the same bits in every column."""
    assert len(a) == len(b)
    assert a.steps.dtype == np.int64
    assert a.times.dtype == np.float64
    assert a.values.dtype == np.float64
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(bits(a.times), bits(b.times))
    np.testing.assert_array_equal(bits(a.values), bits(b.values))


def round_trip(points: Points) -> EncodedChunk:
    encoded = encode_chunk(points)
    assert encoded.count == len(points)
    assert encoded.step_min == int(points.steps.min())
    assert encoded.step_max == int(points.steps.max())
    for blob in (encoded.steps, encoded.times, encoded.vals):
        assert isinstance(blob, bytes)
        assert blob[0] in (TAG_RAW, TAG_PLANES, TAG_DELTA_PLANES, TAG_ARITHMETIC)
        assert len(blob) <= 1 + 8 * len(points) or blob[0] == TAG_ARITHMETIC
    decoded = decode_chunk(encoded.count, encoded.steps, encoded.times, encoded.vals)
    assert_identical(decoded, points)
    return encoded


def make_points(steps: ArrayLike, times: ArrayLike, values: ArrayLike) -> Points:
    return Points(
        np.asarray(steps, dtype=np.int64),
        np.asarray(times, dtype=np.float64),
        np.asarray(values, dtype=np.float64),
    )


def from_bits(steps: bytes, times: bytes, values: bytes) -> Points:
    return Points(
        np.frombuffer(steps, dtype="<i8").astype(np.int64),
        np.frombuffer(times, dtype="<u8").astype(np.uint64).view(np.float64),
        np.frombuffer(values, dtype="<u8").astype(np.uint64).view(np.float64),
    )


def typical(n: int, seed: int = 0, start: int = 0) -> Points:
    """Steps start.., wall times ~1 ms apart from ~1.7e9 with jitter, N(0, 1) values."""
    rng = np.random.default_rng(seed)
    times = 1.7e9 + np.cumsum(0.001 + rng.normal(scale=1e-4, size=n))
    return Points(np.arange(start, start + n, dtype=np.int64), times, rng.normal(size=n))


def smooth(n: int) -> Points:
    """A decaying loss curve."""
    steps = np.arange(n, dtype=np.int64)
    times = 1.7e9 + 0.05 * steps.astype(np.float64)
    return Points(steps, times, 2.5 * np.exp(-steps / 1500.0) + 0.1)


# --- round trips -------------------------------------------------------------------------


@st.composite
def raw_columns(draw: Any) -> Points:
    """Arbitrary bit patterns for all three columns, with planes that vary in structure."""
    n = draw(st.integers(min_value=1, max_value=1400))
    return from_bits(
        draw(st.binary(min_size=8 * n, max_size=8 * n)),
        draw(st.binary(min_size=8 * n, max_size=8 * n)),
        draw(st.binary(min_size=8 * n, max_size=8 * n)),
    )


@st.composite
def special_columns(draw: Any) -> Points:
    """Special floats and int64 extremes, sorted or unsorted steps with duplicates."""
    n = draw(st.integers(min_value=1, max_value=300))
    word = st.one_of(st.sampled_from(SPECIAL_FLOAT_BITS), st.integers(0, 2**64 - 1))
    step = st.one_of(
        st.sampled_from([INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX]),
        st.integers(INT64_MIN, INT64_MAX),
        st.integers(-5, 5),
    )
    steps = draw(st.lists(step, min_size=n, max_size=n))
    if draw(st.booleans()):
        steps.sort()
    times = draw(st.lists(word, min_size=n, max_size=n))
    values = draw(st.lists(word, min_size=n, max_size=n))
    return Points(
        np.array(steps, dtype=np.int64),
        np.array(times, dtype=np.uint64).view(np.float64),
        np.array(values, dtype=np.uint64).view(np.float64),
    )


@settings(max_examples=200, deadline=None)
@given(raw_columns())
def test_round_trip_arbitrary_bit_patterns(points: Points) -> None:
    round_trip(points)


@settings(max_examples=200, deadline=None)
@given(special_columns())
def test_round_trip_special_values_and_steps(points: Points) -> None:
    round_trip(points)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=2, max_value=5000),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
)
def test_round_trip_arithmetic_steps_wrap(n: int, first: int, increment: int) -> None:
    steps = (np.arange(n, dtype=np.uint64) * np.uint64(increment % 2**64)) + np.uint64(
        first % 2**64
    )
    points = Points(steps.view(np.int64), np.zeros(n), np.full(n, np.nan))
    encoded = round_trip(points)
    assert encoded.steps[0] == TAG_ARITHMETIC
    assert encoded.vals[0] == TAG_ARITHMETIC


def test_round_trip_random_bytes_many_sizes() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 15, 16, 17, 100, 513, 1024, 1025, 2049, CHUNK_TARGET, 5000):
        columns = [rng.bytes(8 * n) for _ in range(3)]
        round_trip(from_bits(*columns))


SHAPES: dict[str, Callable[[int], Points]] = {
    "typical": typical,
    "smooth": smooth,
    "negative-steps": lambda n: typical(n, start=-(2**62)),
    "constant": lambda n: make_points(np.full(n, 5), np.full(n, 1.7e9), np.full(n, 3e-4)),
    "odd": lambda n: make_points(
        np.repeat(np.arange(n // 4 + 1), 4)[:n][::-1],  # descending with duplicates
        1.7e9 - np.arange(n) * 0.5,  # decreasing times
        np.linspace(-1e-310, 1e-310, n),  # subnormals
    ),
    "float32": lambda n: make_points(
        np.arange(n) * 1000,
        np.arange(n),
        np.random.default_rng(1).normal(size=n).astype(np.float32),
    ),
    "wild": lambda n: make_points(
        np.random.default_rng(2).integers(INT64_MIN, INT64_MAX, size=n, endpoint=True),
        np.random.default_rng(3).normal(size=n) * 1e300,
        np.where(np.arange(n) % 3 == 0, np.nan, np.where(np.arange(n) < n / 2, -np.inf, np.inf)),
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("n", [1, 2, 16, 1000, CHUNK_TARGET])
def test_round_trip_shapes(shape: str, n: int) -> None:
    round_trip(SHAPES[shape](n))


def test_round_trip_special_floats_in_every_position() -> None:
    special = np.array(SPECIAL_FLOAT_BITS, dtype=np.uint64)
    for n in (len(special), 64, CHUNK_TARGET):
        words = np.resize(special, n)
        steps = np.arange(n, dtype=np.int64)
        round_trip(Points(steps, words.view(np.float64), words[::-1].copy().view(np.float64)))
        # The specials scattered through an otherwise typical series.
        base = typical(n)
        values = base.values.copy()
        values[np.linspace(0, n - 1, len(special)).astype(np.int64)] = special.view(np.float64)
        round_trip(Points(base.steps, base.times, values))


def test_nan_payloads_survive() -> None:
    payloads = np.array([0x7FF8000000000000 + i for i in range(1, 2000)], dtype=np.uint64)
    points = Points(np.arange(len(payloads)), payloads.view(np.float64), payloads.view(np.float64))
    round_trip(points)


def test_decode_accepts_bytearray_and_memoryview() -> None:
    points = typical(3000)
    encoded = encode_chunk(points)
    for wrap in (bytearray, memoryview):
        decoded = decode_chunk(
            encoded.count, wrap(encoded.steps), wrap(encoded.times), wrap(encoded.vals)
        )
        assert_identical(decoded, points)


def test_round_trip_strided_and_read_only_columns() -> None:
    base = typical(3 * CHUNK_TARGET)
    strided = Points(base.steps[::3], base.times[::3], base.values[::3])
    for column in (strided.steps, strided.times, strided.values):
        column.flags.writeable = False
    round_trip(strided)
    backwards = Points(base.steps[::-1], base.times[::-1], base.values[::-1])
    round_trip(backwards)


def test_single_point_chunk_is_raw() -> None:
    encoded = round_trip(make_points([7], [1.7e9], [0.5]))
    assert encoded.nbytes == 3 * 9


def test_encode_rejects_empty() -> None:
    with pytest.raises(ValueError, match="no points"):
        encode_chunk(Points.empty())


# --- compactness -------------------------------------------------------------------------


def bytes_per_point(points: Points) -> float:
    encoded = [round_trip(piece) for piece in points.split(CHUNK_TARGET)]
    return sum(e.nbytes for e in encoded) / len(points)


def test_typical_series_is_at_most_12_bytes_per_point() -> None:
    cost = bytes_per_point(typical(8 * CHUNK_TARGET, seed=11))
    assert cost <= 12.0
    # Steps 0..n-1 cost 17 bytes per chunk; jittered millisecond times about 1.5 bytes.
    encoded = encode_chunk(typical(CHUNK_TARGET, seed=12))
    assert encoded.steps[0] == TAG_ARITHMETIC
    assert len(encoded.steps) == 17
    assert len(encoded.times) <= 2.5 * CHUNK_TARGET
    assert len(encoded.vals) <= 8 * CHUNK_TARGET  # random normals barely compress


def test_smooth_series_is_smaller_than_typical() -> None:
    assert bytes_per_point(smooth(4 * CHUNK_TARGET)) < bytes_per_point(typical(4 * CHUNK_TARGET))


def test_float32_sourced_values_compress_well() -> None:
    base = typical(CHUNK_TARGET)
    values = base.values.astype(np.float32).astype(np.float64)
    encoded = encode_chunk(Points(base.steps, base.times, values))
    assert len(encoded.vals) <= 4.5 * CHUNK_TARGET


def test_constant_and_regular_columns_take_a_few_bytes() -> None:
    n = CHUNK_TARGET
    encoded = encode_chunk(Points(np.arange(0, 10 * n, 10), np.full(n, 1.7e9), np.full(n, 0.1)))
    assert encoded.nbytes == 3 * 17


def test_incompressible_columns_cost_one_byte_over_raw() -> None:
    rng = np.random.default_rng(5)
    n = CHUNK_TARGET
    encoded = round_trip(from_bits(rng.bytes(8 * n), rng.bytes(8 * n), rng.bytes(8 * n)))
    assert encoded.nbytes <= 3 * (8 * n + 1)


# --- malformed blobs ---------------------------------------------------------------------


def test_decode_rejects_malformed_blobs() -> None:
    points = typical(CHUNK_TARGET)
    points = Points(points.steps * 3 + (points.steps % 7), points.times, points.values)
    encoded = encode_chunk(points)
    steps, times, vals = encoded.steps, encoded.times, encoded.vals
    assert steps[0] == TAG_DELTA_PLANES
    assert vals[0] == TAG_PLANES
    n = encoded.count
    bad_cases = [
        (n, b"", times, vals),  # empty blob
        (n, b"\x7f" + steps[1:], times, vals),  # unknown tag
        (n, steps[:5], times, vals),  # truncated header
        (n, steps, times[:-3], vals),  # truncated body
        (n, steps, times + b"\x00", vals),  # trailing bytes
        (n + 1, steps, times, vals),  # wrong count
        (n - 1, steps, times, vals),
        (n, steps, times, bytes([TAG_RAW]) + bytes(8 * n - 1)),  # raw of the wrong size
        (n, steps, times, struct.pack("<BQQ", TAG_ARITHMETIC, 1, 2) + b"\x00"),
        (n, steps, times, struct.pack("<BHQ", TAG_PLANES, 0xFFFF, 0)),  # invalid plane modes
        (-1, steps, times, vals),
    ]
    for count, s, t, v in bad_cases:
        with pytest.raises(ValueError):
            decode_chunk(count, s, t, v)


def test_decode_rejects_a_corrupt_deflate_stream() -> None:
    n = 4096
    header = struct.pack("<BHQ", TAG_PLANES, 0b01, 0)  # plane 0 deflated, the rest constant
    good = zlib.compress(bytes(range(256)) * (n // 256), 1)
    decoded = decode_chunk(n, header + good, bytes([TAG_RAW]) + bytes(8 * n), header + good)
    assert decoded.steps[:3].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="corrupt"):
        decode_chunk(n, header + good[:10] + b"garbage" + good[17:], header + good, header + good)


# --- Points ------------------------------------------------------------------------------


def test_points_validates_columns() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Points(np.arange(3), np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="one-dimensional"):
        Points(np.zeros((2, 2), dtype=np.int64), np.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="int64"):
        Points(np.array([1.5, 2.5]), np.zeros(2), np.zeros(2))
    converted = Points(np.array([1, 2], dtype=np.int32), np.array([1, 2]), np.zeros(2))
    assert converted.steps.dtype == np.int64
    assert converted.times.dtype == np.float64
    assert len(Points(np.array([]), np.array([]), np.array([]))) == 0


def test_empty_and_concat() -> None:
    empty = Points.empty()
    assert len(empty) == 0
    assert empty.steps.dtype == np.int64
    assert len(Points.concat([])) == 0
    one = typical(5)
    assert Points.concat([one]) is one
    joined = Points.concat([typical(3, start=10), empty, typical(2, start=0)])
    assert joined.steps.tolist() == [10, 11, 12, 0, 1]
    assert_identical(Points.concat(iter([one.take(slice(0, 2)), one.take(slice(2, 5))])), one)


def test_sorted_by_step_is_stable() -> None:
    points = Points(
        np.array([3, 1, 2, 1, 3, 1]),
        np.arange(6, dtype=np.float64),
        np.array([30.0, 10.0, 20.0, 11.0, 31.0, 12.0]),
    )
    ordered = points.sorted_by_step()
    assert ordered.steps.tolist() == [1, 1, 1, 2, 3, 3]
    assert ordered.values.tolist() == [10.0, 11.0, 12.0, 20.0, 30.0, 31.0]
    assert ordered.times.tolist() == [1.0, 3.0, 5.0, 2.0, 0.0, 4.0]
    assert ordered.sorted_by_step() is ordered
    big = Points(np.zeros(10_000, dtype=np.int64), np.zeros(10_000), np.arange(10_000.0))
    shuffled = big.take(np.random.default_rng(0).permutation(10_000))
    np.testing.assert_array_equal(shuffled.sorted_by_step().values, shuffled.values)


def test_in_range_is_inclusive() -> None:
    points = Points(np.array([5, 1, 3, 3, 9]), np.zeros(5), np.arange(5.0))
    assert points.in_range(3, 5).steps.tolist() == [5, 3, 3]
    assert points.in_range(None, 3).steps.tolist() == [1, 3, 3]
    assert points.in_range(4, None).steps.tolist() == [5, 9]
    assert points.in_range(None, None) is points
    assert len(points.in_range(6, 4)) == 0
    assert len(points.in_range(10, 20)) == 0
    assert points.in_range(-(2**70), 2**70) is points
    assert len(points.in_range(2**70, None)) == 0
    assert len(points.in_range(None, -(2**70))) == 0
    extremes = Points(np.array([INT64_MIN, 0, INT64_MAX]), np.zeros(3), np.zeros(3))
    assert extremes.in_range(INT64_MAX, None).steps.tolist() == [INT64_MAX]
    assert extremes.in_range(None, INT64_MIN).steps.tolist() == [INT64_MIN]


def test_step_bounds() -> None:
    assert step_bounds(None, None) == (INT64_MIN, INT64_MAX)
    assert step_bounds(-(2**80), 2**80) == (INT64_MIN, INT64_MAX)
    assert step_bounds(3, 3) == (3, 3)
    assert step_bounds(4, 3) is None
    assert step_bounds(2**63, None) is None


def test_split() -> None:
    points = typical(10)
    pieces = points.split(4)
    assert [len(p) for p in pieces] == [4, 4, 2]
    assert_identical(Points.concat(pieces), points)
    assert points.split(10)[0].steps.tolist() == points.steps.tolist()
    assert Points.empty().split(4) == []
    with pytest.raises(ValueError, match="at least 1"):
        points.split(0)


@settings(max_examples=100, deadline=None)
@given(special_columns())
def test_encode_small_is_the_quick_raw_encoding_of_python_lists(points: Points) -> None:
    steps, times, values = points.steps.tolist(), points.times.tolist(), points.values.tolist()
    small = encode_small(steps, times, values)
    back = decode_chunk(small.count, small.steps, small.times, small.vals)
    assert back.steps.tolist() == steps
    assert back.times.view(np.uint64).tolist() == points.times.view(np.uint64).tolist()
    assert back.values.view(np.uint64).tolist() == points.values.view(np.uint64).tolist()
    assert (small.step_min, small.step_max) == (min(steps), max(steps))
    quick = encode_chunk(points, quick=True)
    assert small.vals == quick.vals or quick.vals[0] == TAG_ARITHMETIC


def test_quick_encoding_skips_planes_and_still_round_trips() -> None:
    n = 1000
    points = Points(np.arange(n) * 3, 1.7e9 + np.arange(n) * 0.5, np.sin(np.arange(n)))
    quick = encode_chunk(points, quick=True)
    assert quick.vals[0] == TAG_RAW and quick.steps[0] == TAG_ARITHMETIC
    round_trip(points)
    back = decode_chunk(quick.count, quick.steps, quick.times, quick.vals)
    assert back.values.tolist() == points.values.tolist()


def test_encode_small_rejects_ragged_or_empty_lists() -> None:
    with pytest.raises(ValueError):
        encode_small([], [], [])
    with pytest.raises(ValueError):
        encode_small([1, 2], [1.0], [1.0, 2.0])


def test_decode_chunks_joins_chunks_of_every_format_in_order() -> None:
    from trailmark.store.chunks import decode_chunks, encode_small

    rng = np.random.default_rng(7)
    pieces = [
        Points(np.arange(0, 5), np.linspace(1.0, 2.0, 5), rng.normal(size=5)),  # raw (small)
        Points(np.arange(5, 1005), np.linspace(2.0, 3.0, 1000), rng.normal(size=1000)),
        Points(np.arange(1005, 1105), np.full(100, 4.0), np.full(100, 0.5)),  # arithmetic
    ]
    encoded = [encode_chunk(pieces[0], quick=True), encode_chunk(pieces[1])]
    encoded.append(encode_chunk(pieces[2]))
    small = encode_small([7, 3], [1.0, 2.0], [float("nan"), -0.0])
    rows = [(e.count, e.steps, e.times, e.vals) for e in [*encoded, small]]
    rows[1] = (rows[1][0], bytearray(rows[1][1]), memoryview(rows[1][2]), rows[1][3])
    joined = decode_chunks(rows)
    expected = Points.concat(
        [*pieces, Points(np.array([7, 3]), np.array([1.0, 2.0]), np.array([np.nan, -0.0]))]
    )
    assert joined.steps.tolist() == expected.steps.tolist()
    assert joined.times.tobytes() == expected.times.tobytes()
    assert joined.values.tobytes() == expected.values.tobytes()


def test_decode_chunks_refuses_a_raw_blob_of_the_wrong_size() -> None:
    from trailmark.store.chunks import decode_chunks

    uneven = np.array([5.0, 1.0, 9.0])  # not arithmetic: raw blobs
    good = encode_chunk(Points(np.array([5, 1, 9]), uneven, uneven), quick=True)
    assert good.steps[0] == TAG_RAW
    rows = [(3, good.steps, good.times, good.vals), (4, good.steps, good.times, good.vals)]
    with pytest.raises(ValueError, match="expected"):
        decode_chunks(rows)
    with pytest.raises(ValueError, match="negative"):
        decode_chunks([rows[0], (-1, good.steps, good.times, good.vals)])

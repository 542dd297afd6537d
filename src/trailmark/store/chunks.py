"""Columnar chunks of metric points and their lossless, compact byte encoding.

A series is stored as chunks of up to :data:`CHUNK_TARGET` points. Each chunk keeps three
byte columns (steps, wall times, values); each column is an array of 8-byte words (int64
steps, float64 bit patterns) encoded on its own, and every blob starts with a one-byte
format tag so the format can evolve while old chunks stay readable.

Formats (``n`` is the chunk's point count, stored beside the blobs; all integers little-endian):

``0x01`` raw
    The ``n`` words as they are.
``0x02`` planes
    The words split into their 8 byte planes (byte ``k`` of every word together: a byte
    shuffle). Header: the tag, a ``uint16`` of 2-bit plane modes (plane ``k`` at bits
    ``2k..2k+1``: 0 constant, 1 deflated, 2 raw) and a ``uint64`` base word holding the byte
    of every constant plane (0 elsewhere). Then the raw planes, in aligned groups of 4, 2 or
    1 consecutive raw planes, each group as one little-endian integer per point (see
    :func:`_plane_layout`); then one zlib stream per deflated plane, in plane order.
``0x03`` delta planes
    As ``0x02`` over the wrapping differences of consecutive words, with the first word (a
    ``uint64``) appended to the header; decoding is a wrapping cumulative sum. In the planes
    the first position repeats the first difference (decoding overwrites it) so that it
    leaves the high planes constant. Steps are differenced as integers and times as their
    float64 bit patterns, so increasing, roughly evenly spaced columns leave one or two
    non-constant planes.
``0x04`` arithmetic
    ``uint64`` first word and ``uint64`` wrapping increment: word ``i`` is
    ``first + i * increment``. Regular steps (0, 1, 2, ...) and constant values take 17 bytes.

The encoder tries the formats that suit a column and keeps the smallest; raw is the
fallback, so no column ever takes more than one byte over its raw size. Constant planes
cost nothing per point, and planes that deflate shrinks by less than a quarter are stored
raw, because copying a raw plane back into place is several times faster than inflating it.
Chunks of fewer than 16 points skip the plane formats, and so does a ``quick`` encoding
(used for small appends that compaction rewrites later, see :mod:`trailmark.store.metrics`):
planes cost tens of microseconds per column however few the points, which dominates when
one step appends a few points to each of 10,000 series.
Every float64 bit pattern (NaN payloads, signed zeros, subnormals) survives unchanged.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

CHUNK_TARGET: Final = 4096
"""Points in a full chunk."""

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

Buffer: TypeAlias = bytes | bytearray | memoryview
"""What :func:`decode_chunk` accepts for a blob (database drivers return any of these)."""

TAG_RAW: Final = 0x01
TAG_PLANES: Final = 0x02
TAG_DELTA_PLANES: Final = 0x03
TAG_ARITHMETIC: Final = 0x04

_MODE_CONST: Final = 0
_MODE_DEFLATE: Final = 1
_MODE_RAW: Final = 2

_PLANES_HEADER = struct.Struct("<BHQ")
_DELTA_HEADER = struct.Struct("<BHQQ")
_ARITHMETIC = struct.Struct("<BQQ")

_DEFLATE_WORTH: Final = 0.75
"""A plane is deflated only when that makes it at most this fraction of its raw size.

Inflating costs far more time than copying a raw plane, so a plane that deflate barely
shrinks (the high mantissa byte of noisy values, say) is kept raw.
"""

_MIN_PLANES: Final = 16
"""Smaller chunks (partial ones, soon merged) are stored raw: cheaper to encode."""

_SAMPLE: Final = 512
"""Bytes of a plane deflated first; a plane whose sample does not shrink is kept raw."""

_LEVEL: Final = 1
"""zlib level: level 1 is fast both ways and these planes gain little from higher levels."""

_STEPS_FORMATS: Final = (TAG_DELTA_PLANES,)
_TIMES_FORMATS: Final = (TAG_DELTA_PLANES,)
_VALUES_FORMATS: Final = (TAG_PLANES,)
"""Formats the encoder tries per column, besides raw and arithmetic (tried for every column)."""

_GROUP_DTYPES: Final[dict[int, np.dtype[np.unsignedinteger[Any]]]] = {
    1: np.dtype("<u1"),
    2: np.dtype("<u2"),
    4: np.dtype("<u4"),
}

_U64 = np.dtype("<u8")
_I64 = np.dtype("<i8")
_F64 = np.dtype("<f8")


def step_bounds(min_step: int | None, max_step: int | None) -> tuple[int, int] | None:
    """An inclusive step range clamped to int64 (``None`` ends are open); ``None`` if empty."""
    lo = INT64_MIN if min_step is None else max(int(min_step), INT64_MIN)
    hi = INT64_MAX if max_step is None else min(int(max_step), INT64_MAX)
    return None if lo > hi else (lo, hi)


def _column(data: Any, dtype: type[np.generic], name: str) -> NDArray[Any]:
    if isinstance(data, np.ndarray) and data.dtype == dtype and data.ndim == 1:
        return data
    array = np.asarray(data)
    if array.ndim != 1:
        raise ValueError(f"Points.{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.can_cast(array.dtype, dtype, "safe"):
        raise TypeError(f"Points.{name} must hold {np.dtype(dtype).name}, got {array.dtype}")
    return array.astype(dtype, copy=False)


@dataclass(frozen=True, eq=False)
class Points:
    """Points of one series as three equal-length columns: step, wall time, value.

    Arrays may be read-only views (for example of a decoded chunk's bytes); every method
    returns new :class:`Points` and never modifies the arrays in place.
    """

    steps: NDArray[np.int64]
    times: NDArray[np.float64]
    values: NDArray[np.float64]

    def __post_init__(self) -> None:
        steps = _column(self.steps, np.int64, "steps")
        times = _column(self.times, np.float64, "times")
        values = _column(self.values, np.float64, "values")
        if not len(steps) == len(times) == len(values):
            raise ValueError(
                f"Points columns differ in length: {len(steps)} steps, "
                f"{len(times)} times, {len(values)} values"
            )
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    @classmethod
    def empty(cls) -> Points:
        """No points."""
        return cls(
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.float64),
            np.empty(0, dtype=np.float64),
        )

    @classmethod
    def concat(cls, parts: Iterable[Points]) -> Points:
        """The points of ``parts`` one after another (no sorting)."""
        items = list(parts)
        if not items:
            return cls.empty()
        if len(items) == 1:
            return items[0]
        return cls(
            np.concatenate([p.steps for p in items]),
            np.concatenate([p.times for p in items]),
            np.concatenate([p.values for p in items]),
        )

    def __len__(self) -> int:
        return len(self.steps)

    def take(self, indices: NDArray[np.integer[Any]] | slice) -> Points:
        """The points at ``indices`` (an index array or a slice), in that order."""
        return Points(self.steps[indices], self.times[indices], self.values[indices])

    def sorted_by_step(self) -> Points:
        """The points ordered by step; a stable sort, so equal steps keep their order."""
        steps = self.steps
        if len(steps) < 2 or bool(np.all(steps[1:] >= steps[:-1])):
            return self
        return self.take(np.argsort(steps, kind="stable"))

    def in_range(self, min_step: int | None, max_step: int | None) -> Points:
        """The points with ``min_step <= step <= max_step`` (``None`` is unbounded), in order."""
        if min_step is None and max_step is None:
            return self
        bounds = step_bounds(min_step, max_step)
        if bounds is None:
            return Points.empty()
        lo, hi = bounds
        steps = self.steps
        if lo == INT64_MIN:
            keep = steps <= hi
        elif hi == INT64_MAX:
            keep = steps >= lo
        else:
            keep = (steps >= lo) & (steps <= hi)
        if bool(keep.all()):
            return self
        return self.take(np.flatnonzero(keep))

    def split(self, size: int) -> list[Points]:
        """Consecutive pieces of at most ``size`` points (views); none if there are no points."""
        if size < 1:
            raise ValueError(f"split size must be at least 1, got {size}")
        return [self.take(slice(i, i + size)) for i in range(0, len(self), size)]


@dataclass(frozen=True)
class EncodedChunk:
    """One chunk as stored in the ``chunks`` table."""

    count: int
    step_min: int
    step_max: int
    steps: bytes
    times: bytes
    vals: bytes

    @property
    def nbytes(self) -> int:
        """Total size of the three blobs."""
        return len(self.steps) + len(self.times) + len(self.vals)


def encode_chunk(points: Points, quick: bool = False) -> EncodedChunk:
    """Encode ``points`` (any order, at least one point); :func:`decode_chunk` is bit-exact.

    ``quick``: only the raw and arithmetic formats (no plane formats).
    """
    n = len(points)
    if n == 0:
        raise ValueError("cannot encode a chunk with no points")
    steps = np.ascontiguousarray(points.steps, dtype=_I64).view(_U64)
    times = np.ascontiguousarray(points.times, dtype=_F64).view(_U64)
    values = np.ascontiguousarray(points.values, dtype=_F64).view(_U64)
    return EncodedChunk(
        count=n,
        step_min=int(points.steps.min()),
        step_max=int(points.steps.max()),
        steps=_encode_words(steps, () if quick else _STEPS_FORMATS),
        times=_encode_words(times, () if quick else _TIMES_FORMATS),
        vals=_encode_words(values, () if quick else _VALUES_FORMATS),
    )


def encode_small(steps: list[int], times: list[float], values: list[float]) -> EncodedChunk:
    """The quick (raw) encoding of a few points given as Python lists, without numpy.

    For small appends to many series, where numpy's per-call cost would dominate; the
    blobs are exactly what ``encode_chunk(points, quick=True)`` stores for irregular data.
    """
    n = len(steps)
    if n == 0 or not n == len(times) == len(values):
        raise ValueError(f"cannot encode {n} steps, {len(times)} times, {len(values)} values")
    raw = bytes([TAG_RAW])
    return EncodedChunk(
        count=n,
        step_min=min(steps),
        step_max=max(steps),
        steps=raw + struct.pack(f"<{n}q", *steps),
        times=raw + struct.pack(f"<{n}d", *times),
        vals=raw + struct.pack(f"<{n}d", *values),
    )


def decode_chunk(count: int, steps: Buffer, times: Buffer, vals: Buffer) -> Points:
    """The points of a chunk encoded by :func:`encode_chunk`, in their original order.

    Raises :class:`ValueError` if a blob is malformed or does not hold ``count`` points.
    Decoded arrays may be read-only views of the blobs.
    """
    if count < 0:
        raise ValueError(f"chunk count must not be negative, got {count}")
    return Points(
        _decode_words(steps, count, "steps").view(np.int64),
        _decode_words(times, count, "times").view(np.float64),
        _decode_words(vals, count, "vals").view(np.float64),
    )


def decode_chunks(chunks: Sequence[tuple[int, Buffer, Buffer, Buffer]]) -> Points:
    """The points of many chunks, one after another: :func:`decode_chunk` of each, joined.

    Raw columns (partial chunks, as compaction merges them by the dozen) are joined as bytes
    and read in one go rather than turned into arrays one by one: merging 60 partial chunks
    took 1 ms, most of it per-chunk array set-up.
    """
    if len(chunks) == 1:
        return decode_chunk(*chunks[0])
    columns: list[NDArray[np.uint64]] = []
    for index, name in enumerate(("steps", "times", "vals")):
        parts: list[Buffer] = []
        for count, *blobs in chunks:
            blob = blobs[index]
            if count >= 0 and len(blob) == 1 + 8 * count and blob[0] == TAG_RAW:
                parts.append(memoryview(blob)[1:])
            else:
                if count < 0:
                    raise ValueError(f"chunk count must not be negative, got {count}")
                parts.append(_decode_words(blob, count, name).tobytes())
        columns.append(np.frombuffer(b"".join(parts), dtype=_U64))
    return Points(
        columns[0].view(np.int64), columns[1].view(np.float64), columns[2].view(np.float64)
    )


def _encode_words(words: NDArray[np.uint64], tags: tuple[int, ...]) -> bytes:
    """The smallest of: raw, each format in ``tags``; or the arithmetic form when it fits."""
    n = len(words)
    deltas = np.diff(words)  # wraps modulo 2**64
    if n >= 2 and bool(np.all(deltas == deltas[0])):  # 17 bytes: never more than raw
        return _ARITHMETIC.pack(TAG_ARITHMETIC, int(words[0]), int(deltas[0]))
    best = bytes([TAG_RAW]) + words.astype(_U64, copy=False).tobytes()
    if n < _MIN_PLANES:
        return best
    for tag in tags:
        if tag == TAG_PLANES:
            modes, base, body = _encode_planes(words)
            header = _PLANES_HEADER.pack(tag, modes, base)
        else:
            # The first word goes in the header. In the planes a copy of the first delta
            # stands in for it, so that it does not make the high planes non-constant.
            modes, base, body = _encode_planes(np.concatenate([deltas[:1], deltas]))
            header = _DELTA_HEADER.pack(tag, modes, base, int(words[0]))
        if len(header) + len(body) < len(best):
            best = header + body
    return best


def _encode_planes(words: NDArray[np.uint64]) -> tuple[int, int, bytes]:
    """Plane modes, base word and body (raw plane groups, then deflated planes) for ``words``."""
    n = len(words)
    words = words.astype(_U64, copy=False)
    planes = words.view(np.uint8).reshape(n, 8).T
    modes = 0
    base = 0
    deflated: list[bytes] = []
    for k in range(8):
        plane = planes[k]
        counts = np.bincount(plane, minlength=256)
        if counts[plane[0]] == n:
            base |= int(plane[0]) << (8 * k)
            continue
        data = plane.tobytes()
        # Deflating random bytes is slow and useless: judge by a sample first.
        sample = data[:_SAMPLE]
        if len(data) > 2 * _SAMPLE and len(zlib.compress(sample, _LEVEL)) > 0.95 * _SAMPLE:
            stream = b""
        else:
            stream = zlib.compress(data, _LEVEL)
        if stream and len(stream) <= _DEFLATE_WORTH * n:
            modes |= _MODE_DEFLATE << (2 * k)
            deflated.append(stream)
        else:
            modes |= _MODE_RAW << (2 * k)
    raw_groups, _ = _plane_layout(modes)
    body = [_group_view(words, k, width).tobytes() for k, width in raw_groups]
    return modes, base, b"".join(body + deflated)


def _group_view(words: NDArray[np.uint64], k: int, width: int) -> NDArray[Any]:
    """Bytes ``k .. k + width - 1`` of every word, as a strided little-endian integer view."""
    return words.view(_GROUP_DTYPES[width])[k // width :: 8 // width]


@lru_cache(maxsize=1024)
def _plane_layout(modes: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """Raw plane groups ``(first plane, width)`` and deflated planes for a plane-mode word.

    Raw planes are stored in aligned groups of 4, 2 or 1 consecutive planes (each group as
    one little-endian integer per point) so that decoding copies a few wide strided
    columns rather than up to eight byte columns. Raises ValueError for an invalid word.
    """
    kinds = [(modes >> (2 * k)) & 3 for k in range(8)]
    if any(kind not in (_MODE_CONST, _MODE_DEFLATE, _MODE_RAW) for kind in kinds) or modes >> 16:
        raise ValueError(f"invalid plane modes {modes:#06x}")
    raw: list[tuple[int, int]] = []
    k = 0
    while k < 8:
        if kinds[k] != _MODE_RAW:
            k += 1
            continue
        width = next(w for w in (4, 2, 1) if k % w == 0 and kinds[k : k + w] == [_MODE_RAW] * w)
        raw.append((k, width))
        k += width
    deflate = tuple(k for k in range(8) if kinds[k] == _MODE_DEFLATE)
    return tuple(raw), deflate


def _decode_words(blob: Buffer, n: int, name: str) -> NDArray[np.uint64]:
    """The ``n`` words of a column blob (native-endian ``uint64``)."""
    size = len(blob)
    if size == 0:
        raise ValueError(f"chunk {name} blob is empty")
    tag = blob[0]
    if tag == TAG_RAW:
        if size != 1 + 8 * n:
            raise ValueError(f"chunk {name} blob has {size} bytes, expected {1 + 8 * n}")
        return np.frombuffer(blob, dtype=_U64, count=n, offset=1).astype(np.uint64, copy=False)
    if tag == TAG_ARITHMETIC:
        if size != _ARITHMETIC.size:
            raise ValueError(f"chunk {name} blob has {size} bytes, expected {_ARITHMETIC.size}")
        _, first, step = _ARITHMETIC.unpack(blob)
        out = np.arange(n, dtype=np.uint64)
        out *= np.uint64(step)
        out += np.uint64(first)
        return out
    if tag == TAG_PLANES:
        header = _PLANES_HEADER
    elif tag == TAG_DELTA_PLANES:
        header = _DELTA_HEADER
    else:
        raise ValueError(f"chunk {name} blob has unknown format tag {tag:#04x}")
    if size < header.size or n < 1:
        raise ValueError(f"chunk {name} blob is truncated")
    _, modes, base, *first = header.unpack_from(blob)
    raw, deflate = _plane_layout(modes)
    out = np.full(n, base, dtype=_U64)
    offset = header.size
    end = offset + n * sum(width for _, width in raw)
    if end > size or (end < size) != bool(deflate):
        raise ValueError(f"chunk {name} blob has {size} bytes, which does not fit its planes")
    for k, width in raw:
        _group_view(out, k, width)[...] = np.frombuffer(
            blob, dtype=_GROUP_DTYPES[width], count=n, offset=offset
        )
        offset += n * width
    if deflate:
        out_bytes = out.view(np.uint8)
        rest: Buffer = memoryview(blob)[offset:]
        for k in deflate:
            inflater = zlib.decompressobj()
            try:
                plane = inflater.decompress(rest, n + 1)
            except zlib.error as exc:
                raise ValueError(f"chunk {name} blob is corrupt: {exc}") from exc
            if len(plane) != n or not inflater.eof:
                raise ValueError(f"chunk {name} blob holds the wrong number of points")
            out_bytes[k::8] = np.frombuffer(plane, dtype=np.uint8)
            rest = inflater.unused_data
        if rest:
            raise ValueError(f"chunk {name} blob has trailing bytes")
    if first:
        out[0] = first[0]
        np.cumsum(out, out=out)
    return out.astype(np.uint64, copy=False)

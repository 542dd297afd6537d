"""Chunk sketches: the few points of a chunk that a zoomed-out chart can ever show.

For every block of :data:`BLOCK` consecutive points of a chunk whose steps are sorted, the
sketch keeps the point with the smallest finite value, the one with the largest, and the
first non-finite one. A min/max bucketing over a range much wider than a block only ever
keeps such points, so it can read sketches (a few percent of the data, stored raw for
zero-copy reads) instead of decoding whole chunks. Spikes never vanish: every block's
extremes are real points at their real steps.

Format: tag byte ``0x01``, ``uint32`` count, then int64 steps, float64 times, float64 values.
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np

from trailmark.store.chunks import Buffer, Points

BLOCK: Final = 64
"""Points per sketch block."""

MIN_POINTS: Final = 4 * BLOCK
"""Chunks smaller than this get no sketch: decoding them is already cheap."""

_HEADER = struct.Struct("<BI")
_TAG: Final = 0x01


def make_sketch(points: Points) -> bytes | None:
    """The sketch of a chunk's points, or ``None`` when the chunk is small or unsorted."""
    n = len(points)
    if n < MIN_POINTS or bool(np.any(np.diff(points.steps) < 0)):
        return None
    blocks = -(-n // BLOCK)
    padded = np.full(blocks * BLOCK, np.nan)
    padded[:n] = points.values
    grid = padded.reshape(blocks, BLOCK)
    finite = np.isfinite(grid)
    offsets = np.arange(blocks) * BLOCK
    keep = []
    any_finite = finite.any(axis=1)
    if any_finite.any():
        low = np.where(finite, grid, np.inf).argmin(axis=1)
        high = np.where(finite, grid, -np.inf).argmax(axis=1)
        keep += [(offsets + low)[any_finite], (offsets + high)[any_finite]]
    nonfinite = ~finite
    nonfinite[-1, n - offsets[-1] :] = False  # padding is not data
    has_nonfinite = nonfinite.any(axis=1)
    if has_nonfinite.any():
        keep.append((offsets + nonfinite.argmax(axis=1))[has_nonfinite])
    index = np.unique(np.concatenate(keep)) if keep else np.empty(0, dtype=np.intp)
    chosen = points.take(index)
    return b"".join(
        (
            _HEADER.pack(_TAG, len(index)),
            chosen.steps.astype("<i8").tobytes(),
            chosen.times.astype("<f8").tobytes(),
            chosen.values.astype("<f8").tobytes(),
        )
    )


def read_sketch(blob: Buffer) -> Points:
    """The points a sketch holds, sorted by step (views of the blob: no copy)."""
    data = memoryview(blob)
    tag, count = _HEADER.unpack_from(data)
    if tag != _TAG or len(data) != _HEADER.size + 24 * count:
        raise ValueError("malformed chunk sketch")
    start = _HEADER.size
    steps = np.frombuffer(data, dtype="<i8", count=count, offset=start)
    times = np.frombuffer(data, dtype="<f8", count=count, offset=start + 8 * count)
    values = np.frombuffer(data, dtype="<f8", count=count, offset=start + 16 * count)
    return Points(steps, times, values)

"""The regression guard's two halves: recording a baseline and comparing a run against it.

``results/baseline.json`` maps a figure's name to ``{"value", "unit", "direction"}``: the best
repetition of the guard's short run (best-of-N is what stays steady on a shared machine), in
the slowest of :data:`RECORD_RUNS` runs.
Its ``calibration`` entry is the machine's speed then (a fixed pure-Python workload, see
:func:`benchmarks.core.calibrate`); when the machine is slower now, the tolerance grows by
the same factor, so other people's load does not fail the guard but a real regression does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from benchmarks.core import Figure
from benchmarks.rows import BY_NAME

BASELINE = Path(__file__).resolve().parent / "results" / "baseline.json"
TOLERANCE = 3.0
"""A figure fails the guard only when it is more than this many times worse than its baseline."""


CALIBRATION = "calibration"

TAIL_ROWS = frozenset({"load_sqlite_p99", "load_pg_p99"})
"""Tail latencies: one stall of this shared disk's ``fsync`` (0.5 ms typically, up to 285 ms
measured) holds every request in flight, so the p99 of the guard's short load varies tenfold
between runs. Such a row fails the guard only past its target (times the machine's slowdown),
whatever its baseline."""


RECORD_RUNS = 3
"""Guard runs a baseline is recorded from."""


def baseline_of(
    runs: list[tuple[dict[str, Figure], Figure | None]],
) -> dict[str, dict[str, Any]]:
    """The baseline of several guard runs (figures, calibration): each figure's best
    repetition in the run where that best was worst, and the median calibration. Even a
    quiet machine varies between runs (1.0-1.8x measured), and a guard recorded from its
    luckiest run would fail on an ordinary one."""
    out: dict[str, dict[str, Any]] = {}
    for name, row in BY_NAME.items():
        bests = [figures[name].best(row.direction) for figures, _ in runs if name in figures]
        if bests:
            unit = next(figures[name].unit for figures, _ in runs if name in figures)
            value = max(bests) if row.direction == "lower" else min(bests)
            out[name] = {"value": value, "unit": unit, "direction": row.direction}
    speeds = sorted(c.value for _, c in runs if c is not None)
    if speeds:
        out[CALIBRATION] = {"value": speeds[len(speeds) // 2], "unit": "s", "direction": "lower"}
    return out


def slowdown(calibration: Figure | None, baseline: dict[str, dict[str, Any]]) -> float:
    """How many times slower the machine is now than when the baseline was recorded (>= 1)."""
    then = baseline.get(CALIBRATION)
    if calibration is None or then is None or float(then["value"]) <= 0:
        return 1.0
    return max(1.0, calibration.value / float(then["value"]))


def load_baseline(path: Path = BASELINE) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = orjson.loads(path.read_bytes())
    return data


def regressions(
    figures: dict[str, Figure],
    baseline: dict[str, dict[str, Any]],
    tolerance: float = TOLERANCE,
    slower: float = 1.0,
) -> list[str]:
    """One message per baseline figure that is missing now or more than ``tolerance`` x worse
    (times ``slower``, how much slower the machine is now than when the baseline was recorded)."""
    problems: list[str] = []
    tolerance *= slower
    for name, base in baseline.items():
        if name == CALIBRATION:
            continue
        fig = figures.get(name)
        if fig is None:
            problems.append(f"{name}: not measured (its case failed)")
            continue
        direction = base["direction"]
        now, then = fig.best(direction), float(base["value"])
        if name in TAIL_ROWS:
            then = max(then, BY_NAME[name].target / TOLERANCE)
        if direction == "lower":
            worse = now > then * tolerance if then > 0 else now > 0
        else:
            worse = now < then / tolerance
        if worse:
            problems.append(
                f"{name}: {now:.6g} {base['unit']} now against {then:.6g} in the baseline "
                f"(more than {tolerance:.3g}x worse, the machine being {slower:.2g}x slower; "
                f"reps {[round(r, 6) for r in fig.reps]})"
            )
    return problems

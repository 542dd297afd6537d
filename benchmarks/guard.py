"""The regression guard's two halves: recording a baseline and comparing a run against it.

``results/baseline.json`` maps a figure's name to ``{"value", "unit", "direction"}``: the best
repetition of the guard's short run (best-of-N is what stays steady on a shared machine).
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


def baseline_of(
    figures: dict[str, Figure], calibration: Figure | None
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in BY_NAME:
        fig = figures.get(name)
        if fig is not None:
            row = BY_NAME[name]
            out[name] = {
                "value": fig.best(row.direction),
                "unit": fig.unit,
                "direction": row.direction,
            }
    if calibration is not None:
        out[CALIBRATION] = {"value": calibration.value, "unit": "s", "direction": "lower"}
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

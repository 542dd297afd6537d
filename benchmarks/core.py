"""Rows, figures and timing helpers shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["lower", "higher"]

MB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One line of the table: what is measured, in which unit, and the target it must meet."""

    name: str
    label: str
    unit: str
    target: float
    direction: Direction = "lower"

    def meets(self, value: float) -> bool:
        return value <= self.target if self.direction == "lower" else value >= self.target


@dataclass
class Figure:
    """A measured figure: the median of its repetitions (``reps``), in ``unit``.

    ``label`` names the idiom for anchor figures ("log_batch"); ``note`` says anything a
    reader must know (extrapolated, not durable when the call returns, ...).
    """

    value: float
    unit: str
    reps: list[float] = field(default_factory=list)
    note: str = ""
    label: str = ""

    def best(self, direction: Direction) -> float:
        """The best repetition: what a regression guard on a noisy machine compares."""
        if not self.reps:
            return self.value
        return min(self.reps) if direction == "lower" else max(self.reps)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "reps": self.reps}
        if self.note:
            out["note"] = self.note
        if self.label:
            out["label"] = self.label
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        return cls(
            value=float(data["value"]),
            unit=str(data["unit"]),
            reps=[float(x) for x in data.get("reps", [])],
            note=str(data.get("note", "")),
            label=str(data.get("label", "")),
        )


def figure(reps: list[float], unit: str, note: str = "", label: str = "") -> Figure:
    """The median of ``reps`` as a Figure."""
    return Figure(statistics.median(reps), unit, list(reps), note, label)


def scaled(fig: Figure, factor: float, note: str) -> Figure:
    """``fig`` times ``factor`` (an extrapolation to the full workload), with a note saying so."""
    return Figure(fig.value * factor, fig.unit, [r * factor for r in fig.reps], note, fig.label)


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn``, in seconds."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def repeat(fn: Callable[[], float], reps: int, budget: float | None = None) -> list[float]:
    """Up to ``reps`` results of ``fn`` (each call measures one repetition); with ``budget``,
    no new repetition starts once that many seconds have passed (a slow case on a busy
    machine keeps the suite within its time)."""
    started = time.perf_counter()
    out: list[float] = []
    while len(out) < reps:
        if out and budget is not None and time.perf_counter() - started > budget:
            break
        out.append(fn())
    return out


def _fixed_work() -> int:
    total = 0
    table: dict[int, int] = {}
    for i in range(100_000):
        total += i * i % 7
        table[i & 1023] = total
    return total + len(table)


def calibrate() -> float:
    """Seconds for a fixed pure-Python workload (the mean of 5, about 70 ms on a quiet 2-core
    machine): how fast this machine is for us right now, other people's load included.

    The regression guard scales its tolerance by how much slower this is than when the
    baseline was recorded, so a busy shared machine does not fail it.
    """
    return timed(lambda: [_fixed_work() for _ in range(5)]) / 5


@dataclass(frozen=True)
class Scale:
    """How much work each case does: the full suite, ``--quick``, or the regression guard."""

    name: str
    reps: int
    micro_reps: int
    """Repetitions of the microsecond-scale figures (init, log, history): the best of many
    short windows is what stays steady on a busy machine."""
    import_reps: int
    log_calls: int
    big_steps: int
    big_reps: int
    series_points: int
    search_runs: int
    wide_steps: int
    wide_keys: int
    load_procs: int
    load_steps: int
    load_seconds: float
    server_start_reps: int
    anchor_reps: int

    @property
    def quick(self) -> bool:
        return self.name != "full"


FULL = Scale(
    name="full",
    reps=5,
    micro_reps=7,
    import_reps=7,
    log_calls=50_000,
    big_steps=1_000_000,
    big_reps=3,
    series_points=1_000_000,
    search_runs=10_000,
    wide_steps=20,
    wide_keys=10_000,
    load_procs=64,
    load_steps=2_000,
    load_seconds=8.0,
    server_start_reps=7,
    anchor_reps=3,
)

QUICK = Scale(
    name="quick",
    reps=3,
    micro_reps=5,
    import_reps=3,
    log_calls=20_000,
    big_steps=100_000,
    big_reps=1,
    series_points=1_000_000,
    search_runs=2_000,
    wide_steps=20,
    wide_keys=10_000,
    load_procs=16,
    load_steps=2_000,
    load_seconds=4.0,
    server_start_reps=3,
    anchor_reps=1,
)

GUARD = Scale(
    name="guard",
    reps=3,
    micro_reps=7,
    import_reps=3,
    log_calls=5_000,
    big_steps=50_000,
    big_reps=1,
    series_points=300_000,
    search_runs=1_000,
    wide_steps=10,
    wide_keys=10_000,
    load_procs=8,
    load_steps=1_000,
    load_seconds=2.0,
    server_start_reps=3,
    anchor_reps=1,
)
"""The regression guard's short run: compared only with a baseline recorded at this scale."""

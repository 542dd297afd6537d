"""Regression guard: a short, Trailmark-only run of ``make bench`` against the recorded baseline.

It fails only on a large regression: a figure more than 3x worse than in
``benchmarks/results/baseline.json`` (best repetition against best repetition, and a failing
figure is measured once more before it counts, because this machine is shared and noisy; a
tail latency only past its target).
Refresh the baseline with ``.venv/bin/python benchmarks/run.py --record-baseline``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from benchmarks.core import Figure
from benchmarks.guard import BASELINE, load_baseline, regressions, slowdown

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"


def guard_run(out: Path, only: list[str]) -> tuple[dict[str, Figure], Figure | None, str]:
    args = [sys.executable, str(RUN), "--guard", "--out", str(out)]
    for name in only:
        args += ["--only", name]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=240, cwd=ROOT)
    log = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert out.exists(), f"benchmarks/run.py --guard wrote no results:\n{log}"
    data = orjson.loads(out.read_bytes())
    figures = {
        row["name"]: Figure.from_json(row["trailmark"]) for row in data["rows"] if row["trailmark"]
    }
    calibration = Figure.from_json(data["calibration"]) if data.get("calibration") else None
    return figures, calibration, log


@pytest.mark.slow  # a short make bench: a minute or two of the machine, and noisy where shared
def test_no_figure_is_three_times_worse_than_the_baseline(tmp_path: Path) -> None:
    baseline = load_baseline()
    assert baseline, f"{BASELINE} is empty"
    figures, calibration, log = guard_run(tmp_path / "guard.json", [])
    slower = slowdown(calibration, baseline)
    failing = [p.split(":", 1)[0] for p in regressions(figures, baseline, slower=slower)]
    if failing:
        again, calibration, log = guard_run(tmp_path / "again.json", failing)
        slower = max(slower, slowdown(calibration, baseline))
        for name in failing:
            if name in again:
                previous = figures.get(name)
                reps = again[name].reps + (previous.reps if previous else [])
                figures[name] = Figure(again[name].value, again[name].unit, reps)
    problems = regressions(figures, baseline, slower=slower)
    assert not problems, "\n".join(problems) + "\n\n" + log


def test_the_comparison_flags_only_large_regressions() -> None:
    baseline = {
        "log_1": {"value": 2e-6, "unit": "s", "direction": "lower"},
        "load_sqlite_rate": {"value": 300_000.0, "unit": "pts/s", "direction": "higher"},
        "calibration": {"value": 0.010, "unit": "s", "direction": "lower"},
    }
    fine = {
        "log_1": Figure(9e-6, "s", [9e-6, 5.9e-6]),
        "load_sqlite_rate": Figure(120_000.0, "pts/s", [120_000.0]),
    }
    assert regressions(fine, baseline) == []
    worse = {
        "log_1": Figure(7e-6, "s", [7e-6, 6.5e-6]),
        "load_sqlite_rate": Figure(90_000.0, "pts/s", [90_000.0]),
    }
    assert [p.split(":")[0] for p in regressions(worse, baseline)] == ["log_1", "load_sqlite_rate"]
    assert regressions({"log_1": worse["log_1"]}, baseline)[-1].startswith("load_sqlite_rate")
    busy = slowdown(Figure(0.025, "s", [0.025]), baseline)
    assert busy == 2.5
    assert regressions(worse, baseline, slower=busy) == []


def test_a_tail_latency_fails_only_past_its_target() -> None:
    baseline = {"load_sqlite_p99": {"value": 0.02, "unit": "s", "direction": "lower"}}
    stall = {"load_sqlite_p99": Figure(0.2, "s", [0.2])}  # one fsync stall: 10x, within target
    assert regressions(stall, baseline) == []
    past = {"load_sqlite_p99": Figure(0.3, "s", [0.3])}
    assert [p.split(":")[0] for p in regressions(past, baseline)] == ["load_sqlite_p99"]
    assert regressions(past, baseline, slower=1.5) == []


def test_a_baseline_keeps_each_figures_slowest_best_and_the_median_calibration() -> None:
    from benchmarks.guard import baseline_of

    runs = [
        ({"log_1": Figure(3e-6, "s", [3e-6, 2e-6])}, Figure(0.007, "s", [0.007])),
        (
            {
                "log_1": Figure(3e-6, "s", [2.5e-6]),
                "load_sqlite_rate": Figure(8e5, "pts/s", [8e5, 9e5]),
            },
            Figure(0.009, "s", [0.009]),
        ),
        ({"load_sqlite_rate": Figure(7e5, "pts/s", [7e5])}, Figure(0.008, "s", [0.008])),
    ]
    baseline = baseline_of(runs)
    assert baseline["log_1"]["value"] == 2.5e-6
    assert baseline["load_sqlite_rate"]["value"] == 7e5
    assert baseline["calibration"]["value"] == 0.008

"""Trackio doing the benchmark's work (local SQLite in ``TRACKIO_DIR``, set by the runner).

Run inside the Trackio env: ``python trackio_cases.py CASE --reps N --workdir DIR [--quick]``.
Trackio's ``log()`` queues values for a background thread, so a returned call is not yet
durable; ``finish()`` flushes. It has no self-hosted server row here (its server is a
Gradio/Space dashboard), and no public history read: ``SQLiteStorage.get_metric_values``
is what its dashboard uses.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path
from typing import Any

import trackio
from common import emit, fig, import_times, noise, parse_args, ten, vacuumed_size
from trackio.sqlite_storage import SQLiteStorage

CASES = ["import", "init", "log", "local"]
STEPS = 10_000
KEY = "train/loss"
OPTIONS: dict[str, Any] = {"auto_log_cpu": False, "auto_log_gpu": False, "embed": False}


class Projects:
    def __init__(self) -> None:
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count}"


def quiet_init(project: str, name: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        trackio.init(project=project, name=name, **OPTIONS)


def quiet_finish() -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        trackio.finish()


def case_init(reps: int, projects: Projects) -> list[dict[str, Any]]:
    times: list[float] = []
    for _ in range(reps + 1):
        project = projects.fresh("init")
        with contextlib.redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            trackio.init(project=project, name="r", **OPTIONS)
            times.append(time.perf_counter() - started)
        quiet_finish()
    return [fig("init", "trackio.init, new project", times[1:])]


def _per_call(calls: int, wide: bool) -> float:
    values = noise(calls)
    log = trackio.log
    started = time.perf_counter()
    if wide:
        for x in values:
            log(ten(x))
    else:
        for x in values:
            log({"loss": x})
    return (time.perf_counter() - started) / calls


def case_log(reps: int, projects: Projects, quick: bool) -> list[dict[str, Any]]:
    calls = 5_000 if quick else 20_000
    out: list[dict[str, Any]] = []
    for row, wide in (("log_1", False), ("log_10", True)):
        quiet_init(projects.fresh("log"), "r")
        times = [_per_call(calls, wide) for _ in range(reps)]
        quiet_finish()
        out.append(fig(row, "trackio.log", times, note="queued: not durable on return"))
    return out


def log_10x10k(project: str) -> float:
    values = noise(STEPS)
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        trackio.init(project=project, name="r", **OPTIONS)
        for x in values:
            trackio.log(ten(x))
        trackio.finish()
        return time.perf_counter() - started


def case_local(reps: int, projects: Projects) -> list[dict[str, Any]]:
    times: list[float] = []
    project = ""
    for _ in range(reps):
        project = projects.fresh("local")
        times.append(log_10x10k(project))
    history: list[float] = []
    for _ in range(reps + 2):
        started = time.perf_counter()
        points = SQLiteStorage.get_metric_values(project, "r", KEY)
        history.append(time.perf_counter() - started)
        assert len(points) == STEPS, len(points)
    empty = projects.fresh("empty")
    quiet_init(empty, "r")
    quiet_finish()
    base = vacuumed_size(Path(SQLiteStorage.get_project_db_path(empty)))
    size = vacuumed_size(Path(SQLiteStorage.get_project_db_path(project)))
    note = f"(file - empty project) / {STEPS * 10:,} points"
    return [
        fig("local_10x10k", "init, log x10,000, finish", times),
        fig("history_10k", "SQLiteStorage.get_metric_values", history),
        fig("bytes_per_point", "project SQLite file", [(size - base) / (STEPS * 10)], "B", note),
    ]


def main() -> None:
    args = parse_args(CASES)
    projects = Projects()
    reps: int = args.reps
    if args.case == "import":
        figures = [fig("import", "import trackio", import_times("trackio", reps))]
    elif args.case == "init":
        figures = case_init(reps, projects)
    elif args.case == "log":
        figures = case_log(reps, projects, args.quick)
    else:
        figures = case_local(reps, projects)
    emit(figures)


if __name__ == "__main__":
    main()

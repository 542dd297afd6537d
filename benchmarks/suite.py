"""Which cases produce which rows, and running them: Trailmark in-process, anchors in their envs."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import server_cases as srv
from benchmarks import store_cases as sto
from benchmarks import trailmark_cases as cli
from benchmarks.anchors.runner import ANCHORS, Anchor, ensure_venv
from benchmarks.anchors.runner import run_case as run_anchor
from benchmarks.core import Figure, Scale, calibrate, figure
from benchmarks.rows import BY_NAME
from benchmarks.workspace import Workspace


@dataclass(frozen=True)
class Case:
    name: str
    rows: tuple[str, ...]
    run: Callable[[Workspace], dict[str, Figure]]


CASES: tuple[Case, ...] = (
    Case("import", ("import",), cli.case_import),
    Case("init", ("init",), cli.case_init),
    Case("log", ("log_1", "log_10"), cli.case_log),
    Case("local", ("local_10x10k",), cli.case_local_10x10k),
    Case("local_cold", ("local_10x10k_cold", "local_10x10k_cold_read"), cli.case_local_cold),
    Case("history", ("history_10k",), cli.case_history),
    Case("server_10x10k", ("server_10x10k",), srv.case_server_10x10k),
    Case("big_run", ("big_run_time", "big_run_rss", "bytes_per_point"), cli.case_big_run),
    Case("series", ("buckets_store", "zoom_store", "buckets_rest", "zoom_rest"), sto.case_series),
    Case("search", ("search_10k",), sto.case_search),
    Case("wide", ("wide_step",), cli.case_wide_step),
    Case(
        "load_sqlite",
        ("load_sqlite_rate", "load_sqlite_p99", "load_sqlite_errors"),
        srv.case_load_sqlite,
    ),
    Case("load_pg", ("load_pg_rate", "load_pg_p99", "load_pg_errors"), srv.case_load_pg),
    Case(
        "load_auth",
        ("load_auth_rate", "load_auth_ratio", "load_auth_cpu_ratio", "load_auth_errors"),
        srv.case_load_auth,
    ),
    Case("server_start", ("server_start",), srv.case_server_start),
    Case("server_memory", ("server_rss_idle", "server_rss_loaded"), srv.case_server_memory),
)

GUARD_SKIPS = frozenset({"load_pg", "load_auth"})
"""Cases the regression guard leaves out (it must not need PostgreSQL; the accounts load
runs the writers' burst twice, and is a ratio the full suite checks)."""


@dataclass
class Results:
    """Everything one invocation measured."""

    scale: Scale
    trailmark: dict[str, Figure] = field(default_factory=dict)
    anchors: dict[str, dict[str, list[Figure]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    speed: list[float] = field(default_factory=list)
    """Calibration samples (see :func:`benchmarks.core.calibrate`), one before each case."""

    def calibration(self) -> Figure | None:
        return figure(self.speed, "s") if self.speed else None


def select_cases(only: Iterable[str]) -> list[Case]:
    """The cases producing the named rows or cases (all of them when ``only`` is empty)."""
    names = set(only)
    if not names:
        return list(CASES)
    known = set(BY_NAME) | {c.name for c in CASES}
    unknown = sorted(names - known)
    if unknown:
        raise SystemExit(f"unknown row or case: {', '.join(unknown)}; see --list")
    return [c for c in CASES if c.name in names or names & set(c.rows)]


def run_case(results: Results, case: Case, ws: Workspace, verbose: bool) -> None:
    if all(row in results.trailmark for row in case.rows):
        return  # already measured as another case's dependency
    results.speed.append(calibrate())
    started = time.perf_counter()
    if verbose:
        print(f"  trailmark {case.name} ...", flush=True)
    try:
        results.trailmark.update(case.run(ws))
    except Exception as exc:
        results.errors[f"trailmark:{case.name}"] = f"{type(exc).__name__}: {exc}"
        if verbose:
            traceback.print_exc()
    results.seconds[f"trailmark:{case.name}"] = time.perf_counter() - started


ANCHOR_ROW_ALIASES: dict[tuple[str, str], str] = {("trackio", "local_10x10k_cold"): "local_10x10k"}
"""(anchor, row) -> the anchor's row whose figures stand for it: Trackio starts no service,
so each of its 10x10k runs is already a cold one."""


def anchor_cases(anchor: Anchor, rows: set[str]) -> list[str]:
    wanted = rows | {
        source
        for (name, row), source in ANCHOR_ROW_ALIASES.items()
        if name == anchor.name and row in rows
    }
    return [case for case, produced in anchor.cases.items() if wanted & set(produced)]


def alias_anchor_rows(results: Results) -> None:
    """Give the aliased rows their anchor figures (see :data:`ANCHOR_ROW_ALIASES`)."""
    for (name, row), source in ANCHOR_ROW_ALIASES.items():
        by_row = results.anchors.get(name, {})
        if source in by_row and row not in by_row:
            by_row[row] = list(by_row[source])


def install_anchors(results: Results, cases: list[Case]) -> list[Anchor]:
    """Create the anchors' envs the cases need (before anything is measured)."""
    rows = {row for case in cases for row in case.rows}
    ready: list[Anchor] = []
    for anchor in ANCHORS:
        if not anchor_cases(anchor, rows):
            continue
        problem = ensure_venv(anchor)
        if problem:
            results.errors[f"{anchor.name}:install"] = problem
        else:
            ready.append(anchor)
    return ready


def run_anchor_case(
    results: Results, anchor: Anchor, case: str, workdir: Path, verbose: bool
) -> None:
    if verbose:
        print(f"  {anchor.name} {case} ...", flush=True)
    scale = results.scale
    reps = min(scale.import_reps, 5) if case == "import" else scale.anchor_reps
    out = run_anchor(anchor, case, reps, scale.quick, workdir)
    results.seconds[f"{anchor.name}:{case}"] = out.seconds
    if out.error:
        results.errors[f"{anchor.name}:{case}"] = out.error
    by_row = results.anchors.setdefault(anchor.name, {})
    for row, figures in out.figures.items():
        by_row.setdefault(row, []).extend(figures)


def run_all(
    results: Results, cases: list[Case], ws: Workspace, anchors: bool, verbose: bool
) -> None:
    """Each Trailmark case, then at once the anchor cases doing the same work, so that the
    figures compared were measured close together in time (the machine's load drifts)."""
    ready = install_anchors(results, cases) if anchors else []
    done: set[tuple[str, str]] = set()
    for case in cases:
        run_case(results, case, ws, verbose)
        for anchor in ready:
            for name in anchor_cases(anchor, set(case.rows)):
                if (anchor.name, name) not in done:
                    done.add((anchor.name, name))
                    run_anchor_case(results, anchor, name, ws.root, verbose)
    alias_anchor_rows(results)

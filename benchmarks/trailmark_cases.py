"""Trailmark's client-side cases, measured through the public API as a user would call it."""

from __future__ import annotations

import compileall
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.core import MB, Figure, figure, repeat, scaled
from benchmarks.procs import clean_env
from benchmarks.workspace import PROJECT, Workspace, noise, stop_ingest_services

WORKERS = Path(__file__).resolve().parent / "workers"
FULL_BIG_STEPS = 1_000_000
BIG_RUN_BUDGET = 75.0
"""No new repetition of the big run starts after this many seconds (a busy machine)."""


def ten(x: float) -> dict[str, float]:
    """A typical step of 10 scalars (building it is part of the user's code in every tool)."""
    return {
        "train/loss": x,
        "train/acc": 1.0 - x,
        "train/lr": 3e-4,
        "train/grad_norm": x * 3.0,
        "val/loss": x + 0.1,
        "val/acc": 0.9 - x,
        "m6": x + 6.0,
        "m7": x + 7.0,
        "m8": x + 8.0,
        "m9": x + 9.0,
    }


def _finish(run: Any) -> None:
    report = run.finish(timeout=300)
    if report is None or not report.complete:
        raise RuntimeError(f"finish() left records unshipped: {report}")


def byte_compile() -> None:
    """Byte-compile the package as pip compiles an installed one: a checkout installed in
    editable mode where PYTHONDONTWRITEBYTECODE is set (CI images) would otherwise compile
    every module in every new process, which no user's install does."""
    import trailmark

    compileall.compile_dir(Path(trailmark.__file__).parent, quiet=1)


def case_import(ws: Workspace) -> dict[str, Figure]:
    """Wall time of ``python -c "import trailmark"`` (a fresh interpreter each time)."""
    env = clean_env()

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - started

    byte_compile()
    once("import trailmark")  # warm the OS file cache, as on any second start
    bare = [once("pass") for _ in range(ws.scale.import_reps)]
    reps = [once("import trailmark") for _ in range(ws.scale.import_reps)]
    bare_ms = sorted(bare)[len(bare) // 2] * 1000
    return {"import": figure(reps, "s", note=f"bare interpreter: {bare_ms:.0f} ms")}


def case_init(ws: Workspace) -> dict[str, Figure]:
    """``init`` to a run ready to log, in a new data dir each time."""
    import trailmark as tm

    reps: list[float] = []
    for _ in range(ws.scale.micro_reps + 1):
        data_dir = ws.fresh_dir("init")
        started = time.perf_counter()
        run = tm.init(project=PROJECT, dir=data_dir)
        reps.append(time.perf_counter() - started)
        _finish(run)
    return {"init": figure(reps[1:], "s")}


def _per_call(run: Any, values: list[float], wide: bool) -> float:
    log = run.log
    started = time.perf_counter()
    if wide:
        for x in values:
            log(ten(x))
    else:
        for x in values:
            log({"loss": x})
    return (time.perf_counter() - started) / len(values)


def case_log(ws: Workspace) -> dict[str, Figure]:
    """Calling-thread time of ``run.log``: one scalar, and a dict of 10 (which includes ``ten()``)."""
    import trailmark as tm

    values = noise(ws.scale.log_calls)
    out: dict[str, Figure] = {}
    for name, wide in (("log_1", False), ("log_10", True)):
        run = tm.init(project=PROJECT, dir=ws.fresh_dir("log"))
        _per_call(run, values[:1000], wide)  # first calls validate the keys once
        reps = [_per_call(run, values, wide) for _ in range(ws.scale.micro_reps)]
        out[name] = figure(reps, "s", note=f"{len(values):,} calls per repetition")
        _finish(run)
    return out


def log_10x10k(data_dir: Path, url: str | None = None) -> tuple[float, str]:
    """``init`` to ``finish`` returned for 10 metrics x 10,000 steps; (seconds, run id)."""
    import trailmark as tm

    values = noise(10_000)
    started = time.perf_counter()
    run = tm.init(project=PROJECT, dir=data_dir, url=url)
    for x in values:
        run.log(ten(x))
    _finish(run)
    return time.perf_counter() - started, run.id


def case_local_10x10k(ws: Workspace) -> dict[str, Figure]:
    """Each repetition a new data dir. The first starts the user's ingest service (stopped
    first if earlier cases started it: a truly cold start); the others find it warm."""
    stop_ingest_services(ws.root / "runtime")
    reps: list[float] = []
    for _ in range(ws.scale.reps):
        data_dir = ws.fresh_dir("local")
        seconds, run_id = log_10x10k(data_dir)
        reps.append(seconds)
        ws.history_source = (data_dir, run_id)
    note = f"first run, starting the ingest service: {reps[0]:.2f} s; later runs find it warm"
    return {"local_10x10k": figure(reps, "s", note=note)}


def case_local_cold(ws: Workspace) -> dict[str, Figure]:
    """The first run of a user, with no ingest service running: each repetition gets a
    runtime dir of its own (no service there yet, as after a reboot or a long pause) and a
    new data dir; init to finish, the service's start included.

    ``finish()`` returns once the service has taken the spool over, before the service has
    loaded the store: so a second figure, init until the run can be read whole through
    ``Api`` (which waits for the service), keeps the row honest."""
    import trailmark as tm
    from trailmark.store.store import Store  # noqa: F401  (the reader's own imports)

    byte_compile()  # the service is a new process: it loads the package from disk
    reps: list[float] = []
    readable: list[float] = []
    shared = os.environ["TRAILMARK_RUNTIME_DIR"]
    for rep in range(ws.scale.reps):
        runtime = ws.root / f"runtime-cold-{rep}"  # not made here: the service makes it 0700
        os.environ["TRAILMARK_RUNTIME_DIR"] = str(runtime)
        try:
            data_dir = ws.fresh_dir("cold")
            seconds, run_id = log_10x10k(data_dir)
            finished = time.perf_counter()
            with tm.Api(dir=data_dir) as api:
                rows = api.run(f"{PROJECT}/{run_id}").history(keys=["train/loss"])
            readable.append(seconds + time.perf_counter() - finished)
            reps.append(seconds)
            if len(rows) != 10_000:
                raise RuntimeError(f"history returned {len(rows)} rows, not 10,000")
        finally:
            os.environ["TRAILMARK_RUNTIME_DIR"] = shared
            stop_ingest_services(runtime)
    note = (
        "no ingest service running: each run starts it (init does not wait for it); finish() "
        "returns once the service has taken the spool over"
    )
    read_note = (
        "Api waits until the service has stored the run (the reading process's own imports "
        "are done before: they are no part of it)"
    )
    return {
        "local_10x10k_cold": figure(reps, "s", note=note),
        "local_10x10k_cold_read": figure(readable, "s", note=read_note),
    }


def case_history(ws: Workspace) -> dict[str, Figure]:
    """``ApiRun.history(keys=[k])`` of a 10,000-point metric, through a local ``Api``."""
    import trailmark as tm

    if ws.history_source is None:
        data_dir = ws.fresh_dir("local")
        ws.history_source = (data_dir, log_10x10k(data_dir)[1])
    data_dir, run_id = ws.history_source
    with tm.Api(dir=data_dir) as api:
        run = api.run(f"{PROJECT}/{run_id}")
        run.history(keys=["train/loss"])  # warms the page cache, as the store reads do
        reps: list[float] = []
        # ~2 ms a read: many reads cost little and keep the median steady when the
        # anchors' processes before this case are still winding down.
        for _ in range(ws.scale.micro_reps * 4):
            started = time.perf_counter()
            rows = run.history(keys=["train/loss"])
            reps.append(time.perf_counter() - started)
            if len(rows) != 10_000:
                raise RuntimeError(f"history returned {len(rows)} rows, not 10,000")
    return {"history_10k": figure(reps, "s")}


def _storage_per_point(data_dir: Path, points: int) -> float:
    db = data_dir / "trailmark.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size / points


def case_big_run(ws: Workspace) -> dict[str, Figure]:
    """A training process logging 10 metrics x N steps to a local dir (its own interpreter)."""
    steps = ws.scale.big_steps
    growth: list[float] = []
    peaks: list[float] = []
    loops: list[float] = []
    dirs: list[Path] = []

    def once() -> float:
        data_dir = ws.fresh_dir("big")
        dirs.append(data_dir)
        out = subprocess.run(
            [sys.executable, str(WORKERS / "big_run.py"), str(data_dir), str(steps)],
            check=True,
            capture_output=True,
            text=True,
            # Its own ingest worker, a child whose peak memory the script samples.
            env=clean_env(TRAILMARK_INGEST_SERVICE="false"),
        )
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        if not result["complete"]:
            raise RuntimeError(f"the big run did not ship everything: {out.stderr[-2000:]}")
        growth.append(float(result["rss_peak"] - result["rss_before"]))
        loops.append(float(result["log_loop"]))
        peaks.append(float(result["child_peak"]))
        return float(result["wall"])

    walls = repeat(once, ws.scale.big_reps, budget=BIG_RUN_BUDGET)
    loop = statistics.median(loops)
    wall = figure(
        walls, "s", note=f"{len(walls)} runs; log loop {loop:.1f} s, then finish() waits for ingest"
    )
    worker = max(peaks) / MB
    rss = figure(growth, "B", note=f"VmHWM - VmRSS before init; ingest worker peak {worker:.0f} MB")
    if steps != FULL_BIG_STEPS:
        factor = FULL_BIG_STEPS / steps
        wall = scaled(wall, factor, f"extrapolated from {steps:,} steps; " + wall.note)
        rss.note += f"; at {steps:,} steps"
    per_point = _storage_per_point(dirs[-1], steps * 10)
    note = f"{steps * 10:,} points of the big run, whole file / points"
    return {
        "big_run_time": wall,
        "big_run_rss": rss,
        "bytes_per_point": figure([per_point], "B", note=note),
    }


def _wide_run(ws: Workspace, batches: list[dict[str, float]]) -> float:
    import trailmark as tm

    started = time.perf_counter()
    run = tm.init(project=PROJECT, dir=ws.fresh_dir("wide"))
    for batch in batches:
        run.log(batch)
    _finish(run)
    return time.perf_counter() - started


def case_wide_step(ws: Workspace) -> dict[str, Figure]:
    """10,000 distinct keys in every step, logged and shipped to the local store, per step.

    The figure is (init, N steps, finish) minus (init, one step of one key, finish), over N:
    the fixed cost of init and finish is left out (other rows measure it).
    """
    steps, width = ws.scale.wide_steps, ws.scale.wide_keys
    keys = [f"layer{i // 100:03d}/weight_{i % 100:02d}" for i in range(width)]
    values = noise(width)
    batches = [{k: v + s for k, v in zip(keys, values, strict=True)} for s in range(steps)]
    reps: list[float] = []
    totals: list[float] = []
    for _ in range(max(ws.scale.reps - 2, 1)):
        fixed = _wide_run(ws, [{"loss": 0.5}])
        total = _wide_run(ws, batches)
        reps.append((total - fixed) / steps)
        totals.append(total)
    note = (
        f"{steps} steps logged back to back (the sender batches them); "
        f"init to finish {statistics.median(totals):.2f} s in all"
    )
    return {"wide_step": figure(reps, "s", note=note)}

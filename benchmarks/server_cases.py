"""Server cases: logging to ``trailmark server``, many writers at once, start time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.core import Figure, figure
from benchmarks.procs import (
    Server,
    clean_env,
    null_server,
    postgres_database,
    start_server,
    tree_rss_bytes,
)
from benchmarks.trailmark_cases import WORKERS, log_10x10k
from benchmarks.workspace import Workspace

POINTS_PER_STEP = 10


def case_server_10x10k(ws: Workspace) -> dict[str, Figure]:
    """10 metrics x 10,000 steps from ``init(url=...)`` to ``finish`` returned."""
    server = ws.server()
    ws.server_busy = True
    reps = [log_10x10k(ws.fresh_dir("client"), url=server.url)[0] for _ in range(ws.scale.reps)]
    return {"server_10x10k": figure(reps, "s", note="SQLite server started by the bench")}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


TARGET_RATE = 300_000.0
"""Points a second the paced load offers in total (the target of the rate row)."""


def run_load(
    server: Server,
    workdir: Path,
    procs: int,
    steps: int,
    rate: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``procs`` writer processes log ``steps`` steps of 10 metrics each, all at once.

    ``rate`` > 0 paces each writer at that many steps a second; 0 logs as fast as it can.
    ``env``: more environment for the writers (``TRAILMARK_API_KEY`` with accounts on).
    """
    go = workdir / "go"
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKERS / "load_writer.py"),
                server.url,
                str(workdir / f"w{i}"),
                f"load-{workdir.name}-{i}",
                str(steps),
                str(go),
                str(rate),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(**(env or {})),
        )
        for i in range(procs)
    ]
    # Every writer has started its run, and the server has stored what init sent, before
    # the go signal: what is timed is logging, not 64 interpreters starting at once.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all((workdir / f"w{i}" / "ready").exists() for i in range(procs)):
            break
        if any(w.poll() is not None for w in writers):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    go.touch()
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    for proc in writers:
        out, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            errors.append(f"writer exited {proc.returncode}: {err[-500:]}")
            continue
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        errors.extend(result["errors"])
    latencies = [x for r in results for x in r["latencies"]]
    # Requests sent before the first writer called finish(), and the others: when every
    # writer finishes in the same instant, their last batches and exits arrive together.
    first_finish = min((r["finishing"] for r in results), default=0.0)
    timed = [(s, x) for r in results for s, x in zip(r["sent"], r["latencies"], strict=True)]
    throttled = [x for r in results for x in r["throttled"]]
    began = min((r["began"] for r in results), default=0.0)
    ended = max((r["ended"] for r in results), default=0.0)
    points = len(results) * steps * POINTS_PER_STEP
    return {
        "rate": points / (ended - began) if ended > began else 0.0,
        "p99": _percentile(latencies, 0.99),
        "p99_logging": _percentile([x for s, x in timed if s < first_finish], 0.99),
        "p99_finishing": _percentile([x for s, x in timed if s >= first_finish], 0.99),
        "requests": len(latencies),
        "throttled": len(throttled),
        "errors": errors,
        "points": points,
        "seconds": ended - began,
        "writers_cpu": sum(r["cpu"] for r in results),
    }


def _throttled(result: dict[str, Any]) -> str:
    """How many requests the server answered 429 (each sent again after Retry-After: not
    an error, not in the p99, which is over the requests whose batch was stored)."""
    count = result["throttled"]
    if not count:
        return "none throttled"
    share = count / (count + result["requests"])
    return f"{count} more answered 429 and sent again after Retry-After ({share:.0%} of all)"


def _split(result: dict[str, Any]) -> str:
    return (
        f"p99 while logging {result['p99_logging'] * 1e3:.0f} ms, "
        f"while all finish at once {result['p99_finishing'] * 1e3:.0f} ms"
    )


def load_figures(
    ws: Workspace, server: Server, prefix: str, *, with_floor: bool = False
) -> dict[str, Figure]:
    """Capacity (every writer logs as fast as it can) and latency at the target rate (paced);
    ``with_floor``: also the paced load against a server that stores nothing."""
    scale = ws.scale
    procs = scale.load_procs
    burst = [run_load(server, ws.fresh_dir("load"), procs, scale.load_steps, 0.0)]
    per_writer = TARGET_RATE / POINTS_PER_STEP / procs
    steps = round(per_writer * scale.load_seconds)
    paced = run_load(server, ws.fresh_dir("load"), procs, steps, per_writer)
    floor = None
    if with_floor:
        with null_server(ws.fresh_dir("null")) as nothing:
            floor = run_load(nothing, ws.fresh_dir("load"), procs, steps, per_writer)
    errors = [e for r in [*burst, paced] for e in r["errors"]]
    last = burst[-1]
    rate_note = (
        f"{procs} procs, a run each, x {last['points'] // procs:,} points as fast as they can, "
        f"{last['requests']} requests stored, p99 {last['p99'] * 1e3:.0f} ms; {_throttled(last)}"
    )
    p99_note = (
        f"{procs} procs, a run each, paced to {TARGET_RATE / 1e3:.0f}k pts/s in total for "
        f"{scale.load_seconds:g} s: achieved {paced['rate'] / 1e3:.0f}k pts/s, "
        f"{paced['requests']} requests stored; {_throttled(paced)}; SDK HTTP client timing; "
        f"{_split(paced)}; the writers used {paced['writers_cpu']:.1f} s of CPU"
    )
    if floor is not None:
        p99_note += (
            f"; the same load to a server that stores nothing (the floor this machine "
            f"leaves): p99 {floor['p99'] * 1e3:.0f} ms, {_split(floor)}"
        )
    return {
        f"{prefix}_rate": figure([r["rate"] for r in burst], "pts/s", note=rate_note),
        f"{prefix}_p99": figure([paced["p99"]], "s", note=p99_note),
        f"{prefix}_errors": figure(
            [float(len(errors))], "count", errors[0][:160] if errors else ""
        ),
    }


def case_load_sqlite(ws: Workspace) -> dict[str, Figure]:
    server = ws.server()
    ws.server_busy = True
    return load_figures(ws, server, "load_sqlite", with_floor=ws.scale.name != "guard")


def case_load_pg(ws: Workspace) -> dict[str, Figure]:
    with postgres_database() as url:
        server = start_server(ws.fresh_dir("pg-server"), db=url)
        try:
            return load_figures(ws, server, "load_pg", with_floor=ws.scale.name != "guard")
        finally:
            server.stop()


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def accounts_server(data_dir: Path) -> tuple[Server, str]:
    """A SQLite server with accounts on: its database holds one user (not an admin, so each
    batch is checked against the user's role on the project) and that user's API key."""
    from trailmark.store.store import Store

    store = Store.open(None, data_dir)
    store.accounts.users.create("bench")
    key = store.accounts.keys.create("bench", "load")[1]
    store.close()
    return start_server(data_dir), key


def case_load_auth(ws: Workspace) -> dict[str, Figure]:
    """The writers' burst (every writer as fast as it can) against two fresh SQLite
    servers, in turns (the order swapped each repetition): accounts off, and accounts on (every ingest request sends an API
    key, which the server looks up by its hash, and is checked against the caller's role on
    the project, found in the batch's envelope). The ratio of the rates is the row."""
    procs, steps = ws.scale.load_procs, ws.scale.load_steps
    off: list[float] = []
    on: list[float] = []
    cpu_off: list[float] = []
    cpu_on: list[float] = []
    errors: list[str] = []
    for rep in range(max(1, min(ws.scale.reps, 2))):
        for accounts in (False, True) if rep % 2 == 0 else (True, False):  # order cancels out
            if accounts:
                server, key = accounts_server(ws.fresh_dir("auth-on"))
                env = {"TRAILMARK_API_KEY": key}
            else:
                server, env = start_server(ws.fresh_dir("auth-off")), {}
            try:
                cpu = process_cpu_seconds(server.process.pid)
                result = run_load(server, ws.fresh_dir("load"), procs, steps, 0.0, env)
                cpu = process_cpu_seconds(server.process.pid) - cpu
            finally:
                server.stop()
            (on if accounts else off).append(result["rate"])
            (cpu_on if accounts else cpu_off).append(cpu / max(1, result["points"]))
            errors += result["errors"]
    ratios = [b / a for a, b in zip(off, on, strict=True) if a > 0]
    note = (
        f"{procs} procs x {steps:,} steps of 10 metrics, fresh SQLite servers in turns; "
        f"accounts off {' / '.join(f'{r / 1e3:.0f}k' for r in off)} pts/s, "
        f"on {' / '.join(f'{r / 1e3:.0f}k' for r in on)} pts/s"
    )
    cpu_ratios = [a / b for a, b in zip(cpu_off, cpu_on, strict=True) if b > 0]
    cpu_note = (
        "the server's own CPU time per point stored (what other load on the machine moves "
        f"least): off {' / '.join(f'{c * 1e6:.2f}' for c in cpu_off)} us, "
        f"on {' / '.join(f'{c * 1e6:.2f}' for c in cpu_on)} us"
    )
    return {
        "load_auth_rate": figure(on, "pts/s", note=note),
        "load_auth_ratio": figure(ratios or [0.0], "x", note=note),
        "load_auth_cpu_ratio": figure(cpu_ratios or [0.0], "x", note=cpu_note),
        "load_auth_errors": figure(
            [float(len(errors))], "count", errors[0][:160] if errors else ""
        ),
    }


def case_server_start(ws: Workspace) -> dict[str, Figure]:
    """``trailmark server`` on a new data dir: from process start to /health answering."""
    reps: list[float] = []
    for _ in range(ws.scale.server_start_reps):
        server = start_server(ws.fresh_dir("start"))
        reps.append(server.start_seconds)
        server.stop()
    return {"server_start": figure(reps, "s", note="SQLite, new data dir")}


def case_server_memory(ws: Workspace) -> dict[str, Figure]:
    """The main server's memory when idle, and after the server rows ran against it."""
    out: dict[str, Figure] = {}
    if not ws.server_busy:
        for case in (case_server_10x10k, case_load_sqlite):
            out.update(case(ws))
    server = ws.server()
    assert ws.server_idle_rss is not None
    loaded, processes = tree_rss_bytes(server.process.pid)
    note = f"{processes} process{'es' if processes > 1 else ''}"
    out["server_rss_idle"] = figure([float(ws.server_idle_rss)], "B", note="1 s after start")
    out["server_rss_loaded"] = figure([float(loaded)], "B", note=note)
    return out

"""Training processes for the reliability tests, run as ``python workloads.py COMMAND ARGS``.

Each writes what it did as JSON to a result file, so the test can compare what ``log()``
returned with what the store holds. Only ``trailmark`` is imported (no test code).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import warnings
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trailmark as tm


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream(url: str, spool_dir: str, run_id: str, key: str, stop_file: str, result: str) -> None:
    """Log about 2,000 points a second until ``stop_file`` exists; then finish."""
    run = tm.init(project="faults", id=run_id, name=run_id, url=url, dir=spool_dir)
    step = 0
    stop = Path(stop_file)
    while not stop.exists():
        for _ in range(20):
            run.log({key: float(step)}, step=step)
            step += 1
        time.sleep(0.01)
    started = time.monotonic()
    report = run.finish(timeout=180)
    assert report is not None
    Path(result).write_text(
        json.dumps(
            {
                "logged": step,
                "remaining": report.remaining,
                "rejected": report.rejected,
                "finish_seconds": time.monotonic() - started,
            }
        )
    )


def paced(url: str, spool_dir: str, keys: str, stop_file: str, result: str) -> None:
    """Log at 1 kHz (``keys`` values per call) until ``stop_file`` exists, timing each log()."""
    n_keys = int(keys)
    # No system metrics: the test counts the points of every key of the run.
    run = tm.init(project="outage", id="paced", url=url, dir=spool_dir, system_interval=0)
    names = [f"layer_{i:02d}/grad_norm" for i in range(n_keys)]
    for step in range(200):  # warm up: first-call costs are not what this measures
        run.log(dict.fromkeys(names, 0.0), step=step)
    latencies = array("d")
    rss: list[tuple[float, int]] = [(time.monotonic(), rss_kib())]
    Path(stop_file + ".ready").write_text("ready")
    stop = Path(stop_file)
    period = 0.001
    step = 200
    next_at = time.monotonic()
    next_rss = next_at + 0.1
    clock = time.perf_counter
    while True:
        values = {name: step * 1e-3 + i for i, name in enumerate(names)}
        t0 = clock()
        run.log(values, step=step)
        latencies.append(clock() - t0)
        step += 1
        now = time.monotonic()
        if now >= next_rss:
            rss.append((now, rss_kib()))
            next_rss = now + 0.1
            if stop.exists():
                break
        next_at += period
        if next_at > now:
            time.sleep(next_at - now)
    spool_bytes = Path(run.spool_path).stat().st_size
    started = time.monotonic()
    report = run.finish(timeout=120)
    assert report is not None
    ordered = sorted(latencies)
    Path(result).write_text(
        json.dumps(
            {
                "logged": step,
                "p50": ordered[len(ordered) // 2],
                "p99": ordered[int(len(ordered) * 0.99)],
                "max": ordered[-1],
                "calls": len(ordered),
                "rss": rss,
                "spool_bytes": spool_bytes,
                "remaining": report.remaining,
                "finish_seconds": time.monotonic() - started,
            }
        )
    )


def stall(url: str, spool_dir: str, points: str, result: str) -> None:
    """Log against a server that never answers, then ``finish(timeout=10)``."""
    # Captures off: the test counts the records left in the spool.
    run = tm.init(
        project="stall",
        id="stalled",
        url=url,
        dir=spool_dir,
        system_interval=0,
        console="off",
        capture_code=False,
        capture_env=False,
    )
    worst = 0.0
    started = time.monotonic()
    for step in range(int(points)):
        t0 = time.perf_counter()
        run.log({"loss": float(step)}, step=step)
        worst = max(worst, time.perf_counter() - t0)
    loop_seconds = time.monotonic() - started
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.monotonic()
        report = run.finish(timeout=10)
        finish_seconds = time.monotonic() - started
    assert report is not None
    Path(result).write_text(
        json.dumps(
            {
                "worst_log": worst,
                "loop_seconds": loop_seconds,
                "finish_seconds": finish_seconds,
                "remaining": report.remaining,
                "spooled": len(Path(run.spool_path).read_bytes().splitlines()) - 1,
                "warnings": [str(w.message) for w in caught],
                "spool": str(run.spool_path),
            }
        )
    )


def _one_of_many(
    index: int, url: str, data_dir: str, runs: int, points: int, go: Any, out: Any
) -> None:
    run_id = f"many-{index % runs}"
    go.wait()
    run = tm.init(project="many", id=run_id, name=run_id, url=url or None, dir=data_dir)
    for step in range(points):
        run.log({f"p{index}/x": float(step)}, step=step)
    report = run.finish(timeout=240)
    out.put((index, report.remaining if report is not None else -1))


def many(url: str, data_dir: str, processes: str, runs: str, points: str, result: str) -> None:
    """``processes`` forked writers start at the same moment, ``runs`` runs between them."""
    context = multiprocessing.get_context("fork")
    go = context.Event()
    out = context.Queue()
    children = [
        context.Process(
            target=_one_of_many,
            args=(i, url, data_dir, int(runs), int(points), go, out),
        )
        for i in range(int(processes))
    ]
    for child in children:
        child.start()
    started = time.monotonic()
    go.set()
    remaining = dict(out.get(timeout=300) for _ in children)
    for child in children:
        child.join(60)
    Path(result).write_text(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "remaining": remaining,
                "exit_codes": [child.exitcode for child in children],
            }
        )
    )


COMMANDS: dict[str, Callable[..., None]] = {
    "stream": stream,
    "paced": paced,
    "stall": stall,
    "many": many,
}

if __name__ == "__main__":
    os.environ.pop("TRAILMARK_URL", None)
    COMMANDS[sys.argv[1]](*sys.argv[2:])

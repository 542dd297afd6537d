"""A training process: one run, 10 metrics per step, ``STEPS`` steps, to a local data dir.

Usage: ``python big_run.py DATA_DIR STEPS``. Prints JSON: the wall time from ``init`` to
``finish`` returned (and to the end of the logging loop); this process's resident memory before ``init`` and its peak (VmHWM, which
unlike ``ru_maxrss`` does not inherit the parent's high-water mark across fork and exec); and
the largest peak seen in its child processes (the SDK's local ingest worker), sampled.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import threading
import time
from pathlib import Path


def status(pid: int | str, field: str) -> int:
    """A memory field of /proc/<pid>/status, in bytes (0 if the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def children() -> list[int]:
    found: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


class ChildPeak(threading.Thread):
    """Samples the children's VmHWM twice a second (they exit before we could ask at the end)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            for pid in children():
                self.peak = max(self.peak, status(pid, "VmHWM"))


def main() -> None:
    data_dir, steps = sys.argv[1], int(sys.argv[2])
    import trailmark as tm

    rnd = random.random
    keys = [f"train/m{i}" for i in range(10)]
    before = status("self", "VmRSS")
    sampler = ChildPeak()
    sampler.start()
    started = time.perf_counter()
    run = tm.init(project="big", id="big", name="big", dir=data_dir)
    for step in range(steps):
        base = 1.0 / (1.0 + step * 1e-5)
        run.log({k: base + rnd() * 0.01 for k in keys})
    logged = time.perf_counter() - started
    report = run.finish(timeout=600)
    wall = time.perf_counter() - started
    sampler.stop.set()
    result = {
        "wall": wall,
        "log_loop": logged,
        "rss_before": before,
        "rss_peak": status("self", "VmHWM"),
        "child_peak": sampler.peak,
        "complete": report is not None and report.complete,
        "pid": os.getpid(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

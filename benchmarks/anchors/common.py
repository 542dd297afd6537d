"""Helpers for the anchor case scripts: standard library only (they run in the anchors' envs).

A case script is run as ``python <anchor>_cases.py CASE --reps N --workdir DIR [--quick]`` and
prints one line ``BENCH-JSON: {"figures": [...]}``; each figure names the table row it belongs
to, the idiom measured (``label``), the median value, every repetition and a note.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MARKER = "BENCH-JSON: "


def parse_args(cases: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=cases)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.workdir is None:
        args.workdir = Path(tempfile.mkdtemp(prefix="anchor-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def fig(
    row: str, label: str, reps: list[float], unit: str = "s", note: str = "", factor: float = 1.0
) -> dict[str, Any]:
    """A figure for ``row``: the median of ``reps`` times ``factor`` (an extrapolation)."""
    scaled = [r * factor for r in reps]
    return {
        "row": row,
        "label": label,
        "value": statistics.median(scaled),
        "unit": unit,
        "reps": scaled,
        "note": note,
    }


def emit(figures: list[dict[str, Any]]) -> None:
    print(MARKER + json.dumps({"figures": figures}), flush=True)


def noise(n: int, seed: int = 7) -> list[float]:
    """The same loss-like values the Trailmark cases log."""
    rnd = random.Random(seed)
    return [1.0 / (1.0 + i * 1e-4) + rnd.random() * 0.01 for i in range(n)]


def ten(x: float) -> dict[str, float]:
    """The same step of 10 scalars the Trailmark cases log."""
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


def import_times(module: str, reps: int) -> list[float]:
    """Wall times of ``python -c "import <module>"`` in this env (after one warm-up)."""

    def once() -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=os.environ)
        return time.perf_counter() - started

    once()
    return [once() for _ in range(reps)]


def vacuumed_size(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def wait_answering(process: subprocess.Popen[bytes], port: int, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(port, path):
            return
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        time.sleep(0.005)
    raise RuntimeError(f"the server did not answer {path} within {timeout} s")


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of ``pid`` and its descendants, and the number of processes."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, count, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    count += 1
    return total, count


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server started by a case (and its worker processes, in its group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait()

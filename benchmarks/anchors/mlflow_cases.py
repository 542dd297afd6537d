"""MLflow doing the benchmark's work with its idiomatic calls (SQLite backend, and its server).

Run inside the MLflow env: ``python mlflow_cases.py CASE --reps N --workdir DIR [--quick]``.
Slow per-call idioms are measured on fewer steps and extrapolated, and say so.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mlflow
from common import (
    emit,
    fig,
    free_port,
    import_times,
    noise,
    parse_args,
    stop,
    ten,
    tree_rss,
    vacuumed_size,
    wait_answering,
)
from mlflow import MlflowClient
from mlflow.entities import Metric

CASES = ["import", "init", "log", "local", "server"]
STEPS = 10_000
BATCH = 1000  # log_batch takes at most 1000 metrics per call
KEY = "train/loss"


class Dirs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def fresh(self, prefix: str) -> Path:
        self.count += 1
        path = self.root / f"{prefix}-{self.count}"
        path.mkdir(parents=True)
        return path


def use_sqlite(path: Path) -> str:
    uri = f"sqlite:///{path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    return uri


def case_import(reps: int) -> list[dict[str, Any]]:
    return [fig("import", "import mlflow", import_times("mlflow", reps))]


def case_init(reps: int, dirs: Dirs) -> list[dict[str, Any]]:
    fresh: list[float] = []
    existing: list[float] = []
    for _ in range(reps + 1):
        started = time.perf_counter()
        use_sqlite(dirs.fresh("init"))
        mlflow.start_run()
        fresh.append(time.perf_counter() - started)
        mlflow.end_run()
        started = time.perf_counter()
        mlflow.start_run()
        existing.append(time.perf_counter() - started)
        mlflow.end_run()
    return [
        fig("init", "start_run, new SQLite store", fresh[1:], note="creates the schema"),
        fig("init", "start_run, existing store", existing[1:]),
    ]


def _per_call(calls: int, wide: bool, synchronous: bool) -> float:
    values = noise(calls)
    started = time.perf_counter()
    if wide:
        for step, x in enumerate(values):
            mlflow.log_metrics(ten(x), step=step, synchronous=synchronous)
    else:
        for step, x in enumerate(values):
            mlflow.log_metric("loss", x, step=step, synchronous=synchronous)
    return (time.perf_counter() - started) / calls


def case_log(reps: int, dirs: Dirs, quick: bool) -> list[dict[str, Any]]:
    sync_calls = 100 if quick else 200
    async_calls = 100 if quick else 200
    out: list[dict[str, Any]] = []
    for row, wide, name in (("log_1", False, "log_metric"), ("log_10", True, "log_metrics")):
        use_sqlite(dirs.fresh("log"))
        mlflow.start_run()
        sync = [_per_call(sync_calls, wide, True) for _ in range(reps)]
        mlflow.end_run()
        mlflow.start_run()
        asynchronous = [_per_call(async_calls, wide, False) for _ in range(reps)]
        mlflow.end_run()  # waits for the queue to drain; not timed here
        out.append(fig(row, f"{name} (SQLite)", sync, note=f"{sync_calls} calls"))
        out.append(
            fig(
                row,
                f"{name}(synchronous=False)",
                asynchronous,
                note="queued: not durable on return",
            )
        )
    return out


def log_batch_10x10k(client: MlflowClient) -> tuple[float, str]:
    """start_run, 100 x log_batch of 1000 metrics (10 metrics x 10,000 steps), end_run."""
    values = noise(STEPS)
    stamp = int(time.time() * 1000)
    started = time.perf_counter()
    run = mlflow.start_run()
    batch: list[Metric] = []
    for step, x in enumerate(values):
        for key, value in ten(x).items():
            batch.append(Metric(key, value, stamp + step, step))
        if len(batch) >= BATCH:
            client.log_batch(run.info.run_id, metrics=batch)
            batch = []
    mlflow.end_run()
    return time.perf_counter() - started, run.info.run_id


def _log_metrics_steps(steps: int, synchronous: bool) -> float:
    values = noise(steps)
    started = time.perf_counter()
    mlflow.start_run()
    for step, x in enumerate(values):
        mlflow.log_metrics(ten(x), step=step, synchronous=synchronous)
    mlflow.end_run()
    return time.perf_counter() - started


def case_local(reps: int, dirs: Dirs, quick: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    batch_times: list[float] = []
    run_id, db = "", Path()
    for _ in range(max(reps - 1, 1)):
        where = dirs.fresh("local")
        use_sqlite(where)
        seconds, run_id = log_batch_10x10k(MlflowClient())
        batch_times.append(seconds)
        db = where / "mlflow.db"
    out.append(fig("local_10x10k", "log_batch x100 (SQLite)", batch_times))

    sync_steps = 100 if quick else 300
    use_sqlite(dirs.fresh("local-sync"))
    sync = [_log_metrics_steps(sync_steps, True)]
    out.append(
        fig(
            "local_10x10k",
            "log_metrics per step",
            sync,
            note=f"extrapolated from {sync_steps} steps",
            factor=STEPS / sync_steps,
        )
    )
    async_steps = 200 if quick else 500
    use_sqlite(dirs.fresh("local-async"))
    asynchronous = [_log_metrics_steps(async_steps, False)]
    out.append(
        fig(
            "local_10x10k",
            "log_metrics(synchronous=False)",
            asynchronous,
            note=f"extrapolated from {async_steps} steps",
            factor=STEPS / async_steps,
        )
    )

    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    history: list[float] = []
    for _ in range(reps + 2):
        started = time.perf_counter()
        points = client.get_metric_history(run_id, KEY)
        history.append(time.perf_counter() - started)
        assert len(points) == STEPS, len(points)
    out.append(fig("history_10k", "get_metric_history", history))

    empty = dirs.fresh("empty")
    use_sqlite(empty)
    mlflow.start_run()
    mlflow.end_run()
    base = vacuumed_size(empty / "mlflow.db")
    size = vacuumed_size(db)
    per_point = (size - base) / (STEPS * 10)
    note = f"(file - empty store) / {STEPS * 10:,} points"
    out.append(fig("bytes_per_point", "SQLite, log_batch", [per_point], unit="B", note=note))
    return out


def start_server(where: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    args = [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{where / 'mlflow.db'}",
        "--default-artifact-root",
        str(where / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log = (where / "server.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_answering(process, port, "/health", 120)
    except RuntimeError:
        stop(process)
        raise
    return process, port, time.perf_counter() - started


def case_server(reps: int, dirs: Dirs) -> list[dict[str, Any]]:
    """Start time (the main server's start and one more), memory, log_batch over HTTP."""
    process, port, first = start_server(dirs.fresh("server"))
    try:
        time.sleep(1.0)
        idle, count = tree_rss(process.pid)
        mlflow.set_tracking_uri(f"http://127.0.0.1:{port}")
        logged = [log_batch_10x10k(MlflowClient())[0]]
        loaded, _ = tree_rss(process.pid)
    finally:
        stop(process)
    starts = [first]
    for _ in range(min(reps - 1, 1)):
        process, _port, seconds = start_server(dirs.fresh("server-start"))
        starts.append(seconds)
        stop(process)
    procs = f"{count} processes (default 4 workers)"
    return [
        fig("server_start", "mlflow server (SQLite)", starts, note="to /health"),
        fig("server_10x10k", "log_batch x100 over HTTP", logged, note="one run"),
        fig("server_rss_idle", "mlflow server", [float(idle)], unit="B", note=procs),
        fig("server_rss_loaded", "mlflow server", [float(loaded)], unit="B", note=procs),
    ]


def main() -> None:
    args = parse_args(CASES)
    dirs = Dirs(args.workdir)
    reps: int = args.reps
    if args.case == "import":
        figures = case_import(reps)
    elif args.case == "init":
        figures = case_init(reps, dirs)
    elif args.case == "log":
        figures = case_log(reps, dirs, args.quick)
    elif args.case == "local":
        figures = case_local(reps, dirs, args.quick)
    else:
        figures = case_server(reps, dirs)
    emit(figures)


if __name__ == "__main__":
    main()

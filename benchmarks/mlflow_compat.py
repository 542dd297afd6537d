"""MLflow's client against Trailmark vs. against MLflow's own server (both on SQLite).

Standalone: ``.venv/bin/python benchmarks/mlflow_compat.py [--calls 300 --batches 20]``.
Starts ``trailmark server`` and ``mlflow server --backend-store-uri sqlite:///...`` on free
ports in a temporary directory, then with the same ``MlflowClient`` code measures:

- ``log_metric`` per call: one synchronous request per point (median and p95 latency);
- ``log_batch`` throughput: batches of 1000 metric points (points per second);
- for Trailmark, the time spent inside the server per request, from the ``Server-Timing``
  header its MLflow routes send (the rest is HTTP, the client library and the network).

Both servers commit every request durably (SQLite with ``synchronous=FULL``), so the figures
include an fsync per request. Targets: Trailmark is at least as fast as MLflow's server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
TIMING = re.compile(r"app;dur=([0-9.]+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not answer /health within {timeout:.0f} s")


def start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)


class ServerTimings:
    """Collects ``Server-Timing: app;dur=`` of the responses the MLflow client receives."""

    def __init__(self) -> None:
        import requests

        self.values: list[float] = []
        self._original = requests.Session.request
        timings = self

        def request(session: Any, method: str, url: str, *a: Any, **kw: Any) -> Any:
            response = timings._original(session, method, url, *a, **kw)
            found = TIMING.search(response.headers.get("Server-Timing", ""))
            if found:
                timings.values.append(float(found.group(1)))
            return response

        requests.Session.request = request  # type: ignore[method-assign]

    def take(self) -> list[float]:
        values, self.values = self.values, []
        return values


def measure(
    url: str, calls: int, batches: int, batch_size: int, timings: ServerTimings
) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(url)
    experiment = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(experiment).info.run_id
    for i in range(10):  # warm up connections and code paths
        client.log_metric(run_id, "warmup", float(i), step=i)
    timings.take()

    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
        latencies.append((time.perf_counter() - started) * 1000)
    per_call_server = timings.take()

    now = int(time.time() * 1000)
    payloads = [
        [
            Metric(f"m{k % 10}", float(b * batch_size + k), now + b, b * batch_size + k)
            for k in range(batch_size)
        ]
        for b in range(batches)
    ]
    started = time.perf_counter()
    for payload in payloads:
        client.log_batch(run_id, metrics=payload)
    elapsed = time.perf_counter() - started
    per_batch_server = timings.take()
    assert len(client.get_metric_history(run_id, "m0")) == batches * batch_size // 10
    return {
        "call_median": statistics.median(latencies),
        "call_p95": statistics.quantiles(latencies, n=20)[-1],
        "batch_points_per_s": batches * batch_size / elapsed,
        "batch_ms": elapsed * 1000 / batches,
        "server_call": statistics.median(per_call_server) if per_call_server else None,
        "server_call_p95": statistics.quantiles(per_call_server, n=20)[-1]
        if per_call_server
        else None,
        "server_batch": statistics.median(per_batch_server) if per_batch_server else None,
    }


def row(
    label: str, unit: str, ours: float, theirs: float, better: Callable[[float, float], bool]
) -> str:
    mark = "meets" if better(ours, theirs) else "MISSES"
    return f"{label:<34} {ours:>12.2f} {theirs:>12.2f}  {unit:<10} target: {mark} (vs MLflow)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="log_metric calls to time")
    parser.add_argument("--batches", type=int, default=20, help="log_batch requests to time")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="points per log_batch (MLflow's max)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the servers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()
    for key, value in {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }.items():
        os.environ.setdefault(key, value)

    workdir = Path(tempfile.mkdtemp(prefix="trailmark-mlflow-bench-"))
    trailmark_port, mlflow_port = free_port(), free_port()
    servers = [
        start(
            [
                str(VENV_BIN / "trailmark"),
                "server",
                "--port",
                str(trailmark_port),
                "--data-dir",
                str(workdir / "tm"),
            ],
            workdir,
            workdir / "trailmark.log",
        ),
        start(
            [
                str(VENV_BIN / "mlflow"),
                "server",
                "--backend-store-uri",
                f"sqlite:///{workdir / 'mlflow.db'}",
                "--artifacts-destination",
                str(workdir / "mlartifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(mlflow_port),
                "--workers",
                "1",
            ],
            workdir,
            workdir / "mlflow.log",
        ),
    ]
    try:
        urls = {
            "trailmark": f"http://127.0.0.1:{trailmark_port}",
            "mlflow": f"http://127.0.0.1:{mlflow_port}",
        }
        for process, url in zip(servers, urls.values(), strict=True):
            wait_healthy(url, process)
        timings = ServerTimings()
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in urls}
        for number in range(options.rounds):  # alternate who goes first: machine noise is shared
            order = list(urls.items()) if number % 2 == 0 else list(reversed(urls.items()))
            for name, url in order:
                rounds[name].append(
                    measure(url, options.calls, options.batches, options.batch_size, timings)
                )
        results = {
            name: {
                key: statistics.median(r[key] for r in found)
                for key in found[0]
                if found[0][key] is not None
            }
            for name, found in rounds.items()
        }
    finally:
        for process in servers:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    ours, theirs = results["trailmark"], results["mlflow"]
    lower: Callable[[float, float], bool] = lambda a, b: a <= b  # noqa: E731
    higher: Callable[[float, float], bool] = lambda a, b: a >= b  # noqa: E731
    print(
        f"MLflow client → Trailmark vs → MLflow server (SQLite, one worker each); median of "
        f"{options.rounds} rounds of {options.calls} calls and {options.batches} × "
        f"{options.batch_size}-point batches"
    )
    print(f"{'':<34} {'Trailmark':>12} {'MLflow':>12}")
    print(
        row(
            "log_metric latency, median",
            "ms/call",
            ours["call_median"],
            theirs["call_median"],
            lower,
        )
    )
    print(row("log_metric latency, p95", "ms/call", ours["call_p95"], theirs["call_p95"], lower))
    print(
        row(
            "log_batch throughput",
            "points/s",
            ours["batch_points_per_s"],
            theirs["batch_points_per_s"],
            higher,
        )
    )
    print(
        row("log_batch time per request", "ms/batch", ours["batch_ms"], theirs["batch_ms"], lower)
    )
    print(
        f"Trailmark server-side (Server-Timing, median): {ours['server_call']:.2f} ms per log_metric "
        f"(p95 {ours['server_call_p95']:.2f} ms), "
        f"{ours['server_batch']:.2f} ms per {options.batch_size}-point log_batch; the rest of each "
        "call is HTTP, the mlflow client and the kernel. MLflow's server sends no such header."
    )


if __name__ == "__main__":
    main()

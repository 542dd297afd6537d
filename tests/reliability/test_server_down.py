"""The server gone for a while, or there but never answering: training goes on at full speed,
memory stays flat (the backlog is on disk), and everything arrives once the server is back."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

import trailmark as tm
from tests.reliability.faultproxy import FaultProxy, Forward, Hang
from tests.reliability.helpers import Server, workload
from tests.support import client_env, wait_for

OUTAGE_SECONDS = 15.0  # the issue asks for 60 s; 15 s keeps the suite within its time budget
KEYS_PER_LOG = 32  # about 1.3 kB per record: the spool grows by ~20 MB during the outage
P99_LIMIT = 0.001
OUTAGE_RSS_GROWTH_KIB = 8 * 1024
PEAK_RSS_GROWTH_KIB = 64 * 1024  # a batch of at most 8 MB is read while catching up


@pytest.mark.slow
def test_server_down_while_logging_at_1khz(tmp_path: Path) -> None:
    server = Server(tmp_path / "server")
    server.start()
    stop_file = tmp_path / "stop"
    result_file = tmp_path / "result.json"
    proc = workload("paced", server.url, tmp_path / "client", KEYS_PER_LOG, stop_file, result_file)
    try:
        wait_for(
            lambda: Path(f"{stop_file}.ready").exists() or proc.poll() is not None, 60, "the client"
        )
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(1.0)  # the fault schedule: a second of normal shipping first
        down_at = time.monotonic()
        server.kill()
        time.sleep(OUTAGE_SECONDS)  # the fault schedule: the server stays down this long
        up_at = time.monotonic()
        server.start()
        time.sleep(2.0)  # the fault schedule: keep logging for a while after it is back
        stop_file.write_text("stop")
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        result = json.loads(result_file.read_text())
        with tm.Api(server.url) as api:
            run = api.run("outage/paced")
            stats = {m["key"]: m["stats"] for m in api.backend.metric_keys("outage", "paced")}
            steps = [row["_step"] for row in run.history(keys=["layer_07/grad_norm"])]
    finally:
        stop_file.write_text("stop")
        if proc.poll() is None:
            proc.kill()
        server.stop()

    assert result["p99"] < P99_LIMIT, f"log() p99 {result['p99'] * 1e6:.0f} µs"
    rss = [(t, kib) for t, kib in result["rss"]]
    at_outage = max(kib for t, kib in rss if t <= down_at)
    during = [kib for t, kib in rss if down_at <= t <= up_at]
    assert max(during) - at_outage < OUTAGE_RSS_GROWTH_KIB, (at_outage, max(during))
    assert max(kib for _, kib in rss) - rss[0][1] < PEAK_RSS_GROWTH_KIB
    assert result["spool_bytes"] > 15 * 1024 * 1024, "the backlog was on disk, not in memory"
    assert result["remaining"] == 0, result
    layers = {k: v["n"] for k, v in stats.items() if k.startswith("layer_")}
    assert set(layers.values()) == {result["logged"]}, "every point exactly once"
    assert len(layers) == KEYS_PER_LOG and steps == list(range(result["logged"]))
    print(
        f"\nlog() p50 {result['p50'] * 1e6:.1f} µs, p99 {result['p99'] * 1e6:.1f} µs, "
        f"max {result['max'] * 1e3:.1f} ms over {result['calls']} calls; RSS growth during "
        f"the outage {(max(during) - at_outage) / 1024:.1f} MB; spool {result['spool_bytes'] >> 20} MB; "
        f"finish {result['finish_seconds']:.1f} s"
    )


def test_a_server_that_never_answers_does_not_stall_training(tmp_path: Path) -> None:
    server = Server(tmp_path / "server")
    server.start()
    points = 5000
    result_file = tmp_path / "result.json"
    try:
        with FaultProxy(server.url, default=Hang()) as proxy:
            proc = workload("stall", proxy.url, tmp_path / "client", points, result_file)
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            result = json.loads(result_file.read_text())
            assert proxy.events and proxy.events[0].action == "hang"

            assert result["loop_seconds"] < 2.0 and result["worst_log"] < 0.05, result
            assert 9.0 <= result["finish_seconds"] < 12.0, result
            # Nothing shipped: every record in the spool remains (the run record, the
            # points, the finish record and whatever the run captured besides).
            assert result["remaining"] == result["spooled"] >= points + 2, result
            (message,) = [w for w in result["warnings"] if "not shipped" in w]
            assert f"{result['remaining']} records" in message
            command = re.search(r"Ship them with: (trailmark sync \S+)", message)
            assert command is not None, message
            assert command.group(1).endswith(result["spool"])

            # The server answers again: the command the warning gave ships everything.
            proxy.set_default(Forward())
            args = shlex.split(command.group(1))[1:]
            sync = subprocess.run(
                [sys.executable, "-m", "trailmark.cli.main", *args],
                capture_output=True,
                text=True,
                env=client_env(),
                timeout=60,
            )
            assert sync.returncode == 0, sync.stdout + sync.stderr
        with tm.Api(server.url) as api:
            run = api.run("stall/stalled")
            assert run.state == "finished"
            assert [r["_step"] for r in run.history(keys=["loss"])] == list(range(points))
    finally:
        server.stop()

"""End-to-end fixtures: a real ``trailmark server`` process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port

TRAILMARK = [sys.executable, "-m", "trailmark.cli.main"]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(data_dir: Path, db: str | None = None, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    log_path = data_dir / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [*TRAILMARK, "server", "--port", str(port), "--data-dir", str(data_dir)]
    if db:
        args += ["--db", db]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ServerProcess(f"http://127.0.0.1:{port}", process, data_dir, log_path)
    try:
        wait_until(lambda: healthy(server.url) or process.poll() is not None, 30, "the server")
    except AssertionError:
        server.stop()
        raise
    if process.poll() is not None:
        raise AssertionError(f"server exited: {log_path.read_text()}")
    return server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server process on SQLite in a temporary data dir."""
    proc = start_server(tmp_path / "server")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def pg_server(tmp_path: Path, postgres_url: str) -> Iterator[ServerProcess]:
    """A real server process on a fresh PostgreSQL database."""
    proc = start_server(tmp_path / "server", db=postgres_url)
    try:
        yield proc
    finally:
        proc.stop()


def client_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    env.update(extra)
    return env

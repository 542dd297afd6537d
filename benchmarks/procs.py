"""Processes the benchmarks start: Trailmark servers, PostgreSQL databases, memory readings."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_ADMIN_URL = os.environ.get(
    "TRAILMARK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without TRAILMARK_* settings, so a case goes where it says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int, path: str = "/health") -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def wait_until_answering(
    process: subprocess.Popen[bytes], port: int, timeout: float, path: str = "/health"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(port, path):
            return
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        time.sleep(0.005)
    raise RuntimeError(f"the server did not answer {path} within {timeout} s")


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss_bytes(pid: int) -> tuple[int, int]:
    """Resident memory of ``pid`` and its descendants, and how many processes that is."""
    total, count = 0, 0
    for p in descendants(pid):
        with contextlib.suppress(OSError, RuntimeError):
            total += rss_bytes(p)
            count += 1
    return total, count


def trailmark_command() -> list[str]:
    script = Path(sys.executable).parent / "trailmark"
    return [str(script)] if script.exists() else [sys.executable, "-m", "trailmark.cli.main"]


@dataclass
class Server:
    """A ``trailmark server`` process started by the bench."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    start_seconds: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        return rss_bytes(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(data_dir: Path, db: str | None = None, timeout: float = 60.0) -> Server:
    """Start ``trailmark server`` and wait for /health; ``start_seconds`` is that wait.

    The server gets a session of its own, as it has when it runs as a service, in a
    container or from another terminal (and as the MLflow anchor's server has here): the
    kernel shares the CPU fairly between sessions (autogroups) first, so a server in the
    session of 64 writer processes would get a 65th of it when they all exit at once, a
    condition no deployment has."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [*trailmark_command(), "server", "--port", str(port), "--data-dir", str(data_dir)]
    if db:
        args += ["--db", db]
    log = (data_dir / f"server-{port}.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True
    )
    log.close()
    try:
        wait_until_answering(process, port, timeout)
    except RuntimeError:
        if process.poll() is None:
            process.kill()
            process.wait()
        tail = (data_dir / f"server-{port}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"trailmark server did not start:\n{tail}") from None
    return Server(process, port, data_dir, time.perf_counter() - started)


@contextlib.contextmanager
def null_server(workdir: Path) -> Iterator[Server]:
    """A server that answers ingest requests without storing anything (see
    ``workers/null_server.py``): what a load costs the machine before any server work."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    script = Path(__file__).resolve().parent / "workers" / "null_server.py"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(script), str(port)], env=clean_env(), start_new_session=True
    )
    server = Server(process, port, workdir, 0.0)
    try:
        wait_until_answering(process, port, 60)
        server.start_seconds = time.perf_counter() - started
        yield server
    finally:
        server.stop()


class Http:
    """A keep-alive GET client, for timing REST reads as a browser or script would do them."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database (its URL), dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"tm_bench_{secrets.token_hex(5)}"
    admin_url = "postgresql+psycopg://" + PG_ADMIN_URL.split("://", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

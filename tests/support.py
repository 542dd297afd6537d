"""What many tests need: polling with a deadline, and real ``trailmark server`` processes.

No test sleeps to wait for something: it polls with :func:`wait_for`. A server process is a
:class:`ServerProcess` on a port from :mod:`tests.ports`; :func:`start_server` starts one and
returns once it answers ``/health``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tests.ports import free_port

TRAILMARK = [sys.executable, "-m", "trailmark.cli.main"]

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float, message: str, *, interval: float = 0.05
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    Fails with ``timed out after <timeout>s waiting for <message>`` past the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def healthy(url: str) -> bool:
    """Whether the server at ``url`` answers ``/health`` with 200."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def client_env(**extra: str) -> dict[str, str]:
    """This process's environment without ``TRAILMARK_*`` (a developer's settings must not
    leak into a test's server or client), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    env.update(extra)
    return env


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds the listening socket of TCP ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    return False


@dataclass
class ServerProcess:
    """A ``trailmark server`` process; :meth:`start` may be called again after :meth:`kill`."""

    data_dir: Path
    db: str | None = None
    port: int = field(default_factory=free_port)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    """Instead of ``trailmark server ...``; ``{port}`` and ``{data_dir}`` are filled in."""
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"server-{self.port}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> float:
        """Start the server; return the seconds until ``/health`` answered."""
        started = time.monotonic()
        self.spawn()
        try:
            self.wait_healthy(timeout)
        except AssertionError:
            self.stop()
            raise
        return time.monotonic() - started

    def spawn(self) -> None:
        """Start the process without waiting for it to answer."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [*TRAILMARK, "server", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.db:
            command += ["--db", self.db]
        if self.command:
            values = {"port": str(self.port), "data_dir": str(self.data_dir)}
            command = [part.format(**values) for part in self.command]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=client_env(**self.env),
            )

    def wait_healthy(self, timeout: float = 30) -> None:
        """Wait for ``/health``, answered by this process (not another that took the port)."""
        process = self.process
        assert process is not None

        def ready() -> bool:
            return process.poll() is not None or (
                listens(process.pid, self.port) and healthy(self.url)
            )

        wait_for(ready, timeout, f"the server's /health ({self.log_path})")
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {self.log_path.read_text()[-3000:]}")
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; open transactions die with it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM, and SIGKILL after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    data_dir: Path,
    db: str | None = None,
    port: int | None = None,
    *,
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """``trailmark server`` on ``port`` (a free one by default), answering ``/health``."""
    server = ServerProcess(
        data_dir, db=db, port=port or free_port(), args=args or [], env=env or {}
    )
    server.start()
    return server


__all__ = [
    "TRAILMARK",
    "ServerProcess",
    "client_env",
    "free_port",
    "healthy",
    "listens",
    "start_server",
    "wait_for",
]

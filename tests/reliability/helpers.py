"""Tools for the reliability suite: a server process that can be killed and restarted on the
same port, database integrity checks, resident memory, raw HTTP and small filesystems."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.conftest import client_env, free_port, healthy, wait_until

TRAILMARK = [sys.executable, "-m", "trailmark.cli.main"]
WORKLOADS = Path(__file__).with_name("workloads.py")


def workload(command: str, *args: object) -> subprocess.Popen[str]:
    """Start a training process from ``workloads.py``."""
    return subprocess.Popen(
        [sys.executable, str(WORKLOADS), command, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=client_env(),
    )


@dataclass
class Server:
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
        self.wait_healthy(timeout)
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

        wait_until(ready, timeout, "/health")
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {self.log_path.read_text()[-3000:]}")
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; open transactions die with it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


# Integrity: the database's own check, plus the store's invariant that a series' point
# count equals the points in its chunks (a torn batch would break it).

SERIES_POINTS_MISMATCH = """
SELECT s.id, s.key FROM series s
LEFT JOIN (SELECT series_id, SUM(npoints) AS n FROM chunks GROUP BY series_id) c
       ON c.series_id = s.id
WHERE COALESCE(c.n, 0) <> CAST({n} AS INTEGER)
"""

ORPHANS = {
    "chunks without series": "SELECT COUNT(*) FROM chunks WHERE series_id NOT IN (SELECT id FROM series)",
    "series without run": "SELECT COUNT(*) FROM series WHERE run_id NOT IN (SELECT id FROM runs)",
    "writers without run": "SELECT COUNT(*) FROM writers WHERE run_id NOT IN (SELECT id FROM runs)",
    "runs without project": "SELECT COUNT(*) FROM runs WHERE project_id NOT IN (SELECT id FROM projects)",
}


def sqlite_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` and the store's invariants find wrong (nothing: [])."""
    conn = sqlite3.connect(path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
        n = "json_extract(s.stats, '$.n')"
        problems += [
            f"series {row} disagrees with its chunks"
            for row in conn.execute(SERIES_POINTS_MISMATCH.format(n=n))
        ]
        for what, query in ORPHANS.items():
            count = conn.execute(query).fetchone()[0]
            if count:
                problems.append(f"{count} {what}")
        return problems
    finally:
        conn.close()


def postgres_problems(url: str) -> list[str]:
    """PostgreSQL's consistency checks: every B-tree index verified against its table
    (amcheck's ``bt_index_parent_check`` with ``heapallindexed``), plus the store's invariants."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            try:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                has_amcheck = True
            except Exception:  # not installed on this server: the invariants below still run
                has_amcheck = False
            indexes = conn.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am a ON a.oid = c.relam "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE a.amname = 'btree' AND n.nspname = 'public'"
                )
            ).scalars()
            for index in list(indexes) if has_amcheck else []:
                try:
                    conn.execute(
                        text("SELECT bt_index_parent_check(CAST(:i AS regclass), true)"),
                        {"i": index},
                    )
                except Exception as exc:
                    problems.append(f"index {index}: {exc}")
            n = "(s.stats->>'n')"
            problems += [
                f"series {tuple(row)} disagrees with its chunks"
                for row in conn.execute(text(SERIES_POINTS_MISMATCH.format(n=n)))
            ]
            for what, query in ORPHANS.items():
                count = conn.execute(text(query)).scalar_one()
                if count:
                    problems.append(f"{count} {what}")
    finally:
        engine.dispose()
    return problems


@dataclass(frozen=True)
class RawResponse:
    status: int
    """0 when the server closed the connection without answering."""
    headers: dict[str, str]
    body: bytes


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send raw bytes (a request that a client library would normalise) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/"):
        return RawResponse(0, {}, answer)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split(" ", 2)[1]), headers, body)


def can_mount() -> bool:
    return os.geteuid() == 0 and sys.platform.startswith("linux")


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` at ``path``; yields False (nothing mounted) where not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = False
    if can_mount():
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
            capture_output=True,
        )
        mounted = result.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def fill_disk(directory: Path, leave_bytes: int) -> Path:
    """Write a ballast file that leaves about ``leave_bytes`` free on the filesystem."""
    ballast = directory / "ballast"
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    size = max(0, free - leave_bytes)
    with contextlib.suppress(OSError), ballast.open("wb") as f:  # full already: fine
        block = b"\0" * 65536
        written = 0
        while written < size:
            written += f.write(block[: min(len(block), size - written)])
            f.flush()
    return ballast


__all__ = [
    "Server",
    "can_mount",
    "client_env",
    "fill_disk",
    "free_port",
    "healthy",
    "postgres_problems",
    "raw_request",
    "rss_kib",
    "small_tmpfs",
    "sqlite_problems",
    "wait_until",
    "workload",
]

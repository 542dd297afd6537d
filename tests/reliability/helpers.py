"""Tools for the reliability suite: training workloads, database integrity checks, resident
memory, raw HTTP and small filesystems. Server processes (killed and restarted on the same
port) are :class:`tests.support.ServerProcess`, named ``Server`` here."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support import ServerProcess as Server
from tests.support import client_env

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
    "fill_disk",
    "postgres_problems",
    "raw_request",
    "rss_kib",
    "small_tmpfs",
    "sqlite_problems",
    "workload",
]

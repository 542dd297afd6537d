"""A full disk under the server (a clean 507, nothing half-written, service back once space
is) and under the client (training goes on; one warning names what is being dropped).

The disk is a real 2 MB (server) or 8 MB (client) tmpfs where mounting is permitted (root on
Linux); elsewhere the server's SQLite page limit, or ENOSPC from the spool's ``os.write``,
stands in for it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import trailmark as tm
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.helpers import Server, fill_disk, small_tmpfs, sqlite_problems
from tests.support import wait_for

SERVERS = Path(__file__).with_name("servers.py")
NO_LIMIT = 1_073_741_823
QUIET_RUN = {
    "TRAILMARK_SYSTEM_INTERVAL": "0",
    "TRAILMARK_CONSOLE": "off",
    "TRAILMARK_CAPTURE_CODE": "false",
    "TRAILMARK_CAPTURE_ENV": "false",
}


@dataclass
class SmallDisk:
    server: Server
    fill: Callable[[], None]
    free: Callable[[], None]
    kind: str


@contextlib.contextmanager
def server_on_a_small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    directory = tmp_path / "disk"
    with small_tmpfs(directory, "2m") as mounted:
        ballast: list[Path] = []
        if mounted:
            server = Server(directory)

            def fill() -> None:
                ballast.append(fill_disk(directory, leave_bytes=64 * 1024))

            def free() -> None:
                ballast.pop().unlink()

        else:
            server = Server(
                directory,
                command=[sys.executable, str(SERVERS), "page-limited", "{data_dir}", "{port}"],
            )

            def fill() -> None:
                with contextlib.closing(sqlite3.connect(directory / "trailmark.db")) as conn:
                    pages = conn.execute("PRAGMA page_count").fetchone()[0]
                (directory / "max_pages").write_text(str(pages + 4))

            def free() -> None:
                (directory / "max_pages").write_text(str(NO_LIMIT))

        server.start()
        try:
            yield SmallDisk(server, fill, free, "tmpfs 2 MB" if mounted else "SQLite page limit")
        finally:
            server.stop()


def batch(writer: str, first_q: int, count: int, keys: int = 20) -> dict[str, Any]:
    records = [
        {
            "t": "m",
            "q": first_q + i,
            "s": i,
            "w": 1_767_225_600.0 + i,
            "d": {f"k{j}": (i * 7919 + j * 104_729) % 1_000_003 / 7.0 for j in range(keys)},
        }
        for i in range(count)
    ]
    return {"envelope": {"run": "r1", "project": "disk", "writer": writer}, "records": records}


def metric_counts(api: httpx.Client) -> dict[str, int]:
    metrics = api.get("/api/v1/projects/disk/runs/r1/metrics").json()["metrics"]
    return {m["key"]: m["stats"]["n"] for m in metrics}


def test_a_full_disk_under_the_server(tmp_path: Path) -> None:
    with (
        server_on_a_small_disk(tmp_path) as disk,
        httpx.Client(base_url=disk.server.url, timeout=60) as api,
    ):
        assert api.post("/api/v1/ingest", json=batch("w1", 1, 1, keys=1)).status_code == 200
        disk.fill()
        big = batch("w1", 2, 3000)
        refused = api.post("/api/v1/ingest", json=big)
        assert refused.status_code == 507, refused.text
        assert refused.json() == {
            "error": {
                "code": "storage_full",
                "message": "the database's disk is full; nothing of this request was written. "
                "Free space on the server and retry.",
            }
        }
        assert metric_counts(api) == {"k0": 1}, "no partial batch"
        assert api.get("/health").status_code == 200, "reads go on"
        assert sqlite_problems(disk.server.data_dir / "trailmark.db") == []

        # The SDK's sender meets the same 507 and keeps its records until there is space.
        with FaultProxy(disk.server.url) as proxy:
            run = tm.init(project="disk", id="sdk", url=proxy.url, dir=tmp_path / "client")
            for step in range(2000):
                run.log({f"k{j}": step * 0.37 + j for j in range(20)}, step=step)
            wait_for(lambda: any(e.status == 507 for e in proxy.events), 30, "a 507")
            disk.free()
            report = run.finish(timeout=60)
        assert report is not None and report.complete, report

        accepted = api.post("/api/v1/ingest", json=big)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"accepted": 3000, "duplicates": 0, "last_seq": 3001}
        counts = metric_counts(api)
        assert counts["k0"] == 3001 and counts["k19"] == 3000
        rows = api.get("/api/v1/projects/disk/runs/sdk/history", params={"keys": "k7"}).json()
        assert [r["_step"] for r in rows["rows"]] == list(range(2000))
        disk.server.stop()
        assert sqlite_problems(disk.server.data_dir / "trailmark.db") == []
    print(f"\nfull disk under the server simulated by: {disk.kind}")


@contextlib.contextmanager
def client_on_a_small_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Callable[[], None], Callable[[], None]]]:
    directory = tmp_path / "client"
    with small_tmpfs(directory, "8m") as mounted:
        if mounted:
            ballast: list[Path] = []
            yield (
                directory,
                lambda: ballast.append(fill_disk(directory, leave_bytes=0)),
                lambda: ballast.pop().unlink(),
            )
            return
        full = False
        real_write = os.write

        def write(fd: int, data: Any) -> int:
            if full and os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory)):
                raise OSError(errno.ENOSPC, "No space left on device (simulated)")
            return real_write(fd, data)

        def set_full(value: bool) -> None:
            nonlocal full
            full = value

        monkeypatch.setattr(os, "write", write)
        yield directory, lambda: set_full(True), lambda: set_full(False)


def test_a_full_disk_under_the_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only what this test logs goes to the spool: no captured code, environment, console
    # or system metrics (their size depends on the machine and the working tree).
    for name, value in QUIET_RUN.items():
        monkeypatch.setenv(name, value)
    server = Server(tmp_path / "server")
    server.start()
    keys = [f"layer_{i}/weight_norm" for i in range(10)]
    try:
        with (
            client_on_a_small_disk(tmp_path, monkeypatch) as (directory, fill, free),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            run = tm.init(project="disk", id="client", url=server.url, dir=directory)
            step = 0
            for phase in ("room", "full", "room again"):
                if phase == "full":
                    fill()
                elif phase == "room again":
                    free()
                started = time.monotonic()
                for _ in range(2000):
                    run.log(dict.fromkeys(keys, float(step)), step=step)
                    step += 1
                assert time.monotonic() - started < 2.0, f"log() slowed down ({phase})"
            during = [str(w.message) for w in caught]
            report = run.finish(timeout=60)
            at_finish = [str(w.message) for w in caught][len(during) :]
        assert report is not None and report.complete, report
        with tm.Api(server.url) as api:
            stored = [r["_step"] for r in api.run("disk/client").history(keys=[keys[0]])]
            assert api.run("disk/client").state == "finished"
    finally:
        server.stop()
    dropped = sorted(set(range(step)) - set(stored))
    assert dropped and len(stored) == len(set(stored)), "stored once each"
    assert dropped[0] >= 2000 and dropped[-1] < 4000, "only records logged while full are lost"
    assert set(range(4000, 6000)) <= set(stored), "recording resumed once space was back"
    full_disk = [m for m in during if "is full" in m]
    assert len(full_disk) == 1, during
    assert f"metrics from step {dropped[0]} on" in full_disk[0], full_disk[0]
    assert not [m for m in during + at_finish if "sender stopped" in m], "the sender lives on"
    (summary,) = [m for m in at_finish if "were dropped" in m]
    counted = re.fullmatch(
        rf"trailmark: (\d+) records of run client were dropped because the disk "
        rf"holding {re.escape(str(run.spool_path))} was full",
        summary,
    )
    assert counted is not None, summary
    # Every dropped step, plus any other record the run wrote while the disk was full.
    assert len(dropped) <= int(counted.group(1)) <= len(dropped) + 10, summary

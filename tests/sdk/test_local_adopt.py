"""finish() of a local run hands its spool to the ingest service instead of waiting for it.

The service here is held back before its heavy imports (a release file lets it go on), so
each test knows the service has stored nothing when ``finish()`` returns: no timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import trailmark as tm
from trailmark.sdk.local_ingest import service as ingest_service
from trailmark.sdk.sync import sync_spool
from trailmark.settings import ClientSettings

HELD_SERVICE = """
import sys, time
from pathlib import Path
from trailmark.sdk.local_ingest import service

release = Path(sys.argv[2])
loading = service._load_the_store

def held():
    while not release.exists():
        time.sleep(0.01)
    loading()

service._load_the_store = held
service.main([sys.argv[1], "--foreground"])
"""


def settings(data_dir: Path, runtime: Path) -> ClientSettings:
    return ClientSettings(
        data_dir=data_dir,
        runtime_dir=runtime,
        system_interval=0,
        console="off",
        capture_code=False,
        capture_env=False,
    )


class Held:
    def __init__(self, process: subprocess.Popen[bytes], release: Path) -> None:
        self.process = process
        self.release = release

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Held]:
    """An ingest service in ``tmp_path / "runtime"`` that loads the store once released."""
    runtime = tmp_path / "runtime"
    assert ingest_service.private_dir(runtime)
    path = ingest_service.socket_path(runtime)
    release = tmp_path / "release"
    process = subprocess.Popen([sys.executable, "-c", HELD_SERVICE, str(path), str(release)])
    sock = ingest_service.connect(path, wait=60)
    assert sock is not None
    sock.close()
    yield Held(process, release)
    process.kill()
    process.wait()


def finished_run(tmp_path: Path, steps: int = 200) -> tm.Run:
    """A run of ``steps`` points, finished while the held service has loaded nothing."""
    run = tm.init(project="adopt", settings=settings(tmp_path / "data", tmp_path / "runtime"))
    for i in range(steps):
        run.log({"loss": float(i)})
    report = run.finish(timeout=20)
    assert report is not None and report.complete and report.handed_off, report
    assert run.spool_path.exists()  # nothing stored yet: the service is still held
    return run


def points(tmp_path: Path, run: tm.Run) -> list[float]:
    cfg = settings(tmp_path / "data", tmp_path / "runtime")
    with tm.Api(dir=tmp_path / "data", settings=cfg) as api:
        stored = api.run(f"adopt/{run.id}")
        assert stored.data["state"] == "finished"
        return [row["loss"] for row in stored.history(keys=["loss"])]


def test_finish_returns_before_the_service_loads_and_api_waits_for_the_data(
    tmp_path: Path, held: Held
) -> None:
    run = finished_run(tmp_path)
    held.release.touch()
    assert points(tmp_path, run) == [float(i) for i in range(200)]
    assert not run.spool_path.exists()  # stored, so the service removed it


def test_a_reader_in_another_process_waits_for_the_service(tmp_path: Path, held: Held) -> None:
    script = (
        "import sys, trailmark as tm\n"
        "run = tm.init(project='adopt', id='other', dir=sys.argv[1])\n"
        "for i in range(300): run.log({'loss': float(i)})\n"
        "report = run.finish(timeout=20)\n"
        "assert report.complete and report.handed_off, report\n"
    )
    env = {
        **os.environ,
        "TRAILMARK_RUNTIME_DIR": str(tmp_path / "runtime"),
        "TRAILMARK_SYSTEM_INTERVAL": "0",
        "TRAILMARK_CONSOLE": "off",
    }
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "data")], env=env, check=True)
    held.release.touch()
    cfg = settings(tmp_path / "data", tmp_path / "runtime")
    with tm.Api(dir=tmp_path / "data", settings=cfg) as api:
        rows = api.run("adopt/other").history(keys=["loss"])
    assert [row["loss"] for row in rows] == [float(i) for i in range(300)]


def test_a_spool_the_killed_service_never_stored_is_shipped_by_sync(
    tmp_path: Path, held: Held
) -> None:
    run = finished_run(tmp_path)
    held.kill()
    result = sync_spool(run.spool_path)
    assert (result.shipped, result.remaining, result.marked_crashed) == (202, 0, False)
    assert points(tmp_path, run) == [float(i) for i in range(200)]


def test_a_spool_the_killed_service_never_stored_is_shipped_by_the_reader(
    tmp_path: Path, held: Held
) -> None:
    run = finished_run(tmp_path)
    held.kill()
    # The process that handed the spool off ships it itself before it reads.
    assert points(tmp_path, run) == [float(i) for i in range(200)]
    assert not run.spool_path.exists()

"""The shared local ingest service: reused by later runs, replaceable, never required."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import trailmark as tm
from trailmark.sdk.local_ingest import service as ingest_service
from trailmark.settings import ClientSettings


def service_pids(runtime: Path) -> list[int]:
    """Live ingest services whose socket is in ``runtime``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        ours = any(str(runtime).encode() in part for part in cmdline)
        if b"trailmark.sdk.local_ingest.service" in cmdline and state != "Z" and ours:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "runtime"
    yield directory
    for pid in service_pids(directory):
        os.kill(pid, signal.SIGKILL)


def settings(data_dir: Path, runtime: Path, service: bool = True) -> ClientSettings:
    return ClientSettings(
        data_dir=data_dir,
        ingest_service=service,
        runtime_dir=runtime,
        system_interval=0,
        console="off",
        capture_code=False,
        capture_env=False,
    )


def one_run(data_dir: Path, runtime: Path, steps: int = 50, service: bool = True) -> tm.Run:
    run = tm.init(project="svc", settings=settings(data_dir, runtime, service))
    for i in range(steps):
        run.log({"loss": float(i)})
    report = run.finish(timeout=60)
    assert report is not None and report.complete, report
    return run


def points(data_dir: Path, run: tm.Run) -> list[float]:
    with tm.Api(dir=data_dir) as api:
        return [row["loss"] for row in api.run(f"svc/{run.id}").history(keys=["loss"])]


def via_service(run: tm.Run) -> bool:
    return bool(run._sender.transport.via_service)  # type: ignore[union-attr]


def test_later_runs_in_other_dirs_share_one_warm_service(tmp_path: Path, runtime: Path) -> None:
    first = one_run(tmp_path / "a", runtime)
    assert via_service(first)
    (pid,) = service_pids(runtime)
    second = one_run(tmp_path / "b", runtime, steps=70)
    assert via_service(second)
    assert service_pids(runtime) == [pid]
    assert points(tmp_path / "a", first) == [float(i) for i in range(50)]
    assert points(tmp_path / "b", second) == [float(i) for i in range(70)]
    assert os.stat(runtime).st_mode & 0o777 == 0o700


def test_a_killed_service_is_replaced_and_nothing_is_lost(tmp_path: Path, runtime: Path) -> None:
    one_run(tmp_path / "a", runtime)
    (pid,) = service_pids(runtime)
    run = tm.init(project="svc", settings=settings(tmp_path / "b", runtime))
    for i in range(200):
        run.log({"loss": float(i)})
        if i == 100:
            os.kill(pid, signal.SIGKILL)
    report = run.finish(timeout=60)
    assert report is not None and report.complete
    assert points(tmp_path / "b", run) == [float(i) for i in range(200)]


def test_switched_off_each_run_has_its_own_worker(tmp_path: Path, runtime: Path) -> None:
    run = one_run(tmp_path / "a", runtime, service=False)
    assert not via_service(run)
    assert service_pids(runtime) == []
    assert points(tmp_path / "a", run) == [float(i) for i in range(50)]


def test_a_runtime_dir_others_can_enter_is_not_used(tmp_path: Path, runtime: Path) -> None:
    runtime.mkdir(mode=0o755)
    os.chmod(runtime, 0o755)
    run = one_run(tmp_path / "a", runtime)
    assert not via_service(run)
    assert points(tmp_path / "a", run) == [float(i) for i in range(50)]


def test_a_stale_socket_file_is_replaced(tmp_path: Path, runtime: Path) -> None:
    assert ingest_service.private_dir(runtime)
    path = ingest_service.socket_path(runtime)
    path.write_text("not a socket")
    run = one_run(tmp_path / "a", runtime)
    assert via_service(run)
    assert points(tmp_path / "a", run) == [float(i) for i in range(50)]


def test_runs_starting_together_start_one_service(tmp_path: Path, runtime: Path) -> None:
    script = (
        "import sys, trailmark as tm\n"
        "run = tm.init(project='svc', dir=sys.argv[1])\n"
        "run.log({'loss': 1.0})\n"
        "assert run.finish(timeout=60).complete\n"
    )
    env = {
        **os.environ,
        "TRAILMARK_RUNTIME_DIR": str(runtime),
        "TRAILMARK_SYSTEM_INTERVAL": "0",
        "TRAILMARK_CONSOLE": "off",
    }
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / f"d{i}")], env=env)
        for i in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(service_pids(runtime)) == 1


def test_an_idle_service_exits_and_removes_its_socket(tmp_path: Path, runtime: Path) -> None:
    assert ingest_service.private_dir(runtime)
    path = ingest_service.socket_path(runtime)
    command = [sys.executable, "-m", "trailmark.sdk.local_ingest.service", str(path)]
    service = subprocess.Popen([*command, "--idle", "0.5", "--foreground"])
    sock = ingest_service.connect(path, wait=10)
    assert sock is not None
    sock.close()
    assert service.wait(timeout=30) == 0
    assert not path.exists()


def test_a_second_service_on_a_live_socket_steps_aside(tmp_path: Path, runtime: Path) -> None:
    assert ingest_service.private_dir(runtime)
    path = ingest_service.socket_path(runtime)
    command = [
        sys.executable,
        "-m",
        "trailmark.sdk.local_ingest.service",
        str(path),
        "--foreground",
    ]
    first = subprocess.Popen(command)
    try:
        assert ingest_service.connect(path, wait=10) is not None
        started = time.monotonic()
        assert subprocess.run(command, timeout=60).returncode == 0
        assert time.monotonic() - started < 30
        assert first.poll() is None
    finally:
        first.kill()
        first.wait()


def test_the_code_stamp_covers_every_module_found_on_disk(tmp_path: Path) -> None:
    (tmp_path / "store" / "kinds").mkdir(parents=True)
    (tmp_path / "__pycache__").mkdir()
    for name in ("a.py", "store/b.py", "store/kinds/c.py", "__pycache__/a.cpython-311.pyc"):
        (tmp_path / name).write_text("x = 1\n")
    found = ingest_service._modules(tmp_path)
    assert [line.rsplit(":", 2)[0] for line in found] == sorted(
        str(tmp_path / name) for name in ("a.py", "store/b.py", "store/kinds/c.py")
    )
    (tmp_path / "store" / "kinds" / "c.py").write_text("x = 22\n")  # a new size
    assert ingest_service._modules(tmp_path) != found
    # The real stamp walks the installed package, this one included.
    package = Path(ingest_service.__file__).resolve().parents[2]
    assert any("local_ingest/transport.py" in line for line in ingest_service._modules(package))


def test_init_does_not_wait_for_the_service(
    tmp_path: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A service that takes as long as we like to start: init must return meanwhile.
    release, starting = threading.Event(), threading.Event()
    real_start = ingest_service.start

    def slow_start(path: Path, idle: float = ingest_service.IDLE_SECONDS) -> Any:
        starting.set()
        assert release.wait(10)  # init returned first, or this fails and the run falls back
        return real_start(path, idle)

    monkeypatch.setattr(ingest_service, "start", slow_start)
    run = tm.init(project="svc", settings=settings(tmp_path / "a", runtime))
    run.log({"loss": 1.0})
    assert starting.wait(60)  # the sender is starting the service, in the background
    release.set()
    report = run.finish(timeout=60)
    assert report is not None and report.complete
    assert via_service(run)

"""A client whose spool lives on a 2 MB disk, with the server healthy: every point arrives, the
run ends ``finished``, and the spool takes a few blocks once the sender has caught up
(shipped records are reclaimed), however many points were logged. A training process
SIGKILLed after its spool was trimmed leaves the rest to ``trailmark sync``, which ships the
rest only. A finish record meeting a disk full of something else takes the room kept for it.

The disk is a real tmpfs; where mounting is not permitted (not root, not Linux) those tests
are skipped: the trimming itself is tested anywhere in ``tests/sdk/test_spool_trim.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import orjson
import pytest

import trailmark as tm
from tests.reliability.helpers import Server, fill_disk, small_tmpfs
from tests.support import client_env, wait_for
from trailmark.sdk import spool

POINTS = 100_000  # ~85 bytes a record: 8.5 MB through a 2 MB disk
QUIET_RUN = {
    "TRAILMARK_SYSTEM_INTERVAL": "0",
    "TRAILMARK_CONSOLE": "off",
    "TRAILMARK_CAPTURE_CODE": "false",
    "TRAILMARK_CAPTURE_ENV": "false",
}
CAUGHT_UP_BYTES = 64 * 1024
"""What a spool whose records are all shipped may still hold: its header's block and the
block of its last record (kept whole so that `trailmark sync` can read it)."""


def _allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512


def _settled(path: Path) -> int:
    """The spool's allocated bytes once they are within bounds (or after 10 s)."""
    with contextlib.suppress(AssertionError):
        wait_for(lambda: _allocated(path) <= CAUGHT_UP_BYTES, 10, "the blocks given back")
    return _allocated(path)


@pytest.mark.slow
def test_a_2mb_spool_disk_loses_nothing_while_the_server_is_healthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in QUIET_RUN.items():
        monkeypatch.setenv(name, value)
    server = Server(tmp_path / "server")
    server.start()
    directory = tmp_path / "client"
    try:
        with (
            small_tmpfs(directory, "2m") as mounted,
            warnings.catch_warnings(record=True) as caught,
        ):
            if not mounted:
                pytest.skip("needs a 2 MB tmpfs (root on Linux)")
            warnings.simplefilter("always")
            run = tm.init(project="small", id="spool", url=server.url, dir=directory)
            path = Path(run.spool_path)
            caught_up: list[int] = []
            for burst in range(2):  # as fast as log() goes: far faster than a 2 MB disk drains
                for step in range(burst * POINTS // 2, (burst + 1) * POINTS // 2):
                    run.log({"loss": 1.0 / (step + 1)}, step=step)
                wait_for(
                    lambda: spool.read_ack(path) == path.stat().st_size,
                    60,
                    "the sender to catch up",
                )
                # The blocks go back right after the ack is written: wait for that too.
                caught_up.append(_settled(path))
            report = run.finish(timeout=120)
        messages = [str(w.message) for w in caught]
        with tm.Api(server.url) as api:
            stored = api.run("small/spool")
            steps = [row["_step"] for row in stored.history(keys=["loss"])]
            state = stored.state
    finally:
        server.stop()
    assert steps == list(range(POINTS)), f"{POINTS - len(set(steps))} points missing: {messages}"
    assert state == "finished"
    assert report is not None and report.complete, report
    assert not [m for m in messages if "trailmark" in m], messages
    assert all(size <= CAUGHT_UP_BYTES for size in caught_up), caught_up
    assert not path.exists(), "a shipped spool is removed"


KILLED_WRITER = """
import sys, time
import trailmark as tm
from trailmark.sdk import spool

run = tm.init(project="kill", id="trimmed", url=sys.argv[1], dir=sys.argv[2])
path = run.spool_path
for step in range(5_000):
    run.log({"loss": step / 7}, step=step)
while spool.read_ack(path) != path.stat().st_size:  # all shipped, so trimmed
    time.sleep(0.01)
print(path, flush=True)
sys.stdin.readline()  # the server is down now
for step in range(5_000, 8_000):
    run.log({"loss": step / 7}, step=step)
print("logged", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_writer_killed_after_its_spool_was_trimmed_leaves_the_rest_to_sync(
    tmp_path: Path,
) -> None:
    server = Server(tmp_path / "server")
    server.start()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, server.url, str(tmp_path / "client")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=client_env(**QUIET_RUN),
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        path = Path(child.stdout.readline().strip())
        assert path.name.endswith(".spool"), child.communicate(timeout=30)
        assert _settled(path) <= CAUGHT_UP_BYTES < path.stat().st_size, "trimmed"
        server.kill()
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "logged"
        child.kill()  # SIGKILL: no finish, no flush
        child.wait()
        server.start()
        left = spool.count_lines_after(path, spool.read_ack(path))
        assert 3_000 <= left < 8_000
        synced = subprocess.run(
            [sys.executable, "-m", "trailmark.cli.main", "sync", str(path)],
            capture_output=True,
            text=True,
            env=client_env(),
            timeout=120,
        )
        assert synced.returncode == 0, synced.stderr
        shipped = re.search(r"shipped (\d+) records", synced.stdout)
        assert shipped is not None, synced.stdout
        assert int(shipped.group(1)) == left + 1, "the rest and a crashed finish, nothing more"
        with tm.Api(server.url) as api:
            stored = api.run("kill/trimmed")
            steps = [row["_step"] for row in stored.history(keys=["loss"])]
            state = stored.state
    finally:
        if child.poll() is None:
            child.kill()
        server.stop()
    assert steps == list(range(8_000))
    assert state == "crashed"
    assert not path.exists()


def test_the_finish_record_takes_the_room_kept_for_it_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in QUIET_RUN.items():
        monkeypatch.setenv(name, value)
    directory = tmp_path / "client"
    with small_tmpfs(directory, "1m") as mounted, warnings.catch_warnings(record=True) as caught:
        if not mounted:
            pytest.skip("needs a 1 MB tmpfs (root on Linux)")
        warnings.simplefilter("always")
        kept = tm.init(project="full", id="kept", mode="offline", dir=directory)
        lost = tm.init(project="full", id="lost", mode="offline", dir=directory)
        # No room kept for this one's finish record, as if the disk was full at init.
        Path(lost.spool_path).with_suffix(".reserve").unlink(missing_ok=True)
        for run in (kept, lost):
            (directory / run.id).mkdir()
            fill_disk(directory / run.id, leave_bytes=0)
            for step in range(100):  # past the spool's last block: dropped, the disk is full
                run.log({"loss": 1.0}, step=step)
            run.finish(exit_code=1, error="Traceback ...\nRuntimeError: the GPU melted")
        last = Path(kept.spool_path).read_bytes().splitlines()[-1]
        assert Path(lost.spool_path).exists(), "kept for `trailmark sync`"
    messages = [str(w.message) for w in caught]
    record = orjson.loads(last)
    assert (record["t"], record["state"]) == ("fin", "failed")
    assert "the GPU melted" in record["error"]
    (ended,) = [m for m in messages if "could not be recorded" in m]
    assert (
        f"the end of run lost (failed) could not be recorded: the disk holding {lost.spool_path} is full"
        in ended
    )
    assert f"trailmark sync {lost.spool_path}" in ended

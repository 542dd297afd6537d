"""One NUL character (U+0000) loses nothing (issue 16 item 3).

An SDK run whose config holds a NUL is stored in full and finishes, on SQLite and on
PostgreSQL (which cannot hold NUL in text or jsonb); a record the server can never store is
set aside in ``<spool>.rejected`` with the reason, and the records after it are stored; and
``trailmark sync`` exits non-zero while records are left, saying how many and where.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import orjson
import pytest

import trailmark as tm
from tests.reliability.helpers import Server
from tests.support import client_env

NUL = "a\x00b"
STEPS = 200


def _sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trailmark.cli.main", "sync", *args],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=120,
    )


def test_a_run_whose_config_holds_a_nul_is_stored_in_full(
    killable_server: Server, tmp_path: Path
) -> None:
    killable_server.start()
    config = {"prompt": NUL, "nested": {"stop": "\x00"}, "lr": 0.1}
    run = tm.init(
        project="nul", id="cfg", url=killable_server.url, dir=tmp_path / "client", config=config
    )
    for step in range(STEPS):
        run.log({"loss": 1.0 / (step + 1)}, step=step)
    run.summary["best_text"] = NUL
    run.set_notes(f"notes with {NUL}")
    report = run.finish(timeout=60)

    assert report is not None and report.complete and report.rejected == 0, report
    with tm.Api(killable_server.url) as api:
        stored = api.run("nul/cfg")
        assert stored.state == "finished"
        assert stored.config == config
        assert stored.summary["best_text"] == NUL
        assert stored.data["notes"] == f"notes with {NUL}"
        assert [row["_step"] for row in stored.history(keys=["loss"])] == list(range(STEPS))


def test_a_record_that_can_never_be_stored_is_set_aside_and_later_records_are_stored(
    killable_server: Server, tmp_path: Path
) -> None:
    killable_server.start()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = tm.init(project="nul", id="tag", url=killable_server.url, dir=tmp_path / "client")
        for step in range(STEPS):
            run.log({"loss": float(step)}, step=step)
        run.set_tags([NUL])  # a tag is a name: refused for good on both databases
        for step in range(STEPS, 2 * STEPS):
            run.log({"loss": float(step)}, step=step)
        report = run.finish(timeout=60)

    assert report is not None and report.complete and report.rejected == 1, report
    rejected_file = Path(run.spool_path).with_suffix(".rejected")
    (entry,) = [orjson.loads(line) for line in rejected_file.read_bytes().splitlines()]
    assert "tag" in entry["reason"] and "control characters" in entry["reason"], entry
    assert orjson.loads(entry["record"])["tags"] == [NUL]
    assert any(str(rejected_file) in str(w.message) for w in caught)
    with tm.Api(killable_server.url) as api:
        stored = api.run("nul/tag")
        assert stored.state == "finished"
        assert [row["_step"] for row in stored.history(keys=["loss"])] == list(range(2 * STEPS))

    # What is left is not silently fine: sync says how many records and where, and fails.
    sync = _sync(str(tmp_path / "client"))
    assert sync.returncode == 1, sync.stdout + sync.stderr
    assert f"1 records refused for good are set aside in {rejected_file}" in sync.stderr


def test_sync_exits_non_zero_when_a_record_is_refused(
    killable_server: Server, tmp_path: Path
) -> None:
    killable_server.start()
    run = tm.init(
        project="nul",
        id="offline",
        mode="offline",
        url=killable_server.url,
        dir=tmp_path / "client",
        config={"prompt": NUL},
    )
    run.log({"loss": 1.0}, step=0)
    run.set_tags([NUL])
    run.log({"loss": 2.0}, step=1)
    with pytest.warns(UserWarning, match="saved offline"):
        run.finish()
    spool = Path(run.spool_path)

    sync = _sync(str(spool))
    assert sync.returncode == 1, sync.stdout + sync.stderr
    rejected_file = spool.with_suffix(".rejected")
    assert "1 refused" in sync.stdout, sync.stdout
    assert f"1 records refused for good are set aside in {rejected_file}" in sync.stderr
    with tm.Api(killable_server.url) as api:
        stored = api.run("nul/offline")
        assert stored.state == "finished" and stored.config == {"prompt": NUL}
        assert [row["_step"] for row in stored.history(keys=["loss"])] == [0, 1]


def test_sync_exits_non_zero_when_records_are_unshipped(tmp_path: Path) -> None:
    server = Server(tmp_path / "server")  # never started: nothing answers at its address
    run = tm.init(project="nul", id="unshipped", mode="offline", url=server.url, dir=tmp_path)
    run.log({"loss": 1.0}, step=0)
    with pytest.warns(UserWarning, match="saved offline"):
        run.finish()

    sync = _sync(str(run.spool_path))
    assert sync.returncode == 1, sync.stdout + sync.stderr
    assert "left" in sync.stdout and "run sync again" in sync.stdout, sync.stdout

"""Many processes at once, and a training process killed with SIGKILL: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import trailmark as tm
from tests.support import client_env, wait_for


def workers_for(data_dir: Path) -> list[str]:
    """Command lines of live local ingest workers writing to ``data_dir``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"trailmark.sdk.local_ingest.worker" in args and str(data_dir).encode() in args:
            found.append(cmdline.parent.name)
    return found


WRITER = textwrap.dedent(
    """
    import sys, trailmark as tm
    data_dir, run_id, name, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    run = tm.init(project="load", id=run_id, resume="allow", dir=data_dir, name=run_id)
    for step in range(steps):
        run.log({f"{name}/loss": 1.0 / (step + 1), "shared": float(step)}, step=step)
    report = run.finish(timeout=120)
    assert report is not None and report.complete, report
    """
)


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=client_env(),
    )


def finish_all(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower(), err


def test_two_writers_of_one_run(tmp_path: Path) -> None:
    steps = 3000
    finish_all([spawn(str(tmp_path), "shared-run", f"w{i}", str(steps)) for i in range(2)])
    with tm.Api(dir=tmp_path) as api:
        run = api.run("load/shared-run")
        for name in ("w0", "w1"):
            rows = run.history(keys=[f"{name}/loss"])
            assert [r["_step"] for r in rows] == list(range(steps))
        keys = {
            m["key"]: m["stats"]["n"]
            for m in api.backend.metric_keys("load", "shared-run")
            if not m["key"].startswith("system/")
        }
    assert keys == {"w0/loss": steps, "w1/loss": steps, "shared": 2 * steps}


def test_eight_processes_eight_runs_one_sqlite_dir(tmp_path: Path) -> None:
    steps = 2000
    finish_all([spawn(str(tmp_path), f"run-{i}", "m", str(steps)) for i in range(8)])
    with tm.Api(dir=tmp_path) as api:
        runs = api.runs("load")
        assert len(runs) == 8
        for run in runs:
            assert run.state == "finished"
            rows = run.history(keys=["m/loss", "shared"])
            assert [r["_step"] for r in rows] == list(range(steps))
            assert all(r["shared"] == r["_step"] for r in rows)


KILLED = textwrap.dedent(
    """
    import sys, trailmark as tm
    run = tm.init(project="kill", id="victim", dir=sys.argv[1])
    step = 0
    while True:
        run.log({"loss": float(step), "acc": 1.0})
        print(step, flush=True)
        step += 1
    """
)


def test_sigkill_after_log_returned_then_sync(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=client_env(),
    )
    assert proc.stdout is not None
    last_returned = -1
    for line in proc.stdout:
        last_returned = int(line)
        if last_returned >= 20_000:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert last_returned >= 20_000
    wait_for(lambda: not workers_for(tmp_path), 30, "the orphaned ingest worker to exit")

    sync = [sys.executable, "-m", "trailmark.cli.main", "sync", "--data-dir", str(tmp_path)]
    first = subprocess.run(sync, capture_output=True, text=True, env=client_env())
    assert first.returncode == 0, first.stderr
    assert "marked crashed" in first.stdout
    second = subprocess.run(sync, capture_output=True, text=True, env=client_env())
    assert "Nothing to sync" in second.stdout

    with tm.Api(dir=tmp_path) as api:
        run = api.run("kill/victim")
        assert run.state == "crashed"
        steps = [r["_step"] for r in run.history(keys=["loss"])]
        values = [r["loss"] for r in run.history(keys=["loss"])]
    assert steps == list(range(len(steps))), "every step once, in order"
    assert len(steps) > last_returned
    assert values == [float(s) for s in steps]

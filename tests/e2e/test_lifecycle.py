"""How runs end and continue: exceptions, exit, resume, a dead server, settings from the environment."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

import trailmark as tm
from tests.support import ServerProcess, client_env, free_port
from trailmark.sdk import spool
from trailmark.settings import ClientSettings


def run_script(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=client_env(**env),
        timeout=120,
    )


def only_run(data_dir: Path, project: str = "p") -> tm.ApiRun:
    with tm.Api(dir=data_dir) as api:
        runs = api.runs(project)
        assert len(runs) == 1
        return runs[0]


def test_an_uncaught_exception_marks_the_run_failed_with_its_text(tmp_path: Path) -> None:
    result = run_script(
        """
        import trailmark as tm
        run = tm.init(project="p")
        run.log({"loss": 1.0})
        raise RuntimeError("the GPU melted")
        """,
        TRAILMARK_DIR=str(tmp_path),
    )
    assert result.returncode == 1 and "the GPU melted" in result.stderr
    run = only_run(tmp_path)
    assert run.state == "failed"
    assert "RuntimeError: the GPU melted" in run.data["error"]
    assert run.summary["loss"] == 1.0


def test_a_script_that_forgets_finish_is_finished_at_exit(tmp_path: Path) -> None:
    result = run_script(
        "import trailmark as tm; tm.init(project='p'); tm.log({'x': 2.0})",
        TRAILMARK_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    run = only_run(tmp_path)
    assert (run.state, run.summary["x"]) == ("finished", 2.0)


def test_the_context_manager_marks_failure_and_keyboard_interrupt(tmp_path: Path) -> None:
    with pytest.raises(ValueError), tm.init(project="p", dir=tmp_path, id="ctx1"):
        raise ValueError("bad batch")
    with pytest.raises(KeyboardInterrupt), tm.init(project="p", dir=tmp_path, id="ctx2"):
        raise KeyboardInterrupt
    with tm.init(project="p", dir=tmp_path, id="ctx3") as run:
        run.log({"x": 1.0})
    with tm.Api(dir=tmp_path) as api:
        assert api.run("p/ctx1").state == "failed"
        assert api.run("p/ctx2").state == "killed"
        assert api.run("p/ctx3").state == "finished"


def test_resume_continues_the_steps_and_must_needs_an_existing_run(tmp_path: Path) -> None:
    run = tm.init(project="p", id="again", dir=tmp_path, config={"lr": 1})
    for _ in range(5):
        run.log({"loss": 1.0})
    run.finish()
    resumed = tm.init(project="p", id="again", resume="allow", dir=tmp_path, config={"epochs": 2})
    assert resumed.step == 5
    resumed.log({"loss": 0.5})
    resumed.finish()
    stored = only_run(tmp_path)
    assert stored.config == {"lr": 1, "epochs": 2}
    assert [r["_step"] for r in stored.history(keys=["loss"])] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(tm.NotFound, match="cannot resume"):
        tm.init(project="p", id="never-was", resume="must", dir=tmp_path)
    with pytest.raises(tm.InvalidInput, match="already exists"):
        tm.init(project="p", id="again", resume="never", dir=tmp_path)


def test_finish_returns_in_bounded_time_when_the_server_is_gone(tmp_path: Path) -> None:
    run = tm.init(project="p", dir=tmp_path, url=f"http://127.0.0.1:{free_port()}")
    for i in range(100):
        run.log({"loss": float(i)})
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = run.finish(timeout=2)
    assert time.monotonic() - started < 5
    written = spool.count_lines_after(Path(run.spool_path), 0)  # log, run, fin, captures
    assert written >= 102
    assert report is not None and report.remaining == written and not report.complete
    assert any("trailmark sync" in str(w.message) for w in caught)
    assert Path(run.spool_path).exists()


def test_settings_come_from_the_environment_once(tmp_path: Path) -> None:
    settings = ClientSettings.from_env(
        {
            "TRAILMARK_DIR": str(tmp_path),
            "TRAILMARK_PROJECT": "envproj",
            "TRAILMARK_MODE": "offline",
        }
    )
    run = tm.init(settings=settings)
    assert (run.project, run.mode) == ("envproj", "offline")
    assert Path(run.spool_path).parent.parent == tmp_path
    run.finish()
    with pytest.raises(tm.InvalidInput, match="TRAILMARK_MODE"):
        ClientSettings.from_env({"TRAILMARK_MODE": "loud"})


def test_trailmark_url_sends_runs_to_the_server(server: ServerProcess, tmp_path: Path) -> None:
    result = run_script(
        "import trailmark as tm; r = tm.init(project='remote'); r.log({'x': 1.0}); r.finish()",
        TRAILMARK_URL=server.url,
        TRAILMARK_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    with tm.Api(server.url) as api:
        assert api.runs("remote")[0].summary == {"x": 1.0}

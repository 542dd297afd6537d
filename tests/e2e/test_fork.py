"""init(fork_from="RUN_ID?step=N"): a new run continues another one's history from a step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import trailmark as tm

QUIET: dict[str, Any] = {
    "system_interval": 0,
    "console": "off",
    "capture_code": False,
    "capture_env": False,
}


def test_a_fork_continues_from_its_step(tmp_path: Path) -> None:
    parent = tm.init(project="p", dir=tmp_path, config={"lr": 0.1}, **QUIET)
    for step in range(1000):
        parent.log({"loss": 1000.0 - step})
    parent.finish()

    child = tm.init(
        project="p", dir=tmp_path, fork_from=f"{parent.id}?step=500", config={"lr": 0.01}, **QUIET
    )
    assert child.id != parent.id and child.step == 501
    for _ in range(100):
        child.log({"loss": -1.0})
    child.finish()

    with tm.Api(dir=tmp_path) as api:
        run = api.run(f"p/{child.id}")
        rows = run.history(keys=["loss"])
        assert [r["_step"] for r in rows] == list(range(601))
        assert [r["loss"] for r in rows[:501]] == [1000.0 - s for s in range(501)]
        assert {r["loss"] for r in rows[501:]} == {-1.0}
        assert run.metadata["fork"] == {"run": parent.id, "step": 500, "project": "p"}
        assert run.config == {"lr": 0.01}
        assert len(api.run(f"p/{parent.id}").history(keys=["loss"])) == 1000


def test_forking_needs_an_existing_run_and_is_not_a_resume(tmp_path: Path) -> None:
    with pytest.raises(tm.NotFound, match="cannot fork from run 'ghost'"):
        tm.init(project="p", dir=tmp_path, fork_from="ghost?step=5", **QUIET)
    with pytest.raises(tm.InvalidInput, match="cannot be combined with resume"):
        tm.init(project="p", dir=tmp_path, fork_from="x?step=5", resume="allow", id="y")
    with pytest.raises(tm.InvalidInput, match="RUN_ID\\?step=N"):
        tm.init(project="p", dir=tmp_path, fork_from="x")

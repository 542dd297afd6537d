"""The README quick start, as written, offline and against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import trailmark as tm
from tests.support import ServerProcess
from trailmark.sdk import spool

STEPS = 2_000


def train(**init_args: object) -> tm.Run:
    run = tm.init(
        project="mnist", config={"lr": 3e-4, "model": {"layers": 4}}, tags=["baseline"], **init_args
    )  # type: ignore[arg-type]
    for step in range(STEPS):
        loss = math.nan if step == 1234 else 1.0 / (step + 1)
        run.log({"train/loss": loss, "train/acc": step / STEPS})
    run.summary["best_acc"] = 0.97
    report = run.finish()
    assert report is None or report.complete
    return run


def check_everything_came_back(api: tm.Api, run_id: str) -> None:
    runs = api.runs(
        "mnist", filter="config.lr < 1e-3 and summary.`train/acc` > 0.9", order="-created"
    )
    assert [r.id for r in runs] == [run_id]
    run = runs[0]
    assert run.state == "finished"
    assert run.config == {"lr": 3e-4, "model": {"layers": 4}}
    assert run.tags == ["baseline"]
    assert run.summary["best_acc"] == 0.97
    assert run.summary["train/acc"] == (STEPS - 1) / STEPS
    rows = run.history(keys=["train/loss"])
    assert [r["_step"] for r in rows] == list(range(STEPS))
    for row in rows:
        expected = math.nan if row["_step"] == 1234 else 1.0 / (row["_step"] + 1)
        assert row["train/loss"] == expected or (
            math.isnan(expected) and math.isnan(row["train/loss"])
        )
    frame = run.history(keys=["train/loss", "train/acc"], min_step=10, max_step=19, pandas=True)
    assert list(frame["_step"]) == list(range(10, 20))
    assert sum(1 for _ in run.scan_history(keys=["train/acc"], page_size=300)) == STEPS
    assert sorted(run.keys()) == ["train/acc", "train/loss"]
    assert api.projects()[0]["name"] == "mnist"


def test_local_data_dir_with_no_server(tmp_path: Path) -> None:
    run = train(dir=tmp_path)
    with tm.Api(dir=tmp_path) as api:
        check_everything_came_back(api, run.id)
    assert not list((tmp_path / "spool").glob("*.spool")), "a shipped spool is removed"


def test_offline_then_sync(tmp_path: Path) -> None:
    run = train(dir=tmp_path, mode="offline")
    with tm.Api(dir=tmp_path) as api, pytest.raises(tm.NotFound):
        api.run(f"mnist/{run.id}")
    written = spool.count_lines_after(Path(run.spool_path), 0)  # and captured metadata
    assert written >= STEPS + 3
    out = subprocess.run(
        [sys.executable, "-m", "trailmark.cli.main", "sync", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"shipped {written} records" in out.stdout
    with tm.Api(dir=tmp_path) as api:
        check_everything_came_back(api, run.id)
    again = subprocess.run(
        [sys.executable, "-m", "trailmark.cli.main", "sync", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Nothing to sync" in again.stdout


def _against(server: ServerProcess, tmp_path: Path) -> None:
    run = train(dir=tmp_path / "client", url=server.url)
    with tm.Api(server.url) as api:
        check_everything_came_back(api, run.id)
    rest = httpx.get(
        f"{server.url}/api/v1/projects/mnist/runs/{run.id}/series", params={"key": "train/loss"}
    )
    body = rest.json()
    assert body["steps"] == list(range(STEPS))
    assert body["values"][1234] == "NaN"
    assert body["values"][9] == 0.1


def test_against_a_server_on_sqlite(server: ServerProcess, tmp_path: Path) -> None:
    _against(server, tmp_path)


@pytest.mark.postgres
def test_against_a_server_on_postgres(pg_server: ServerProcess, tmp_path: Path) -> None:
    _against(pg_server, tmp_path)

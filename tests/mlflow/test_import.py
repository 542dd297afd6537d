"""``trailmark import mlflow``: a real MLflow store (SQLite + an mlruns folder, made with MLflow's
client) copied into Trailmark, compared field by field, then imported again to no effect."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support import ServerProcess, start_server
from trailmark.cli.main import main

IMPORT_TAGS = ("trailmark.import.signature", "trailmark.import.source")


def _populate(uri: str, artifact_root: Path, tmp: Path) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient(uri)
    alpha = client.create_experiment(
        "team/alpha", artifact_location=(artifact_root / "alpha").as_uri(), tags={"owner": "ana"}
    )
    beta = client.create_experiment("beta", artifact_location=(artifact_root / "beta").as_uri())
    long = client.create_run(alpha, run_name="long", start_time=1_700_000_000_000)
    run_id = long.info.run_id
    history = [Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + s, s) for s in range(1500)]
    for start in range(0, len(history), 1000):
        client.log_batch(run_id, metrics=history[start : start + 1000])
    client.log_batch(
        run_id,
        params=[Param("lr", "1e-3"), Param("optimizer.name", "adam")],
        tags=[RunTag("team", "vision"), RunTag("mlflow.note.content", "the long one")],
    )
    (tmp / "data" / "deep").mkdir(parents=True)
    (tmp / "data" / "a.txt").write_text("alpha")
    (tmp / "data" / "deep" / "b.bin").write_bytes(bytes(range(256)) * 10)
    client.log_artifacts(run_id, str(tmp / "data"), "inputs")
    client.log_text(run_id, "summary", "report.md")
    client.set_terminated(run_id, "FINISHED", end_time=1_700_000_100_000)

    child = client.create_run(alpha, run_name="child", tags={"mlflow.parentRunId": run_id})
    client.log_metric(child.info.run_id, "odd", math.nan, timestamp=5, step=0)
    client.set_terminated(child.info.run_id, "FAILED")
    gone = client.create_run(alpha, run_name="gone")
    client.delete_run(gone.info.run_id)
    other = client.create_run(beta, run_name="other")
    client.log_param(other.info.run_id, "seed", "7")
    return {"client": client, "long": run_id, "alpha": alpha, "gone": gone.info.run_id}


def _import(source: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["import", "mlflow", source, *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.output


def _files(client: Any, run_id: str, path: str | None = None) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.update(_files(client, run_id, info.path))
        else:
            found[info.path] = info.file_size
    return found


def _same_run(source: Any, target: Any, run_id: str, tmp: Path) -> None:
    mine, theirs = source.get_run(run_id), target.get_run(run_id)
    for field in ("run_name", "status", "start_time", "end_time", "user_id", "lifecycle_stage"):
        assert getattr(theirs.info, field) == getattr(mine.info, field), field
    assert theirs.data.params == mine.data.params
    tags = {k: v for k, v in theirs.data.tags.items() if k not in IMPORT_TAGS}
    assert tags == mine.data.tags
    assert theirs.data.metrics.keys() == mine.data.metrics.keys()
    for key, value in mine.data.metrics.items():
        assert theirs.data.metrics[key] == value or math.isnan(value)
        ours = sorted(
            (m.step, m.timestamp, repr(m.value)) for m in source.get_metric_history(run_id, key)
        )
        copy = sorted(
            (m.step, m.timestamp, repr(m.value)) for m in target.get_metric_history(run_id, key)
        )
        assert copy == ours, key
    files = _files(source, run_id)
    assert _files(target, run_id) == files
    for path in files:
        a = Path(source.download_artifacts(run_id, path, str(tmp / "a")))
        b = Path(target.download_artifacts(run_id, path, str(tmp / "b")))
        assert a.read_bytes() == b.read_bytes(), path


def _counts(output: str) -> tuple[int, ...]:
    match = re.search(
        r"runs: (\d+) created, (\d+) merged, (\d+) unchanged; (\d+) metric points and (\d+) files",
        output,
    )
    assert match, output
    return tuple(int(g) for g in match.groups())


def test_import_sqlite_store_into_a_data_dir(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    made = _populate(uri, tmp_path / "mlruns", tmp_path)
    target_dir = tmp_path / "trailmark"

    first = _import(uri, "--data-dir", str(target_dir))
    assert _counts(first) == (3, 0, 0, 1501, 3), first

    server = start_server(target_dir)
    try:
        target = MlflowClient(server.url)
        source: Any = made["client"]
        assert target.get_experiment_by_name("team-alpha").tags["owner"] == "ana"
        for exp in source.search_experiments():
            if exp.name == "Default":
                continue
            copy = target.get_experiment_by_name(exp.name.replace("/", "-"))
            mine = sorted(r.info.run_id for r in source.search_runs([exp.experiment_id]))
            theirs = sorted(r.info.run_id for r in target.search_runs([copy.experiment_id]))
            assert theirs == mine
            for run_id in mine:
                _same_run(source, target, run_id, tmp_path)
        with pytest.raises(Exception, match="not found"):
            target.get_run(made["gone"])  # deleted runs stay behind by default
    finally:
        server.stop()

    again = _import(uri, "--data-dir", str(target_dir))
    assert _counts(again) == (0, 0, 3, 0, 0), again

    # New data at the source is merged into the copy, and nothing already there twice.
    source.log_metric(made["long"], "loss", 0.0, timestamp=1_800_000_000_000, step=1500)
    source.set_tag(made["long"], "reviewed", "yes")
    third = _import(uri, "--data-dir", str(target_dir))
    assert _counts(third)[:3] == (0, 1, 2), third
    server = start_server(target_dir)
    try:
        target = MlflowClient(server.url)
        _same_run(source, target, made["long"], tmp_path / "third")
        assert len(target.get_metric_history(made["long"], "loss")) == 1501
    finally:
        server.stop()


def test_import_mlruns_folder_into_a_server(server: ServerProcess, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    folder = tmp_path / "mlruns"
    client = MlflowClient(folder.as_uri())
    exp = client.create_experiment("folder-exp")
    run = client.create_run(exp, run_name="from-folder")
    for step in range(30):
        client.log_metric(run.info.run_id, "acc", step / 30, timestamp=1_000 + step, step=step)
    client.log_param(run.info.run_id, "depth", "3")
    client.log_text(run.info.run_id, "hello", "notes/hello.txt")
    client.set_terminated(run.info.run_id)

    first = _import(str(folder), "--url", server.url)
    assert _counts(first) == (1, 0, 0, 30, 1)
    target = MlflowClient(server.url)
    _same_run(client, target, run.info.run_id, tmp_path)
    assert _counts(_import(str(folder), "--url", server.url)) == (0, 0, 1, 0, 0)

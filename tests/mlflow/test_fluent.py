"""MLflow's fluent API logging to Trailmark, read back through MLflow and through Trailmark."""

from __future__ import annotations

import json
import math
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import ServerProcess
from trailmark.sdk.api import Api


def rest(server: ServerProcess, path: str) -> Any:
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return json.loads(response.read())


def test_fluent_run_reads_back_through_mlflow_and_trailmark(
    server: ServerProcess, tracking: Any, experiment_name: str, tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow

    experiment = mlflow.set_experiment(experiment_name)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "dir" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 40)
    figure, axis = plt.subplots()
    axis.plot([1, 2, 3])

    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("lr", 0.001)
        mlflow.log_params({"optimizer": "adam", "layers": 4, "model.depth": 12, "eps": "1e-8"})
        mlflow.log_metric("loss", 0.9, step=0, timestamp=1_700_000_000_000)
        mlflow.log_metric("loss", 0.5, step=1, timestamp=1_700_000_001_000)
        mlflow.log_metrics({"loss": 0.25, "acc": 0.75}, step=2, timestamp=1_700_000_002_000)
        mlflow.log_metric("odd", math.nan, step=0)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "mlflow.note.content": "first try"})
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
        mlflow.log_artifacts(str(tmp_path / "dir"), artifact_path="data")
        mlflow.log_dict({"classes": ["cat", "dog"]}, "meta/classes.json")
        mlflow.log_text("plain words", "meta/readme.txt")
        mlflow.log_image(np.zeros((8, 8, 3), dtype=np.uint8), "images/black.png")
        mlflow.log_figure(figure, "images/plot.png")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("inner", 1.0)
        mlflow.end_run(status="FAILED")
    plt.close(figure)

    run = tracking.get_run(parent.info.run_id)
    assert len(run.info.run_id) == 32
    assert run.info.experiment_id == experiment.experiment_id
    assert (run.info.run_name, run.info.status, run.info.lifecycle_stage) == (
        "parent",
        "FAILED",
        "active",
    )
    assert run.info.end_time >= run.info.start_time
    assert run.data.params == {
        "lr": "0.001",
        "optimizer": "adam",
        "layers": "4",
        "model.depth": "12",
        "eps": "1e-8",
    }
    assert run.data.metrics["loss"] == 0.25 and run.data.metrics["acc"] == 0.75
    assert math.isnan(run.data.metrics["odd"])
    assert run.data.tags["team"] == "vision" and run.data.tags["stage"] == "dev"
    assert run.data.tags["mlflow.runName"] == "parent"
    assert run.data.tags["mlflow.note.content"] == "first try"
    assert run.data.tags["mlflow.source.type"] == "LOCAL"
    history = tracking.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (0, 0.9, 1_700_000_000_000),
        (1, 0.5, 1_700_000_001_000),
        (2, 0.25, 1_700_000_002_000),
    ]

    top = {f.path: f for f in tracking.list_artifacts(run.info.run_id)}
    assert set(top) == {"notes.txt", "data", "meta", "images"}
    assert top["data"].is_dir and top["notes.txt"].file_size == 5
    assert [f.path for f in tracking.list_artifacts(run.info.run_id, "data/sub")] == [
        "data/sub/b.bin"
    ]
    local = Path(tracking.download_artifacts(run.info.run_id, "data", str(tmp_path / "down")))
    assert (local / "sub" / "b.bin").read_bytes() == (
        tmp_path / "dir" / "sub" / "b.bin"
    ).read_bytes()
    assert mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/meta/classes.json") == {
        "classes": ["cat", "dog"]
    }
    assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/meta/readme.txt") == "plain words"
    assert {f.path for f in tracking.list_artifacts(run.info.run_id, "images")} == {
        "images/black.png",
        "images/plot.png",
    }

    nested = tracking.get_run(child.info.run_id)
    assert nested.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert nested.info.status == "FINISHED"

    # The same run through Trailmark's REST API: config is typed, properties are the tags.
    native = rest(server, f"/api/v1/projects/{experiment_name}/runs/{parent.info.run_id}")
    assert native["name"] == "parent" and native["state"] == "failed"
    assert native["config"] == {
        "lr": 0.001,
        "optimizer": "adam",
        "layers": 4,
        "model": {"depth": 12},
        "eps": 1e-8,
    }
    assert native["summary"]["loss"] == 0.25 and native["summary"]["odd"] == "NaN"
    assert native["properties"]["team"] == "vision" and native["notes"] == "first try"
    assert native["metadata"]["user"] == run.info.user_id
    files = rest(server, f"/api/v1/projects/{experiment_name}/runs/{parent.info.run_id}/metrics")
    assert {m["key"] for m in files["metrics"]} == {"loss", "acc", "odd"}

    # ... and through Trailmark's Python API, with its filter language on the parsed params.
    api = Api(server.url)
    try:
        found = api.runs(experiment_name, filter="config.lr < 0.01 and config.model.depth >= 12")
        assert [r.name for r in found] == ["parent"]
        rows = found[0].history(keys=["loss"])
        assert [row["loss"] for row in rows] == [0.9, 0.5, 0.25]
    finally:
        api.close()


def test_asynchronous_logging_keeps_every_point_and_the_latest_step(
    tracking: Any, experiment_name: str
) -> None:
    import mlflow

    mlflow.set_experiment(experiment_name)
    with mlflow.start_run() as run:
        for step in range(50):
            mlflow.log_metric("x", float(step), step=step, synchronous=False)
        mlflow.log_param("p", "1", synchronous=False)
        mlflow.set_tag("t", "v", synchronous=False)
        mlflow.log_metrics({"y": 1.0, "z": 2.0}, step=3, synchronous=False)
    # end_run waits for the queue to drain
    got = tracking.get_run(run.info.run_id)
    assert got.data.metrics["x"] == 49.0
    assert got.data.params == {"p": "1"} and got.data.tags["t"] == "v"
    assert [m.step for m in tracking.get_metric_history(run.info.run_id, "x")] == list(range(50))


def test_default_experiment_and_run_without_experiment(tracking: Any) -> None:
    import mlflow

    mlflow.set_experiment(experiment_id="0")
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert run.info.experiment_id == "0"
    default = tracking.get_experiment("0")
    assert default.name == "Default"
    assert tracking.get_experiment_by_name("Default").experiment_id == "0"
    assert tracking.get_run(run.info.run_id).info.run_name  # a generated name

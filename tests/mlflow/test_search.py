"""MlflowClient searches (filters, order, pages), lifecycle, experiments; native runs via MLflow."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support import ServerProcess

RUNS = 23


@pytest.fixture
def populated(tracking: Any, experiment_name: str) -> tuple[str, list[str]]:
    """An experiment with RUNS runs: params, a metric history, tags; run i has loss 1/(i+1)."""
    from mlflow.entities import Metric, Param, RunTag

    experiment_id = tracking.create_experiment(experiment_name, tags={"owner": "ana"})
    ids = []
    for i in range(RUNS):
        run = tracking.create_run(experiment_id, run_name=f"run-{i:02d}", start_time=1_000 + i)
        metrics = [Metric("loss", 1 / (i + 1) + s, 2_000 + s, s) for s in (2, 1, 0)]
        params = [Param("lr", str(10 ** -(i % 4))), Param("opt", "adam" if i % 2 else "sgd")]
        tags = [RunTag("parity", "odd" if i % 2 else "even")]
        tracking.log_batch(run.info.run_id, metrics=metrics, params=params, tags=tags)
        tracking.set_terminated(run.info.run_id, "FINISHED" if i % 3 else "FAILED")
        ids.append(run.info.run_id)
    return experiment_id, ids


def names(runs: Any) -> list[str]:
    return [r.info.run_name for r in runs]


def test_filters_order_and_paging(tracking: Any, populated: tuple[str, list[str]]) -> None:
    experiment_id, ids = populated
    search = tracking.search_runs

    assert len(search([experiment_id])) == RUNS
    assert names(search([experiment_id], order_by=["attributes.start_time ASC"]))[:2] == [
        "run-00",
        "run-01",
    ]
    low = search([experiment_id], "metrics.loss < 2.1", order_by=["metrics.loss DESC"])
    assert names(low) == [f"run-{i:02d}" for i in range(10, RUNS)]
    assert len(search([experiment_id], "params.opt = 'adam' and tags.parity = 'odd'")) == 11
    assert len(search([experiment_id], "params.lr = '0.01'")) == 6
    assert len(search([experiment_id], "params.opt LIKE 'ad%' and params.opt != 'sgd'")) == 11
    assert len(search([experiment_id], "params.opt ILIKE 'ADAM'")) == 11
    assert search([experiment_id], "params.opt LIKE 'ADAM'") == []
    assert len(search([experiment_id], "attributes.status = 'FAILED'")) == 8
    assert len(search([experiment_id], "attributes.status != 'FAILED'")) == RUNS - 8
    assert names(
        search([experiment_id], "attributes.run_name LIKE '%-0_' and metrics.loss > 2.5")
    ) == ["run-00"]
    picked = search([experiment_id], f"attributes.run_id IN ('{ids[3]}', '{ids[5]}')")
    assert sorted(names(picked)) == ["run-03", "run-05"]
    assert len(search([experiment_id], "tags.missing IS NULL")) == RUNS
    assert len(search([experiment_id], "attributes.start_time >= 1010")) == RUNS - 10
    ordered = names(search([experiment_id], order_by=["params.opt ASC", "metrics.loss ASC"]))
    assert ordered[0] == "run-21" and ordered[-1] == "run-00"

    # Pages: max_results below the match count, page tokens until the end.
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = search(
            [experiment_id], order_by=["metrics.loss ASC"], max_results=5, page_token=token
        )
        seen += names(page)
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 5 and len(seen) == len(set(seen)) == RUNS
    assert seen == names(search([experiment_id], order_by=["metrics.loss ASC"]))

    history = tracking.get_metric_history(ids[0], "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 2.0), (2, 3.0)]
    assert tracking.get_run(ids[0]).data.metrics["loss"] == 3.0  # the value at the highest step

    frame = __import__("mlflow").search_runs([experiment_id], filter_string="params.opt = 'sgd'")
    assert len(frame) == 12 and "metrics.loss" in frame.columns and "params.lr" in frame.columns


def test_bad_filters_are_refused_with_mlflow_errors(tracking: Any, experiment_name: str) -> None:
    from mlflow.exceptions import MlflowException

    experiment_id = tracking.create_experiment(experiment_name)
    for bad in (
        "metrics.loss > 'a'",
        "params.x = 1",
        "foo.x = 'a'",
        "metrics.x > 1 or metrics.y > 2",
    ):
        with pytest.raises(MlflowException) as caught:
            tracking.search_runs([experiment_id], bad)
        assert caught.value.error_code == "INVALID_PARAMETER_VALUE", bad


def test_delete_and_restore_runs_and_experiments(
    server: ServerProcess, tracking: Any, experiment_name: str
) -> None:
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    experiment_id = tracking.create_experiment(experiment_name)
    keep = tracking.create_run(experiment_id, run_name="keep")
    gone = tracking.create_run(experiment_id, run_name="gone")
    tracking.delete_run(gone.info.run_id)
    assert names(tracking.search_runs([experiment_id])) == ["keep"]
    assert names(tracking.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == [
        "gone"
    ]
    assert tracking.get_run(gone.info.run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="must be in the 'active' state"):
        tracking.log_param(gone.info.run_id, "x", "1")
    listed = _rest(server, f"/api/v1/projects/{experiment_name}/runs")
    assert [r["name"] for r in listed["runs"]] == ["keep"]  # Trailmark hides deleted runs too
    tracking.restore_run(gone.info.run_id)
    assert len(tracking.search_runs([experiment_id])) == 2

    tracking.delete_experiment(experiment_id)
    assert tracking.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert experiment_name not in [p["name"] for p in _rest(server, "/api/v1/projects")["projects"]]
    with pytest.raises(MlflowException) as caught:
        tracking.create_experiment(experiment_name)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    tracking.restore_experiment(experiment_id)
    assert len(tracking.search_runs([experiment_id])) == 2
    assert keep.info.run_id in [r.info.run_id for r in tracking.search_runs([experiment_id])]


def test_experiments_search_rename_and_tags(tracking: Any, experiment_name: str) -> None:
    first = tracking.create_experiment(f"{experiment_name}-a", tags={"team": "x"})
    second = tracking.create_experiment(f"{experiment_name}-b")
    tracking.set_experiment_tag(second, "team", "y")
    tracking.set_experiment_tag(second, "mlflow.note.content", "about b")
    found = tracking.search_experiments(filter_string=f"name LIKE '{experiment_name}-%'")
    assert [e.name for e in found] == [f"{experiment_name}-b", f"{experiment_name}-a"]
    assert [
        e.experiment_id for e in tracking.search_experiments(filter_string="tags.team = 'x'")
    ] == [first]
    assert tracking.get_experiment(second).tags == {"team": "y", "mlflow.note.content": "about b"}
    tracking.rename_experiment(first, f"{experiment_name}-c")
    assert tracking.get_experiment_by_name(f"{experiment_name}-c").experiment_id == first
    assert tracking.get_experiment_by_name(f"{experiment_name}-a") is None
    page = tracking.search_experiments(max_results=1)
    assert len(page) == 1 and page.token


def test_native_run_reads_through_mlflow(
    server: ServerProcess, tracking: Any, experiment_name: str, tmp_path: Path
) -> None:
    import trailmark

    run = trailmark.init(
        project=experiment_name,
        name="native",
        config={"lr": 0.01, "model": {"layers": 3, "act": "relu"}, "flag": True},
        url=server.url,
        dir=tmp_path,
        capture_code=False,
        capture_env=False,
        console="off",
        system_interval=0,
    )
    for step in range(5):
        run.log({"train/loss": 1.0 / (step + 1)}, step=step)
    run.finish()

    got = tracking.get_run(run.id)
    assert got.info.run_name == "native" and got.info.status == "FINISHED"
    assert got.data.params["lr"] == "0.01"
    assert got.data.params["model.layers"] == "3" and got.data.params["model.act"] == "relu"
    assert got.data.params["flag"] == "True"
    assert got.data.metrics["train/loss"] == pytest.approx(0.2)
    assert [m.step for m in tracking.get_metric_history(run.id, "train/loss")] == list(range(5))
    experiment = tracking.get_experiment_by_name(experiment_name)
    found = tracking.search_runs(
        [experiment.experiment_id],
        "params.lr = '0.01' and params.`model.layers` = '3' and metrics.`train/loss` < 0.3",
    )
    assert [r.info.run_id for r in found] == [run.id]


def _rest(server: ServerProcess, path: str) -> Any:
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.postgres
def test_round_trip_on_postgresql(pg_server: ServerProcess) -> None:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(pg_server.url)
    experiment_id = client.create_experiment("on-postgres")
    run = client.create_run(experiment_id, run_name="pg", start_time=1_700_000_000_000)
    run_id = run.info.run_id
    metrics = [
        mlflow.entities.Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + s, s) for s in range(50)
    ]
    params = [mlflow.entities.Param("lr", "0.01"), mlflow.entities.Param("opt.name", "adam")]
    for _ in range(2):  # a retried batch
        client.log_batch(run_id, metrics=metrics, params=params)
    client.set_tag(run_id, "team", "db")
    client.set_terminated(run_id, "FINISHED", end_time=1_700_000_100_000)
    assert len(client.get_metric_history(run_id, "loss")) == 50
    found = client.search_runs(
        [experiment_id],
        "metrics.loss < 0.1 and params.`opt.name` LIKE 'ad%' and tags.team = 'db' "
        "and attributes.status = 'FINISHED' and attributes.start_time = 1700000000000",
        order_by=["metrics.loss DESC"],
    )
    assert [r.info.run_id for r in found] == [run_id]
    assert found[0].data.params == {"lr": "0.01", "opt.name": "adam"}
    assert found[0].info.end_time == 1_700_000_100_000

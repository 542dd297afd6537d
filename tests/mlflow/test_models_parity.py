"""MLflow 3 parity of logged models and of the artifact proxy, with the real client against
a real server on SQLite and PostgreSQL (issue 25).

- metrics logged with ``model_id`` (and a dataset) belong to the logged model: ``get`` and
  ``search`` answer them, and ``search``'s ``datasets`` filter keeps the models with a metric
  on one of the datasets;
- the artifact proxy takes a file under any safe relative path (MLflow's does), kept in
  Trailmark's own loose-artifacts area, and still refuses ``..``, absolute paths and NUL.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import ServerProcess

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_server(request: pytest.FixtureRequest) -> ServerProcess:
    name = "server" if request.param == "sqlite" else "pg_server"
    server: ServerProcess = request.getfixturevalue(name)
    return server


@pytest.fixture
def client(any_server: ServerProcess) -> Iterator[Any]:
    import mlflow

    mlflow.set_tracking_uri(any_server.url)
    try:
        yield mlflow.MlflowClient(any_server.url)
    finally:
        mlflow.set_tracking_uri("")


def _model_with_metrics(client: Any, experiment_name: str) -> tuple[str, str, str]:
    from mlflow.entities import Metric

    experiment_id = client.create_experiment(experiment_name)
    run_id = client.create_run(experiment_id).info.run_id
    scored = client.create_logged_model(experiment_id, source_run_id=run_id, name="scored")
    other = client.create_logged_model(experiment_id, source_run_id=run_id, name="other")
    client.log_metric(
        run_id,
        "accuracy",
        0.9,
        timestamp=1000,
        step=1,
        model_id=scored.model_id,
        dataset_name="eval",
        dataset_digest="abc123",
    )
    client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 0.25, 2000, 2, model_id=scored.model_id),
            Metric(
                "loss",
                0.5,
                2000,
                2,
                model_id=other.model_id,
                dataset_name="train",
                dataset_digest="d2",
            ),
            Metric("plain", 1.0, 2000, 2),  # a run metric only
        ],
    )
    return experiment_id, scored.model_id, other.model_id


def test_metrics_logged_with_a_model_id_belong_to_the_model(
    client: Any, experiment_name: str
) -> None:
    experiment_id, scored_id, other_id = _model_with_metrics(client, experiment_name)

    metrics = {m.key: m for m in client.get_logged_model(scored_id).metrics}
    assert set(metrics) == {"accuracy", "loss"}
    accuracy = metrics["accuracy"]
    assert (accuracy.value, accuracy.step, accuracy.timestamp) == (0.9, 1, 1000)
    assert (accuracy.dataset_name, accuracy.dataset_digest) == ("eval", "abc123")
    assert accuracy.model_id == scored_id
    assert accuracy.run_id
    assert metrics["loss"].dataset_name is None
    # the run still has them as ordinary metrics
    run_metrics = client.get_run(accuracy.run_id).data.metrics
    assert set(run_metrics) == {"accuracy", "loss", "plain"}

    found = {m.model_id: m for m in client.search_logged_models([experiment_id])}
    assert {m.key for m in found[scored_id].metrics} == {"accuracy", "loss"}
    assert [(m.key, m.value) for m in found[other_id].metrics] == [("loss", 0.5)]


def test_search_logged_models_by_dataset(
    any_server: ServerProcess, client: Any, experiment_name: str
) -> None:
    experiment_id, scored_id, other_id = _model_with_metrics(client, experiment_name)

    def ids(datasets: list[dict[str, str]]) -> set[str]:
        return {m.model_id for m in client.search_logged_models([experiment_id], datasets=datasets)}

    assert ids([{"dataset_name": "eval"}]) == {scored_id}
    assert ids([{"dataset_name": "eval", "dataset_digest": "abc123"}]) == {scored_id}
    assert ids([{"dataset_name": "eval", "dataset_digest": "other"}]) == set()
    assert ids([{"dataset_name": "train"}]) == {other_id}
    assert ids([{"dataset_name": "eval"}, {"dataset_name": "train"}]) == {scored_id, other_id}
    assert ids([{"dataset_name": "nothing"}]) == set()

    # the client cannot send a dataset without a name; MLflow's server refuses one
    answer = requests.post(
        f"{any_server.url}/api/2.0/mlflow/logged-models/search",
        json={"experiment_ids": [experiment_id], "datasets": [{"dataset_digest": "abc123"}]},
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "`dataset_name` in the `datasets` clause must be specified.",
    }


def test_artifact_proxy_takes_any_safe_relative_path(any_server: ServerProcess) -> None:
    base = any_server.url + ARTIFACTS
    put = requests.put(f"{base}/loose/dir/notes.txt", data=b"hello", timeout=30)
    assert put.status_code == 200, put.text
    got = requests.get(f"{base}/loose/dir/notes.txt", timeout=30)
    assert got.status_code == 200
    assert got.content == b"hello"
    assert got.headers["x-content-type-options"] == "nosniff"
    listed = requests.get(base, params={"path": "loose"}, timeout=30).json()
    assert listed["files"] == [{"path": "dir", "is_dir": True}]
    listed = requests.get(base, params={"path": "loose/dir"}, timeout=30).json()
    assert listed["files"] == [{"path": "notes.txt", "is_dir": False, "file_size": 5}]
    # an HTML file comes back as an attachment, never rendered on the server's origin
    requests.put(f"{base}/loose/page.html", data=b"<script>1</script>", timeout=30)
    page = requests.get(f"{base}/loose/page.html", timeout=30)
    assert page.headers["content-disposition"].startswith("attachment")
    # MLflow deletes a file of its proxy too
    deleted = requests.delete(f"{base}/loose/dir/notes.txt", timeout=30)
    assert deleted.status_code == 200, deleted.text
    assert requests.get(f"{base}/loose/dir/notes.txt", timeout=30).status_code == 404


@pytest.mark.parametrize(
    "path", ["loose/../etc/passwd", "loose/%2e%2e/x", "loose/a%00b", "%2Fetc/passwd", "a\\b"]
)
def test_artifact_proxy_still_refuses_unsafe_paths(server: ServerProcess, path: str) -> None:
    # http.client sends the path as written (requests would resolve the '..' itself)
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("PUT", f"{ARTIFACTS}/{path}", body=b"x")
        answer = conn.getresponse()
        body = json.loads(answer.read())
    finally:
        conn.close()
    assert answer.status == 400, body
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    listed = requests.get(server.url + ARTIFACTS, timeout=30).json().get("files", [])
    assert all(not f["path"].startswith(("etc", "x")) for f in listed)


def test_log_artifact_to_a_loose_artifact_uri(server: ServerProcess, tmp_path: Path) -> None:
    """MLflow's artifact repository for ``mlflow-artifacts:/`` any path round-trips a file."""
    import mlflow
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    mlflow.set_tracking_uri(server.url)
    try:
        repo = get_artifact_repository("mlflow-artifacts:/shared/eval")
        source = tmp_path / "table.csv"
        source.write_text("a,b\n1,2\n")
        repo.log_artifact(str(source), "tables")
        assert [f.path for f in repo.list_artifacts("tables")] == ["tables/table.csv"]
        (tmp_path / "out").mkdir()
        out = repo.download_artifacts("tables/table.csv", str(tmp_path / "out"))
        assert Path(out).read_text() == "a,b\n1,2\n"
    finally:
        mlflow.set_tracking_uri("")


def test_ajax_api_twins_of_the_rest_routes(server: ServerProcess, experiment_name: str) -> None:
    """MLflow's server answers its REST API under ``/ajax-api/2.0/mlflow/`` too."""
    created = requests.post(
        f"{server.url}/ajax-api/2.0/mlflow/experiments/create",
        json={"name": experiment_name},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    experiment_id = created.json()["experiment_id"]
    got = requests.get(
        f"{server.url}/ajax-api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": experiment_name},
        timeout=30,
    )
    assert got.json()["experiment"]["experiment_id"] == experiment_id
    missing = requests.get(f"{server.url}/ajax-api/2.0/mlflow/no/such", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_get_artifact_routes(server: ServerProcess, tmp_path: Path, experiment_name: str) -> None:
    """``/get-artifact`` (a run's file) and ``/model-versions/get-artifact`` (a version's)."""
    import mlflow

    client = mlflow.MlflowClient(server.url, registry_uri=server.url)
    experiment_id = client.create_experiment(experiment_name)
    run_id = client.create_run(experiment_id).info.run_id
    source = tmp_path / "model" / "weights.txt"
    source.parent.mkdir()
    source.write_text("w=1")
    mlflow.set_tracking_uri(server.url)
    try:
        client.log_artifacts(run_id, str(source.parent), "model")
    finally:
        mlflow.set_tracking_uri("")
    got = requests.get(
        f"{server.url}/get-artifact", params={"run_id": run_id, "path": "model/weights.txt"}
    )
    assert got.status_code == 200, got.text
    assert got.content == b"w=1"
    assert got.headers["x-content-type-options"] == "nosniff"
    unsafe = requests.get(
        f"{server.url}/get-artifact", params={"run_uuid": run_id, "path": "../x"}, timeout=30
    )
    assert unsafe.status_code == 400

    name = f"m-{experiment_name}"
    client.create_registered_model(name)
    version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    got = requests.get(
        f"{server.url}/model-versions/get-artifact",
        params={"name": name, "version": version.version, "path": "weights.txt"},
        timeout=30,
    )
    assert got.status_code == 200, got.text
    assert got.content == b"w=1"


def test_search_logged_models_by_and_ordered_by_a_metric(client: Any, experiment_name: str) -> None:
    """``metrics.KEY`` compares and orders by the model's latest value (highest step)."""
    experiment_id, scored_id, other_id = _model_with_metrics(client, experiment_name)
    run_id = client.get_logged_model(scored_id).source_run_id
    client.log_metric(run_id, "loss", 0.75, timestamp=500, step=1, model_id=scored_id)

    def ids(filter_string: str, **kwargs: Any) -> list[str]:
        found = client.search_logged_models([experiment_id], filter_string=filter_string, **kwargs)
        return [m.model_id for m in found]

    assert ids("metrics.loss < 0.3") == [scored_id]  # 0.25 at step 2 is its latest
    assert ids("metrics.loss > 0.3") == [other_id]
    assert ids("metrics.accuracy >= 0.9") == [scored_id]
    assert ids("metrics.loss > 0.3", datasets=[{"dataset_name": "eval"}]) == []
    ordered = ids("", order_by=[{"field_name": "metrics.loss", "ascending": False}])
    assert ordered == [other_id, scored_id]
    ordered = ids("", order_by=[{"field_name": "metrics.accuracy", "ascending": True}])
    assert ordered == [scored_id, other_id]  # a model without the metric comes last

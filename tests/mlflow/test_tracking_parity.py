"""Experiments, runs and their validation as MLflow's own server has them (issue 25), on a
real server on SQLite and PostgreSQL: an experiment's ``artifact_location`` is kept and its
runs live under it; request types are checked before anything is looked up; metric, param
and tag keys that are not plain names (``..``, ``/abs``) are refused; and the messages
clients match on read as MLflow's."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import ServerProcess

API = "/api/2.0/mlflow"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_server(request: pytest.FixtureRequest) -> ServerProcess:
    """The module's SQLite server, or a fresh one on PostgreSQL."""
    name = "server" if request.param == "sqlite" else "pg_server"
    proc: ServerProcess = request.getfixturevalue(name)
    return proc


def _post(server: ServerProcess, route: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{server.url}{API}/{route}", json=body, timeout=30)


def _refused(response: requests.Response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE", body
    return str(body["message"])


def _new_run(server: ServerProcess) -> str:
    created = _post(server, "experiments/create", {"name": f"exp-{uuid.uuid4().hex[:10]}"})
    assert created.status_code == 200, created.text
    body = {"experiment_id": created.json()["experiment_id"], "start_time": 1_700_000_000_000}
    run = _post(server, "runs/create", body)
    assert run.status_code == 200, run.text
    return str(run.json()["run"]["info"]["run_id"])


def test_artifact_location_is_kept_and_the_client_writes_its_runs_files_there(
    any_server: ServerProcess, experiment_name: str, tmp_path: Path
) -> None:
    import mlflow

    client = mlflow.MlflowClient(any_server.url)
    location = (tmp_path / "elsewhere").as_uri()
    exp_id = client.create_experiment(experiment_name, artifact_location=location)
    assert client.get_experiment(exp_id).artifact_location == location
    assert client.get_experiment_by_name(experiment_name).artifact_location == location
    run = client.create_run(exp_id)
    run_id = run.info.run_id
    assert run.info.artifact_uri == f"{location}/{run_id}/artifacts"
    assert client.get_run(run_id).info.artifact_uri == f"{location}/{run_id}/artifacts"
    [found] = client.search_runs([exp_id])
    assert found.info.artifact_uri == f"{location}/{run_id}/artifacts"
    # the client writes there itself; the server never touches the location
    client.log_text(run_id, "hello", "notes/a.txt")
    assert (tmp_path / "elsewhere" / run_id / "artifacts" / "notes" / "a.txt").read_text() == (
        "hello"
    )
    plain = client.create_experiment(f"{experiment_name}-plain")
    assert client.get_experiment(plain).artifact_location == f"mlflow-artifacts:/{plain}"
    assert client.create_run(plain).info.artifact_uri.startswith(f"mlflow-artifacts:/{plain}/")
    # the location is not a tag, and no tag can change it
    assert set(client.get_experiment(exp_id).tags) == set()
    reserved = {"experiment_id": exp_id, "key": "trailmark.mlflow.artifact_location", "value": "/"}
    _refused(_post(any_server, "experiments/set-experiment-tag", reserved))
    assert client.get_experiment(exp_id).artifact_location == location
    runs_uri = _post(
        any_server,
        "experiments/create",
        {"name": f"{experiment_name}-r", "artifact_location": "runs:/x"},
    )
    assert "runs:/" in _refused(runs_uri)


def test_types_are_checked_before_anything_is_looked_up(any_server: ServerProcess) -> None:
    message = _refused(_post(any_server, "experiments/create", {"name": 123}))
    assert message.startswith("Invalid value 123 for parameter 'name' supplied")
    bad_location = {"name": f"exp-{uuid.uuid4().hex[:10]}", "artifact_location": 5}
    assert "'artifact_location'" in _refused(_post(any_server, "experiments/create", bad_location))
    wrong_types: list[tuple[str, dict[str, Any]]] = [
        ("runs/update", {"run_id": 123, "status": "FINISHED"}),
        ("runs/log-batch", {"run_id": 123, "metrics": []}),
        ("runs/log-metric", {"run_id": 123, "key": "m", "value": 1.0, "timestamp": 1}),
        ("runs/delete", {"run_id": 123}),
    ]
    for route, body in wrong_types:
        message = _refused(_post(any_server, route, body))
        assert "Invalid value 123 for parameter 'run_id' supplied" in message, route
    missing = _refused(_post(any_server, "runs/update", {"status": "FINISHED"}))
    assert missing == "Missing value for required parameter 'run_id'."


@pytest.mark.parametrize(
    ("field", "key", "path"),
    [
        ("metrics", "../escape", "metrics[0].name"),
        ("metrics", "/abs", "metrics[0].name"),
        ("metrics", "a/../b", "metrics[0].name"),
        ("params", "..", "params[0].key"),
        ("params", "/etc/passwd", "params[0].key"),
        ("tags", "x/./y", "tags[0].key"),
        ("tags", "semi;colon", "tags[0].key"),
    ],
)
def test_log_batch_refuses_keys_that_are_not_plain_names(
    server: ServerProcess, field: str, key: str, path: str
) -> None:
    run_id = _new_run(server)
    item: dict[str, Any] = {"key": key, "value": "1"}
    if field == "metrics":
        item = {"key": key, "value": 1.0, "timestamp": 1_700_000_000_000, "step": 0}
    message = _refused(_post(server, "runs/log-batch", {"run_id": run_id, field: [item]}))
    assert message.startswith(f"Invalid value \"{key}\" for parameter '{path}' supplied"), message


def test_single_logs_refuse_path_keys_and_plain_names_pass(any_server: ServerProcess) -> None:
    run_id = _new_run(any_server)
    metric = {"run_id": run_id, "key": "../m", "value": 1.0, "timestamp": 1}
    assert "parameter 'name'" in _refused(_post(any_server, "runs/log-metric", metric))
    param = {"run_id": run_id, "key": "/p", "value": "1"}
    assert "parameter 'key'" in _refused(_post(any_server, "runs/log-parameter", param))
    tag = {"run_id": run_id, "key": "a/../t", "value": "1"}
    assert "parameter 'key'" in _refused(_post(any_server, "runs/set-tag", tag))
    fine = {
        "run_id": run_id,
        "metrics": [{"key": "train/loss a:b", "value": 1.0, "timestamp": 1, "step": 0}],
        "params": [{"key": "opt/lr", "value": "0.1"}],
        "tags": [{"key": "team-1.x", "value": "v"}],
    }
    assert _post(any_server, "runs/log-batch", fine).status_code == 200
    got = requests.get(f"{any_server.url}{API}/runs/get", params={"run_id": run_id}, timeout=30)
    data = got.json()["run"]["data"]
    assert [m["key"] for m in data["metrics"]] == ["train/loss a:b"]
    assert {"key": "opt/lr", "value": "0.1"} in data["params"]


def test_messages_read_as_mlflows(any_server: ServerProcess) -> None:
    name = f"exp-{uuid.uuid4().hex[:10]}"
    assert _post(any_server, "experiments/create", {"name": name}).status_code == 200
    again = _post(any_server, "experiments/create", {"name": name})
    assert again.status_code == 400 and again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert again.json()["message"].startswith(f"Experiment(name={name}) already exists.")
    missing_run = requests.get(
        f"{any_server.url}{API}/runs/get", params={"run_id": "f" * 32}, timeout=30
    )
    assert missing_run.status_code == 404
    assert missing_run.json()["message"] == f"Run with id={'f' * 32} not found"
    no_id = requests.get(f"{any_server.url}{API}/runs/get", timeout=30)
    assert _refused(no_id) == "Missing value for required parameter 'run_id'."


def test_field_types_are_named_as_mlflow_names_them(server: ServerProcess) -> None:
    run_id = _new_run(server)
    not_a_list = {"name": f"exp-{uuid.uuid4().hex[:10]}", "tags": "5"}
    message = _refused(_post(server, "experiments/create", not_a_list))
    assert message.startswith("Invalid value \"5\" for parameter 'tags' supplied")
    metric = {"run_id": run_id, "key": "foo", "value": 31, "timestamp": 59, "step": 26}
    for field, value in [("key", 31), ("step", "foo"), ("timestamp", "foo")]:
        message = _refused(_post(server, "runs/log-metric", {**metric, field: value}))
        shown = '"foo"' if value == "foo" else "31"
        assert message.startswith(f"Invalid value {shown} for parameter '{field}' supplied")
    for field in ["key", "timestamp"]:
        missing = _refused(_post(server, "runs/log-metric", {**metric, field: None}))
        assert missing == f"Missing value for required parameter '{field}'."
    param = {"run_id": run_id, "key": 31, "value": "1"}
    message = _refused(_post(server, "runs/log-parameter", param))
    assert message.startswith("Invalid value 31 for parameter 'key' supplied")
    assert _post(server, "runs/log-metric", metric).status_code == 200


def test_batch_and_search_fields_are_named_as_mlflow_names_them(server: ServerProcess) -> None:
    run_id = _new_run(server)
    for field in ["metrics", "params", "tags"]:
        message = _refused(_post(server, "runs/log-batch", {"run_id": run_id, field: "foo"}))
        assert message.startswith(f"Invalid value \"foo\" for parameter '{field}' supplied")
    no_time = {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5}]}
    assert _refused(_post(server, "runs/log-batch", no_time)) == (
        "Missing value for required parameter 'metrics[0].timestamp'."
    )
    with_time = {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5, "timestamp": 12}]}
    assert _post(server, "runs/log-batch", with_time).status_code == 200
    tag = {"run_id": run_id, "key": "param", "value": 41}
    assert _refused(_post(server, "runs/set-tag", tag)).startswith(
        "Invalid value 41 for parameter 'value' supplied"
    )
    search = {"experiment_ids": ["0"], "max_results": 123456789}
    assert "Invalid value 123456789 for parameter 'max_results' supplied" in _refused(
        _post(server, "runs/search", search)
    )


def test_log_inputs_checks_its_fields_as_mlflow_does(server: ServerProcess) -> None:
    run_id = _new_run(server)
    dataset = {"dataset": {"name": "d", "digest": "1", "source_type": "local", "source": "s"}}
    no_run = _refused(_post(server, "runs/log-inputs", {"datasets": [dataset]}))
    assert no_run == "Missing value for required parameter 'run_id'."
    not_list = _refused(_post(server, "runs/log-inputs", {"run_id": run_id, "datasets": "x"}))
    assert not_list.startswith("Invalid value \"x\" for parameter 'datasets' supplied")
    body = {"run_id": run_id, "datasets": [dataset]}
    assert _post(server, "runs/log-inputs", body).status_code == 200

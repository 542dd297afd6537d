"""What MLflow's own REST tests found still different, on SQLite and PostgreSQL: the default
order of version searches, the UI's ``/ajax-api`` routes (bulk metric history, dataset
summaries, small uploads), refusals worded as MLflow words them, a registered model's
``last_updated_timestamp``, and tag names that merely contain "key".
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.mlflow.servers import DATABASES, mlflow_client_of, server_on
from tests.support import ServerProcess
from trailmark.redact import REDACTED


@pytest.fixture(scope="module", params=DATABASES)
def parity_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A real server process, once on SQLite and once on PostgreSQL, shared by the module."""
    with server_on(request.param, tmp_path_factory.mktemp("rest-parity")) as proc:
        yield proc


@pytest.fixture
def client(parity_server: ServerProcess) -> Iterator[Any]:
    with mlflow_client_of(parity_server) as found:
        yield found


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _refused(answer: requests.Response, message: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in body["message"]


def _later_than(stamp: int, change: Any) -> Any:
    """Repeat ``change`` until what it returns was changed after ``stamp`` (ms): two calls
    may fall in the same millisecond."""
    deadline = time.monotonic() + 5
    while True:
        changed = change()
        if changed.last_updated_timestamp > stamp or time.monotonic() > deadline:
            return changed


# model-versions/search


def test_version_search_orders_last_changed_first_by_default(client: Any) -> None:
    first, second = _name("order-a"), _name("order-b")
    for name in (first, second):
        client.create_registered_model(name)
        for _ in range(2):
            client.create_model_version(name, "s3://bucket/model")
    newest = client.get_model_version(second, "2").last_updated_timestamp
    touched = _later_than(
        newest, lambda: client.update_model_version(first, "1", description="touched")
    )
    found = client.search_model_versions(f"name IN ('{first}', '{second}')")
    order = [(v.name, v.version) for v in found]
    expected = sorted(found, key=lambda v: (-v.last_updated_timestamp, v.name, -int(v.version)))
    assert order == [(v.name, v.version) for v in expected]
    assert order[0] == (first, "1") and touched.last_updated_timestamp > newest
    # paged, the same order; an explicit order_by still wins (name, then newest version)
    page = client.search_model_versions(f"name IN ('{first}', '{second}')", max_results=2)
    assert [(v.name, v.version) for v in page] == order[:2]
    by_name = client.search_model_versions(
        f"name IN ('{first}', '{second}')", order_by=["name ASC"]
    )
    assert [(v.name, v.version) for v in by_name] == [
        (first, "2"),
        (first, "1"),
        (second, "2"),
        (second, "1"),
    ]


# the registered model's last_updated_timestamp; versions are numbers


def test_a_stage_change_and_a_version_delete_update_the_model(client: Any) -> None:
    name = _name("stamped")
    client.create_registered_model(name)
    client.create_model_version(name, "s3://bucket/model")
    created = client.create_model_version(name, "s3://bucket/model").creation_timestamp
    moved = _later_than(
        created, lambda: client.transition_model_version_stage(name, "1", "Staging")
    )
    model = client.get_registered_model(name)
    assert model.last_updated_timestamp == moved.last_updated_timestamp > created
    before = int(time.time() * 1000)
    client.delete_model_version(name, "2")
    assert client.get_registered_model(name).last_updated_timestamp >= before
    assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]


def test_a_version_that_is_not_a_number_is_a_400(client: Any, parity_server: ServerProcess) -> None:
    from mlflow.exceptions import MlflowException

    name = _name("numbered")
    client.create_registered_model(name)
    client.create_model_version(name, "s3://bucket/model")
    message = "Parameter 'version' must be an integer, got 'abc'."
    api = f"{parity_server.url}/api/2.0/mlflow/model-versions"
    _refused(requests.get(f"{api}/get", params={"name": name, "version": "abc"}), message)
    _refused(requests.delete(f"{api}/delete", json={"name": name, "version": "abc"}), message)
    _refused(
        requests.post(
            f"{api}/transition-stage", json={"name": name, "version": "abc", "stage": "Staging"}
        ),
        message,
    )
    with pytest.raises(MlflowException) as caught:
        client.get_model_version(name, "abc")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_model_version(name, "1").version == "1"


# tags whose names merely contain "key"


def test_tag_names_with_key_in_them_are_kept(client: Any) -> None:
    name = _name("tagged")
    client.create_registered_model(name, tags={"another key": "some value", "api_key": "k-123"})
    client.set_registered_model_tag(name, "sort_key", "loss")
    tags = client.get_registered_model(name).tags
    assert tags == {"another key": "some value", "sort_key": "loss", "api_key": REDACTED}


# /ajax-api/2.0/mlflow/metrics/get-history-bulk and -bulk-interval


HISTORY = [
    {"key": "metricA", "timestamp": 1, "step": 2, "value": 10.0},
    {"key": "metricA", "timestamp": 1, "step": 3, "value": 11.0},
    {"key": "metricA", "timestamp": 1, "step": 3, "value": 12.0},
    {"key": "metricA", "timestamp": 2, "step": 3, "value": 12.0},
]


def test_bulk_metric_history_of_several_runs(client: Any, parity_server: ServerProcess) -> None:
    experiment_id = client.create_experiment(_name("bulk"))
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(3)]
    for point in HISTORY:
        client.log_metric(run_ids[0], **point)
        client.log_metric(run_ids[1], **{**point, "value": point["value"] + 1})
    url = f"{parity_server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk"

    def bulk(**params: Any) -> list[dict[str, Any]]:
        answer = requests.get(url, params={"metric_key": "metricA", **params})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["metrics"])

    first = [{**p, "run_id": run_ids[0]} for p in HISTORY]
    second = [{**p, "value": p["value"] + 1, "run_id": run_ids[1]} for p in HISTORY]
    assert bulk(run_id=[run_ids[0]]) == first
    both = sorted([(first, run_ids[0]), (second, run_ids[1])], key=lambda pair: pair[1])
    assert bulk(run_id=run_ids) == both[0][0] + both[1][0]  # the third run has none
    assert bulk(run_id=[run_ids[0]], max_results=2) == first[:2]
    assert bulk(run_id=["no-such-run"]) == []

    def refused(params: dict[str, Any], message: str) -> None:
        _refused(requests.get(url, params=params), message)

    refused({"metric_key": "k"}, "GetMetricHistoryBulk request must specify at least one run_id")
    refused(
        {"run_id": [f"id_{i}" for i in range(101)], "metric_key": "k"},
        "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101",
    )
    refused({"run_id": ["123"]}, "GetMetricHistoryBulk request must specify a metric_key.")


def test_bulk_interval_refusals_say_what_mlflow_says(parity_server: ServerProcess) -> None:
    url = f"{parity_server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    missing = "Missing value for required parameter 'run_ids'."
    _refused(requests.get(url, params={"metric_key": "key"}), missing)
    _refused(requests.get(url, params={"run_ids": [], "metric_key": "key"}), missing)
    _refused(
        requests.get(url, params={"run_ids": [f"id_{i}" for i in range(1000)], "metric_key": "k"}),
        "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
        "Received 1000 run_ids.",
    )
    _refused(
        requests.get(url, params={"run_ids": ["123"], "metric_key": ""}),
        "Missing value for required parameter 'metric_key'",
    )
    for most in (0, 2501):  # checked before the runs are looked up
        _refused(
            requests.get(url, params={"run_ids": ["123"], "metric_key": "k", "max_results": most}),
            "max_results must be between 1 and 2500",
        )


# /ajax-api/2.0/mlflow/experiments/search-datasets


def test_dataset_summaries_of_experiments(client: Any, parity_server: ServerProcess) -> None:
    from mlflow.entities import Dataset, DatasetInput, InputTag

    experiment_id = client.create_experiment(_name("datasets"))
    other_id = client.create_experiment(_name("datasets"))
    run_id = client.create_run(experiment_id).info.run_id

    def used(name: str, digest: str, context: str | None) -> DatasetInput:
        tags = [] if context is None else [InputTag(key="mlflow.data.context", value=context)]
        dataset = Dataset(name=name, digest=digest, source_type="local", source="/data")
        return DatasetInput(dataset=dataset, tags=tags)

    client.log_inputs(run_id, [used("train", "d1", "training"), used("eval", "d2", None)])
    again = client.create_run(experiment_id).info.run_id
    client.log_inputs(again, [used("train", "d1", "training")])  # the same summary: once
    url = f"{parity_server.url}/ajax-api/2.0/mlflow/experiments/search-datasets"
    answer = requests.post(url, json={"experiment_ids": [experiment_id, other_id]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["dataset_summaries"] == [
        {"experiment_id": experiment_id, "name": "train", "digest": "d1", "context": "training"},
        {"experiment_id": experiment_id, "name": "eval", "digest": "d2"},
    ]
    none = requests.post(url, json={"experiment_ids": [other_id]})
    assert none.status_code == 200 and none.json().get("dataset_summaries", []) == []
    at_least_one = "SearchDatasets request must specify at least one experiment_id."
    _refused(requests.post(url, json={}), at_least_one)
    _refused(requests.post(url, json={"experiment_ids": []}), at_least_one)
    _refused(
        requests.post(url, json={"experiment_ids": [f"id_{i}" for i in range(21)]}),
        "SearchDatasets request cannot specify more than 20 experiment_ids. Received 21",
    )


# /ajax-api/2.0/mlflow/upload-artifact

UPLOAD_HEADERS = {"Content-Type": "application/json"}
"""A POST whose body has a type no web form can send (the cross-site rule): MLflow's server
takes any body there, Trailmark refuses the types a page on another site could post."""


def test_upload_artifact_puts_a_small_file_in_a_run(
    client: Any, parity_server: ServerProcess
) -> None:
    run_id = client.create_run(client.create_experiment(_name("upload"))).info.run_id
    url = f"{parity_server.url}/ajax-api/2.0/mlflow/upload-artifact"
    params = {"run_uuid": run_id, "path": "notes/a.txt"}
    answer = requests.post(url, params=params, data=b"hi", headers=UPLOAD_HEADERS)
    assert answer.status_code == 200, answer.text
    for form_type in ({}, {"Content-Type": "text/plain"}):
        assert requests.post(url, params=params, data=b"evil", headers=form_type).status_code == 415
    got = requests.get(
        f"{parity_server.url}/get-artifact", params={"run_id": run_id, "path": "notes/a.txt"}
    )
    assert (got.status_code, got.content) == (200, b"hi")
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/a.txt"]
    # A file's natural type (no form can send it) is taken too, its bytes as they are.
    binary = {"Content-Type": "application/octet-stream"}
    params_b = {"run_uuid": run_id, "path": "notes/b.bin"}
    assert requests.post(url, params=params_b, data=b"\x00\xff", headers=binary).status_code == 200
    got = requests.get(
        f"{parity_server.url}/get-artifact", params={"run_id": run_id, "path": "notes/b.bin"}
    )
    assert (got.status_code, got.content) == (200, b"\x00\xff")

    def refused(params: dict[str, str], message: str, data: bytes = b"x") -> None:
        _refused(requests.post(url, params=params, data=data, headers=UPLOAD_HEADERS), message)

    refused({}, "Request must specify run_id or run_uuid.")
    refused({"run_id": run_id}, "Request must specify path.")
    refused({"run_id": run_id, "path": ""}, "Request must specify path.")
    for unsafe in ("../a.txt", "/etc/passwd", "a/../../b"):
        refused({"run_id": run_id, "path": unsafe}, "Invalid path")
    refused({"run_id": run_id, "path": "a.txt"}, "Request must specify data.", data=b"")
    refused(
        {"run_id": run_id, "path": "big.bin"},
        "Artifact size is too large. Max size is 10MB.",
        data=b"\0" * (10 * 1024 * 1024 + 1),
    )
    assert [f.path for f in client.list_artifacts(run_id)] == ["notes"]
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == [
        "notes/a.txt",
        "notes/b.bin",
    ]
    missing = requests.post(
        url, params={"run_id": "nope", "path": "a.txt"}, data=b"x", headers=UPLOAD_HEADERS
    )
    assert missing.status_code == 404


# a logged model remembers the versions registered from it


def test_a_logged_model_lists_the_versions_made_from_it(client: Any) -> None:
    name = _name("from-model")
    client.create_registered_model(name)
    model = client.create_logged_model(experiment_id=client.create_experiment(_name("lm")))
    for _ in range(2):
        client.create_model_version(name, model.artifact_location, model_id=model.model_id)
    tags = client.get_logged_model(model.model_id).tags
    assert json.loads(tags["mlflow.modelVersions"]) == [
        {"name": name, "version": 1},
        {"name": name, "version": 2},
    ]


# /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files


def test_a_logged_models_file_downloads_through_mlflows_ui_route(
    client: Any, parity_server: ServerProcess, tmp_path: Path
) -> None:
    model = client.create_logged_model(experiment_id=client.create_experiment(_name("lm-files")))
    (tmp_path / "MLmodel").write_text(f"model_uuid: {model.model_id}\n")
    client.log_model_artifact(model.model_id, str(tmp_path / "MLmodel"))
    url = f"{parity_server.url}/ajax-api/2.0/mlflow/logged-models/{model.model_id}/artifacts/files"
    got = requests.get(url, params={"artifact_file_path": "MLmodel"})
    assert got.status_code == 200, got.text
    assert model.model_id in got.text
    assert got.headers["x-content-type-options"] == "nosniff"  # stored bytes, served inert
    bare = requests.get(url)  # MLflow answers BAD_REQUEST here
    assert bare.status_code == 400 and bare.json()["error_code"] == "BAD_REQUEST"
    assert "artifact_file_path" in bare.json()["message"]
    for unsafe in ("../MLmodel", "/etc/passwd"):
        answer = requests.get(url, params={"artifact_file_path": unsafe})
        assert answer.status_code == 400, (unsafe, answer.text)
    missing = requests.get(url, params={"artifact_file_path": "nope.txt"})
    assert missing.status_code == 404

"""MLflow's error contract and idempotent retries, with raw requests to the app in-process."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

API = "/api/2.0/mlflow"


def _run(client: TestClient, experiment: str = "errs") -> str:
    created = client.post(f"{API}/experiments/create", json={"name": experiment})
    assert created.status_code == 200, created.text
    body = {"experiment_id": created.json()["experiment_id"], "start_time": 1_700_000_000_000}
    return str(client.post(f"{API}/runs/create", json=body).json()["run"]["info"]["run_id"])


def _error(response: Any) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    assert body["message"]
    return response.status_code, body["error_code"]


def test_codes_and_statuses_the_client_branches_on(app_client: TestClient) -> None:
    client = app_client
    missing = client.get(f"{API}/experiments/get-by-name", params={"experiment_name": "nope"})
    assert _error(missing) == (404, "RESOURCE_DOES_NOT_EXIST")
    client.post(f"{API}/experiments/create", json={"name": "taken"})
    again = client.post(f"{API}/experiments/create", json={"name": "taken"})
    assert _error(again) == (400, "RESOURCE_ALREADY_EXISTS")
    assert _error(client.get(f"{API}/runs/get", params={"run_id": "f" * 32})) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    bad_filter = client.post(f"{API}/runs/search", json={"experiment_ids": ["0"], "filter": "x ="})
    assert _error(bad_filter) == (400, "INVALID_PARAMETER_VALUE")
    no_name = client.post(f"{API}/experiments/create", json={})
    assert _error(no_name) == (400, "INVALID_PARAMETER_VALUE")
    not_json = client.post(
        f"{API}/runs/log-batch", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert _error(not_json) == (400, "INVALID_PARAMETER_VALUE")
    slash = client.post(f"{API}/experiments/create", json={"name": "a/b"})
    assert _error(slash) == (400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/2.0/mlflow/traces/search"),
        ("GET", "/api/2.0/mlflow/gateway/endpoints/list"),
        ("POST", "/api/2.0/mlflow/scorers/register"),
        ("GET", "/api/3.0/mlflow/traces/abc"),
        ("POST", "/api/2.0/mlflow/runs/get"),  # known path, wrong method
        ("GET", "/ajax-api/2.0/mlflow/experiments/search"),
    ],
)
def test_unserved_endpoints_answer_endpoint_not_found(
    app_client: TestClient, method: str, path: str
) -> None:
    response = app_client.request(method, path, json={})
    assert _error(response) == (404, "ENDPOINT_NOT_FOUND")


def test_trailmark_routes_keep_their_own_error_body(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/projects/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_server_timing_header(app_client: TestClient) -> None:
    response = app_client.post(f"{API}/experiments/search", json={})
    assert response.status_code == 200
    assert response.headers["server-timing"].startswith("app;dur=")


def test_retried_writes_add_nothing_twice(app_client: TestClient) -> None:
    client = app_client
    run_id = _run(client)
    batch = {
        "run_id": run_id,
        "metrics": [
            {"key": "loss", "value": v, "timestamp": 1_700_000_000_000 + s, "step": s}
            for s, v in enumerate([0.5, 0.4, "NaN", 0.3])
        ],
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "team", "value": "a"}],
    }
    point = {
        "run_id": run_id,
        "key": "acc",
        "value": 0.9,
        "timestamp": 1_700_000_000_000,
        "step": 7,
    }
    for _ in range(3):  # a client retrying after timeouts
        assert client.post(f"{API}/runs/log-batch", json=batch).status_code == 200
        assert client.post(f"{API}/runs/log-metric", json=point).status_code == 200
        param = {"run_id": run_id, "key": "lr", "value": "0.1"}
        assert client.post(f"{API}/runs/log-parameter", json=param).status_code == 200
    history = client.get(
        f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
    )
    assert [m["step"] for m in history.json()["metrics"]] == [0, 1, 2, 3]
    assert history.json()["metrics"][2]["value"] == "NaN"
    acc = client.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "acc"})
    assert len(acc.json()["metrics"]) == 1
    # the same step with another value or time is a new point, as in MLflow
    point["value"] = 0.95
    client.post(f"{API}/runs/log-metric", json=point)
    acc = client.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "acc"})
    assert [m["value"] for m in acc.json()["metrics"]] == [0.9, 0.95]
    changed = client.post(
        f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.2"}
    )
    code = _error(changed)
    assert (
        code == (400, "INVALID_PARAMETER_VALUE")
        and "Changing param values" in changed.json()["message"]
    )


def test_batch_limits_and_whole_batch_refusal(app_client: TestClient) -> None:
    client = app_client
    run_id = _run(client, "limits")
    too_many = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)],
    }
    assert _error(client.post(f"{API}/runs/log-batch", json=too_many)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    half_bad = {
        "run_id": run_id,
        "metrics": [
            {"key": "good", "value": 1, "timestamp": 1, "step": 0},
            {"key": "bad", "value": "x", "timestamp": 1, "step": 0},
        ],
    }
    assert (
        _error(client.post(f"{API}/runs/log-batch", json=half_bad))[1] == "INVALID_PARAMETER_VALUE"
    )
    run = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["data"]["metrics"] == []  # nothing of the refused batch was written


def test_history_pages_and_bulk_interval(app_client: TestClient) -> None:
    client = app_client
    run_id = _run(client, "pages")
    metrics = [
        {"key": "m", "value": float(i), "timestamp": 1_000 + i, "step": i} for i in range(900)
    ]
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    steps: list[int] = []
    token = None
    while True:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": "m", "max_results": 250}
        if token:
            params["page_token"] = token
        page = client.get(f"{API}/metrics/get-history", params=params).json()
        steps += [m["step"] for m in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert steps == list(range(900))
    sampled = client.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={
            "run_ids": [run_id],
            "metric_key": "m",
            "max_results": 10,
            "start_step": 100,
            "end_step": 199,
        },
    ).json()["metrics"]
    assert len(sampled) == 10 and sampled[0]["step"] == 100 and sampled[-1]["step"] == 199
    assert all(m["run_id"] == run_id for m in sampled)

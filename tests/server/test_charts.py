"""The dashboard's project-level reads: many series at once, metric keys, columns."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import ingest, metric_records


def test_many_series_in_one_request(client: TestClient) -> None:
    ingest(client, "a", metric_records(3000, loss=1.0, acc=2.0))
    ingest(client, "b", metric_records(10, loss=3.0))
    ingest(client, "other", metric_records(5, loss=1.0), project="q")
    body = client.post(
        "/api/v1/projects/p/series",
        json={"runs": ["a", "b", "other", "missing"], "keys": ["loss", "acc"], "buckets": 100},
    ).json()
    got = {(s["run"], s["key"]): s for s in body["series"]}
    assert sorted(got) == [("a", "acc"), ("a", "loss"), ("b", "loss")], (
        "other projects' runs are not read"
    )
    assert got[("a", "loss")]["bucketed"] and got[("a", "loss")]["count"] <= 200
    assert got[("b", "loss")]["values"] == [3.0 * i for i in range(10)]
    zoom = client.post(
        "/api/v1/projects/p/series",
        json={"runs": ["a"], "keys": ["loss"], "buckets": 100, "min_step": 100, "max_step": 199},
    ).json()["series"][0]
    assert not zoom["bucketed"] and zoom["steps"] == list(range(100, 200))


def test_series_query_limits(client: TestClient) -> None:
    ingest(client, "a", metric_records(3, loss=1.0))
    too_many = client.post(
        "/api/v1/projects/p/series", json={"runs": [str(i) for i in range(101)], "keys": ["x"]}
    )
    assert too_many.status_code == 400 and "runs" in too_many.json()["error"]["message"]
    assert (
        client.post("/api/v1/projects/nope/series", json={"runs": ["a"], "keys": ["x"]}).status_code
        == 404
    )


def test_metric_keys_and_columns(client: TestClient) -> None:
    ingest(
        client,
        "a",
        [
            {"t": "run", "q": 1, "config": {"lr": 0.1, "model": {"layers": 4, "act": "relu"}}},
            *[{**r, "q": r["q"] + 1} for r in metric_records(2, loss=1.0, acc=1.0)],
        ],
    )
    ingest(client, "b", metric_records(2, loss=1.0, **{"val/loss": 1.0}))
    keys = client.post("/api/v1/projects/p/metric-keys", json={"runs": ["a", "b"]}).json()["keys"]
    assert keys == [
        {"key": "acc", "runs": 1},
        {"key": "loss", "runs": 2},
        {"key": "val/loss", "runs": 1},
    ]
    columns = client.get("/api/v1/projects/p/columns").json()
    assert columns == {
        "config": ["lr", "model.act", "model.layers"],
        "summary": ["acc", "loss", "val/loss"],
        "properties": [],
    }

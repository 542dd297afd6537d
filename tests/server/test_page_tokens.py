"""Page positions from the client: a malformed or out-of-range MLflow page token or native
``offset`` is a 400 naming the problem, never a 500 (issue 16, item 8), on both databases."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from trailmark.errors import InvalidInput
from trailmark.limits import MAX_PAGE_OFFSET
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.mlflow.paging import page_offset, page_token

HUGE_OFFSETS = [2**63, 10**30, MAX_PAGE_OFFSET + 1]


def token_of(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def raw_token(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_TOKENS = [
    *(token_of({"offset": n}) for n in HUGE_OFFSETS),
    raw_token('{"offset": 1e400}'),
    raw_token('{"offset": -1e400}'),
    raw_token('{"offset": NaN}'),
    raw_token('{"offset": "9' + "9" * 5000 + '"}'),
    token_of({"offset": -5}),
    token_of({"offset": 2.5}),
    token_of({"offset": True}),
    token_of([1]),
    "not base64 at all \u00e9",
    raw_token("[" * 2000),
]


@given(st.integers(min_value=0, max_value=MAX_PAGE_OFFSET))
def test_a_token_the_server_made_reads_back_as_its_offset(offset: int) -> None:
    assert page_offset(page_token(offset)) == offset


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@given(
    st.one_of(
        st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=64),
        _json.map(lambda v: token_of({"offset": v})),
        st.integers().map(lambda n: token_of({"offset": n})),
        st.floats().map(lambda x: raw_token(f'{{"offset": {x!r}}}')),
    )
)
def test_any_token_is_an_offset_in_range_or_invalid_input(token: str) -> None:
    try:
        offset = page_offset(token)
    except InvalidInput:
        return
    assert type(offset) is int and 0 <= offset <= MAX_PAGE_OFFSET


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.store.close()


def _mlflow_searches(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, fields without the token) of every MLflow route that takes a page token."""
    experiment = client.post("/api/2.0/mlflow/experiments/create", json={"name": "e"}).json()
    run = client.post(
        "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment["experiment_id"]}
    ).json()["run"]["info"]["run_id"]
    client.post(
        "/api/2.0/mlflow/runs/log-metric",
        json={"run_id": run, "key": "loss", "value": 1.0, "timestamp": 1, "step": 0},
    )
    client.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"})
    ids = {"experiment_ids": [experiment["experiment_id"]], "max_results": 5}
    return [
        ("POST", "/api/2.0/mlflow/experiments/search", {"max_results": 5}),
        ("POST", "/api/2.0/mlflow/runs/search", ids),
        ("POST", "/api/2.0/mlflow/logged-models/search", ids),
        ("GET", "/api/2.0/mlflow/registered-models/search", {"max_results": 5}),
        ("GET", "/api/2.0/mlflow/model-versions/search", {"max_results": 5}),
        ("GET", "/api/2.0/mlflow/metrics/get-history", {"run_id": run, "metric_key": "loss"}),
    ]


def test_a_bad_mlflow_page_token_is_invalid_parameter_value(client: TestClient) -> None:
    for method, path, fields in _mlflow_searches(client):
        for token in BAD_TOKENS:
            if method == "GET":
                answer = client.get(path, params={**fields, "page_token": token})
            else:
                answer = client.post(path, json={**fields, "page_token": token})
            assert answer.status_code == 400, (path, token[:40], answer.text)
            assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", answer.text
        good = {**fields, "page_token": page_token(MAX_PAGE_OFFSET)}
        answer = client.get(path, params=good) if method == "GET" else client.post(path, json=good)
        assert answer.status_code == 200, (path, answer.text)


def test_a_native_offset_out_of_range_is_invalid_input(client: TestClient) -> None:
    data = b"weights"
    digest = hashlib.sha256(data).hexdigest()
    client.put(f"/api/v1/projects/p/blobs/{digest}", content=data)
    files = [{"path": "w.bin", "size": len(data), "digest": digest}]
    client.post("/api/v1/projects/p/artifacts/a/versions", json={"files": files})
    client.post("/api/v1/projects/p/runs", json={"name": "r"})
    client.post("/api/v1/models", json={"name": "m"})
    client.post("/api/v1/models/m/versions", json={"source": "artifact:p/a"})
    pages = [
        "/api/v1/projects/p/runs",
        "/api/v1/projects/p/artifacts/a/versions",
        "/api/v1/projects/p/artifacts/a/versions/latest/files",
        "/api/v1/models/m/versions",
        "/api/v1/models/m/versions/latest/files",
        "/api/v1/models/m/events",
    ]
    for path in pages:
        assert client.get(path, params={"offset": MAX_PAGE_OFFSET}).status_code == 200, path
        for offset in HUGE_OFFSETS:
            answer = client.get(path, params={"offset": offset})
            assert answer.status_code == 400, (path, offset, answer.text)
            assert answer.json()["error"]["code"] == "invalid_input", answer.text
    for offset in HUGE_OFFSETS:
        answer = client.post("/api/v1/projects/p/runs/search", json={"offset": offset})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "invalid_input", answer.text

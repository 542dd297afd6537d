"""Native listings with accounts on (issue 17), through the real app and guard, on SQLite
and PostgreSQL: ``GET /api/v1/projects``, ``/api/v1/models`` and ``/api/v1/lineage`` show
only what the caller may read; a creator reads what they just created; a model version
cannot copy files out of a project its creator may not read."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.accounts_fixtures import Team, accounts_team, bearer  # noqa: F401 (the fixture)
from trailmark.server.access.readable import readable_names
from trailmark.server.identity import Identity, from_header


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def carol(team: Team) -> dict[str, str]:
    return bearer(team.user("carol"))


def _create_project(team: Team, name: str, who: dict[str, str]) -> None:
    created = team.client.post("/api/v1/projects", json={"name": name}, headers=who)
    assert created.status_code == 201, created.text
    # the creator reads it at once (granted before the answer)
    assert team.client.get(f"/api/v1/projects/{name}", headers=who).status_code == 200


def _run_with_a_file(team: Team, project: str, run: str, who: dict[str, str]) -> None:
    data = b"weights of " + run.encode()
    base = f"/api/v1/projects/{project}"
    put = team.client.put(f"{base}/blobs/{_sha(data)}", content=data, headers=who)
    assert put.status_code == 201, put.text
    files = [{"path": "model.bin", "size": len(data), "digest": _sha(data)}]
    added = team.client.post(f"{base}/runs/{run}/files", json={"files": files}, headers=who)
    assert added.status_code in (200, 201), added.text


def _names(answer: Any, key: str) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {item["name"] for item in answer.json()[key]}


def test_project_and_model_listings_show_what_the_caller_may_read(
    team: Team, carol: dict[str, str]
) -> None:
    bob = team.as_bob()
    _create_project(team, "bobs", bob)
    _create_project(team, "carols", carol)
    for model, who in (("bob-model", bob), ("carol-model", carol)):
        created = team.client.post("/api/v1/models", json={"name": model}, headers=who)
        assert created.status_code == 201, created.text
        assert team.client.get(f"/api/v1/models/{model}", headers=who).status_code == 200
    listed = {
        name: (
            _names(team.client.get("/api/v1/projects", headers=who), "projects"),
            _names(team.client.get("/api/v1/models", headers=who), "models"),
        )
        for name, who in (("bob", bob), ("carol", carol), ("admin", team.as_admin()))
    }
    assert listed["bob"] == ({"bobs"}, {"bob-model"})
    assert listed["carol"] == ({"carols"}, {"carol-model"})
    assert listed["admin"] == ({"bobs", "carols"}, {"bob-model", "carol-model"})
    searched = team.client.get("/api/v1/projects", params={"search": "o"}, headers=carol)
    assert _names(searched, "projects") == {"carols"}
    team.store.accounts.grants.set("project", "bobs", "user:carol", "viewer", by="bob")
    team.store.accounts.grants.set_visibility("model", "bob-model", "internal")
    assert _names(team.client.get("/api/v1/projects", headers=carol), "projects") == {
        "bobs",
        "carols",
    }
    assert _names(team.client.get("/api/v1/models", headers=carol), "models") == {
        "bob-model",
        "carol-model",
    }


def test_lineage_shows_only_what_the_caller_may_read(team: Team, carol: dict[str, str]) -> None:
    bob = team.as_bob()
    _create_project(team, "bobs", bob)
    _run_with_a_file(team, "bobs", "train1", bob)
    version = team.client.post(
        "/api/v1/models/fraud/versions", json={"source": "runs/train1/model.bin"}, headers=bob
    )
    assert version.status_code == 201, version.text
    lineage = "/api/v1/lineage"
    graph = team.client.get(lineage, params={"node": "run:train1"}, headers=bob)
    assert {n["id"] for n in graph.json()["nodes"]} == {"run:train1", "model:fraud:v1"}
    for node, unknown in (("run:train1", "run:nope"), ("model:fraud:1", "model:nope:1")):
        hidden = team.client.get(lineage, params={"node": node}, headers=carol)
        missing = team.client.get(lineage, params={"node": unknown}, headers=carol)
        assert hidden.status_code == missing.status_code == 404, node
        told = hidden.json()["error"]["message"]
        assert told == missing.json()["error"]["message"].replace("nope", node.split(":")[1])
    # carol may read the model but not the project it was trained in: the run is left out
    team.store.accounts.grants.set("model", "fraud", "user:carol", "viewer", by="bob")
    graph = team.client.get(lineage, params={"node": "model:fraud:1"}, headers=carol)
    assert graph.status_code == 200, graph.text
    assert {n["id"] for n in graph.json()["nodes"]} == {"model:fraud:v1"}
    assert graph.json()["edges"] == []


def test_a_version_cannot_copy_files_from_a_project_its_creator_may_not_read(
    team: Team, carol: dict[str, str]
) -> None:
    bob = team.as_bob()
    _create_project(team, "bobs", bob)
    _run_with_a_file(team, "bobs", "secret-run", bob)
    stolen = team.client.post(
        "/api/v1/models/mine/versions", json={"source": "runs/secret-run/model.bin"}, headers=carol
    )
    assert stolen.status_code == 404
    assert stolen.json()["error"]["message"] == "run 'secret-run' does not exist"
    unknown = team.client.post(
        "/api/v1/models/mine/versions", json={"source": "runs/no-such-run/model.bin"}, headers=carol
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "run 'no-such-run' does not exist"
    assert team.client.get("/api/v1/models", headers=carol).json()["models"] == []


def test_a_user_named_by_a_proxy_reads_what_their_account_may_read(team: Team) -> None:
    for name in ("p1", "p2"):
        made = team.client.post("/api/v1/projects", json={"name": name}, headers=team.as_admin())
        assert made.status_code == 201, made.text
    team.store.accounts.grants.set("project", "p1", "user:bob", "viewer", by="admin")
    seen = {
        user: readable_names(
            team.store, Identity(user, authenticated=True, via="header"), "project"
        )
        for user in ("bob", "admin", "nobody")
    }
    assert seen == {"bob": {"p1"}, "admin": None, "nobody": set()}


def test_without_accounts_a_proxy_named_user_lists_everything(client: TestClient) -> None:
    for name in ("p1", "p2"):
        assert client.post("/api/v1/projects", json={"name": name}).status_code == 201
    client.app.state.identify = from_header("X-Proxy-User")  # type: ignore[attr-defined]
    listed = client.get("/api/v1/projects", headers={"X-Proxy-User": "bob"})
    assert _names(listed, "projects") == {"p1", "p2"}

"""Who a request is, once accounts exist: API keys (Bearer, Basic), passwords (Basic),
wrong credentials, read-only keys, disabled users; the ingest lane under accounts; the
switch from no accounts to accounts; the bind check. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.errors import InvalidInput
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store

PASSWORD = "correct horse battery"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(name: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


def batch(project: str, run: str = "r1", q: int = 1) -> dict[str, Any]:
    return {
        "envelope": {"run": run, "project": project, "writer": "w1"},
        "records": [{"t": "m", "q": q, "s": q, "w": 1000.0 + q, "d": {"loss": 0.5}}],
    }


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path, db_url=database_url)


@pytest.fixture
def client(settings: ServerSettings) -> Iterator[TestClient]:
    """An app over a database that already holds users: ada (admin), bo and cy (with the
    password ``PASSWORD``)."""
    store = Store.open(settings.db_url, settings.data_dir)
    store.accounts.users.create("ada", admin=True)
    store.accounts.users.create("bo", password=PASSWORD)
    store.accounts.users.create("cy", password=PASSWORD)
    store.close()
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def key_of(client: TestClient, user: str, *, read_only: bool = False) -> str:
    return store_of(client).accounts.keys.create(user, "test", read_only=read_only)[1]


def test_no_credentials_is_401_with_a_challenge_and_public_routes_stay_open(
    client: TestClient,
) -> None:
    refused = client.get("/api/v1/projects")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="trailmark"'
    assert refused.json()["error"]["code"] == "unauthorized"
    mlflow = client.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert mlflow.status_code == 401 and mlflow.json()["error_code"] == "UNAUTHENTICATED"
    assert "Basic" in mlflow.headers["www-authenticate"]
    assert client.post("/api/v1/ingest", json=batch("p")).status_code == 401
    assert client.get("/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/auth/me").json()["user"] is None


def test_a_key_as_bearer_or_as_a_basic_password_signs_in(client: TestClient) -> None:
    key = key_of(client, "bo")
    assert client.get("/api/v1/projects", headers=bearer(key)).status_code == 200
    assert client.get("/api/v1/projects", headers=basic("bo", key)).status_code == 200
    me = client.get("/api/v1/auth/me", headers=bearer(key)).json()
    assert me["accounts"] is True and me["user"]["name"] == "bo"
    # A key given with someone else's name is refused, not taken for its owner.
    assert client.get("/api/v1/projects", headers=basic("ada", key)).status_code == 401


def test_a_password_as_basic_signs_in_and_a_wrong_one_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/projects", headers=basic("bo", PASSWORD)).status_code == 200
    # Remembered after the first check: the second costs no argon2 hash, and still works.
    assert client.get("/api/v1/projects", headers=basic("bo", PASSWORD)).status_code == 200
    assert (
        client.get("/api/v1/projects", headers=basic("bo", "wrong" + PASSWORD)).status_code == 401
    )
    assert client.get("/api/v1/projects", headers=basic("nobody", PASSWORD)).status_code == 401


WRONG = (
    "Bearer tmk_not-a-key",
    "Bearer ",
    "Basic !!!",
    "Basic " + base64.b64encode(b"no-colon").decode(),
    "Token abc",
)


def test_wrong_credentials_are_401_never_anonymous(client: TestClient) -> None:
    for header in WRONG:
        answer = client.get("/api/v1/projects", headers={"Authorization": header})
        assert answer.status_code == 401, (header, answer.text)
        # Even on a public route a wrong key is refused: the client must learn it is bad.
        me = client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert me.status_code == 401, header


def test_a_disabled_user_and_a_revoked_key_are_refused_at_once(client: TestClient) -> None:
    key = key_of(client, "cy")
    assert client.get("/api/v1/projects", headers=bearer(key)).status_code == 200
    store_of(client).accounts.users.disable("cy")
    assert client.get("/api/v1/projects", headers=bearer(key)).status_code == 401
    assert client.get("/api/v1/projects", headers=basic("cy", PASSWORD)).status_code == 401
    store_of(client).accounts.users.enable("cy")
    assert client.get("/api/v1/projects", headers=bearer(key)).status_code == 200
    key_id = store_of(client).accounts.keys.list("cy")[0].id
    store_of(client).accounts.keys.revoke("cy", key_id)
    assert client.get("/api/v1/projects", headers=bearer(key)).status_code == 401


def test_a_read_only_key_reads_and_changes_nothing(client: TestClient) -> None:
    writer = key_of(client, "bo")
    assert client.post("/api/v1/ingest", json=batch("bo-proj"), headers=bearer(writer)).is_success
    reader = key_of(client, "bo", read_only=True)
    assert client.get("/api/v1/projects/bo-proj", headers=bearer(reader)).status_code == 200
    search = client.post("/api/v1/projects/bo-proj/runs/search", json={}, headers=bearer(reader))
    assert search.status_code == 200
    refused = client.post("/api/v1/ingest", json=batch("bo-proj", q=2), headers=bearer(reader))
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]["message"]
    assert client.delete("/api/v1/projects/bo-proj", headers=bearer(reader)).status_code == 403


def test_ingest_creates_a_project_its_writer_then_administers(client: TestClient) -> None:
    bo, ada = key_of(client, "bo"), key_of(client, "ada")
    key_of(client, "cy")
    store_of(client).accounts.users.create("di")
    di = key_of(client, "di")
    answer = client.post("/api/v1/ingest", json=batch("fresh"), headers=bearer(bo))
    assert answer.status_code == 200, answer.text
    members = store_of(client).accounts.grants.list("project", "fresh")
    assert [(g.name, g.role) for g in members] == [("bo", "admin")]
    # Another user does not learn it exists: the answer is that of an unknown name.
    guess = client.post("/api/v1/ingest", json=batch("fresh", run="r2"), headers=bearer(di))
    assert guess.status_code == 404
    unknown = client.get("/api/v1/projects/no-such", headers=bearer(di))
    read = client.get("/api/v1/projects/fresh", headers=bearer(di))
    assert read.status_code == unknown.status_code == 404
    assert read.json()["error"] == unknown.json()["error"] | {
        "message": read.json()["error"]["message"]
    }
    assert read.json()["error"]["message"] == "project 'fresh' does not exist"
    # A viewer learns it exists, and may not write.
    store_of(client).accounts.grants.set("project", "fresh", "user:di", "viewer", by="bo")
    assert client.get("/api/v1/projects/fresh", headers=bearer(di)).status_code == 200
    assert (
        client.post("/api/v1/ingest", json=batch("fresh", "r3"), headers=bearer(di)).status_code
        == 403
    )
    # A server admin may do everything.
    assert client.post("/api/v1/ingest", json=batch("fresh", "r4"), headers=bearer(ada)).is_success


def test_the_ingest_body_is_read_once_and_handed_on_whole(client: TestClient) -> None:
    bo = key_of(client, "bo")
    ndjson = b'{"run":"nd1","project":"nd","writer":"w1"}\n' + b"".join(
        b'{"t":"m","q":%d,"s":%d,"w":1000.0,"d":{"loss":0.5}}\n' % (i, i) for i in range(1, 2001)
    )
    answer = client.post(
        "/api/v1/ingest",
        content=ndjson,
        headers={**bearer(bo), "Content-Type": "application/x-ndjson"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2000
    empty = client.post("/api/v1/ingest", content=b"", headers=bearer(bo))
    assert empty.status_code == 400


def test_writes_and_refusals_are_audited(client: TestClient) -> None:
    bo = key_of(client, "bo")
    client.post("/api/v1/projects", json={"name": "audited"}, headers=bearer(bo))
    client.get("/api/v1/projects")
    events = store_of(client).accounts.audit.list(limit=50).events
    created = [e for e in events if e.route == "POST /api/v1/projects"]
    assert [(e.actor, e.outcome, e.status, e.resource) for e in created] == [
        ("bo", "ok", 201, "project:audited")
    ]
    denied = [e for e in events if e.outcome == "denied"]
    assert [(e.actor, e.route, e.status) for e in denied] == [
        ("anonymous", "GET /api/v1/projects", 401)
    ]
    assert (
        store_of(client).accounts.grants.role_of(
            store_of(client).accounts.users.get("bo"), "project", "audited"
        )
        == "admin"
    )


def test_a_running_server_notices_the_first_user(settings: ServerSettings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/api/v1/projects").status_code == 200
        assert client.post("/api/v1/ingest", json=batch("before")).status_code == 200
        assert client.get("/api/v1/auth/me").json()["accounts"] is False
        app.state.store.accounts.users.create("ada", admin=True, password=PASSWORD)
        app.state.accounts.refresh()  # what the guard does by itself within 2 s
        assert client.get("/api/v1/projects").status_code == 401
        key = app.state.store.accounts.keys.create("ada", "k")[1]
        assert client.get("/api/v1/projects/before", headers=bearer(key)).status_code == 200
    app.state.store.close()


def test_the_bind_check_lets_a_server_with_accounts_listen_anywhere(
    settings: ServerSettings,
) -> None:
    remote = ServerSettings(data_dir=settings.data_dir, db_url=settings.db_url, host="0.0.0.0")
    with pytest.raises(InvalidInput, match="no accounts"):
        remote.check_bind()
    store = Store.open(settings.db_url, settings.data_dir)
    store.accounts.users.create("ada", admin=True, password=PASSWORD)
    store.close()
    remote.check_bind()
    remote.check_bind(accounts=True)
    with pytest.raises(InvalidInput):
        remote.check_bind(accounts=False)


def test_a_removed_role_stops_ingest_batches_within_two_seconds(client: TestClient) -> None:
    bo, ada = key_of(client, "bo"), key_of(client, "ada")
    assert client.post("/api/v1/ingest", json=batch("shared"), headers=bearer(ada)).is_success
    grants = store_of(client).accounts.grants
    grants.set("project", "shared", "user:bo", "editor", by="ada")  # applies at once
    assert client.post("/api/v1/ingest", json=batch("shared", "b1"), headers=bearer(bo)).is_success
    grants.set("project", "shared", "user:bo", "viewer", by="ada")
    deadline = time.monotonic() + 5
    q = 1
    while True:
        q += 1
        answer = client.post("/api/v1/ingest", json=batch("shared", "b1", q), headers=bearer(bo))
        if answer.status_code == 403:
            break
        assert answer.is_success and time.monotonic() < deadline, answer.text
    # Other routes never remember: the viewer is refused a write at once.
    refused = client.patch("/api/v1/projects/shared/runs/b1", json={}, headers=bearer(bo))
    assert refused.status_code == 403

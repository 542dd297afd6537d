"""Password sign-in, the session cookie, sign-out, brute force slowed, and a session cookie
that does not work cross-site. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trailmark.server.access.rate_limit import MAX_FAILURES_PER_NAME
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def app_settings(tmp_path: Path, database_url: str) -> ServerSettings:
    settings = ServerSettings(data_dir=tmp_path, db_url=database_url)
    store = Store.open(settings.db_url, settings.data_dir)
    store.accounts.users.create("ada", admin=True, password=PASSWORD)
    store.runs.create_project("ada-proj", "")
    store.close()
    return settings


@pytest.fixture
def client(app_settings: ServerSettings) -> Iterator[TestClient]:
    app = create_app(app_settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def sign_in(client: TestClient, name: str = "ada", password: str = PASSWORD) -> int:
    return client.post(
        "/api/v1/auth/sign-in", json={"name": name, "password": password}
    ).status_code


def test_sign_in_sets_a_session_cookie_that_signs_the_browser_in(client: TestClient) -> None:
    assert client.get("/api/v1/projects/ada-proj").status_code == 401
    answer = client.post("/api/v1/auth/sign-in", json={"name": "ada", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["name"] == "ada" and answer.json()["accounts"] is True
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("trailmark_session=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=1209600"):
        assert attribute.lower() in cookie.lower(), cookie
    assert "secure" not in cookie.lower()  # plain http here: a Secure cookie would be dropped
    assert PASSWORD not in cookie
    assert client.get("/api/v1/projects/ada-proj").status_code == 200
    assert client.get("/api/v1/auth/me").json()["user"]["name"] == "ada"
    events = client.app.state.store.accounts.audit.list(action="sign_in").events  # type: ignore[attr-defined]
    assert [(e.actor, e.outcome) for e in events] == [("ada", "ok")]


def test_over_https_the_cookie_is_secure(app_settings: ServerSettings) -> None:
    app = create_app(app_settings)
    with TestClient(app, base_url="https://testserver") as client:
        answer = client.post("/api/v1/auth/sign-in", json={"name": "ada", "password": PASSWORD})
        assert answer.status_code == 200
        assert "secure" in answer.headers["set-cookie"].lower()
    app.state.store.close()


def test_sign_out_ends_the_session_everywhere(client: TestClient) -> None:
    assert sign_in(client) == 200
    token = client.cookies["trailmark_session"]
    assert client.post("/api/v1/auth/sign-out").status_code == 204
    assert "trailmark_session" not in client.cookies
    # The old cookie, sent again (a copy kept elsewhere), no longer works.
    client.cookies.set("trailmark_session", token)
    assert client.get("/api/v1/projects/ada-proj").status_code == 401
    # Public pages still load with the stale cookie: the sign-in page must.
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"] is None


def test_a_wrong_password_is_401_and_audited_without_the_password(client: TestClient) -> None:
    assert sign_in(client, password="not the password") == 401
    assert sign_in(client, name="nobody") == 401
    assert "trailmark_session" not in client.cookies
    events = client.app.state.store.accounts.audit.list(action="sign_in.failed").events  # type: ignore[attr-defined]
    assert sorted(e.actor for e in events) == ["ada", "nobody"]
    assert all(e.outcome == "failed" and e.status == 401 for e in events)
    assert all("not the password" not in str(e.detail) for e in events)


def test_brute_force_is_slowed_even_for_the_right_password(
    client: TestClient, app_settings: ServerSettings
) -> None:
    for _ in range(MAX_FAILURES_PER_NAME):
        assert sign_in(client, password="guess") == 401
    refused = client.post("/api/v1/auth/sign-in", json={"name": "ada", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    # Counted in the database: another replica refuses too.
    other = create_app(app_settings)
    with TestClient(other) as replica:
        assert sign_in(replica) == 429
    other.state.store.close()


def test_guessing_through_basic_auth_is_slowed_and_audited_too(client: TestClient) -> None:
    """Every route takes Basic name:password (MLflow clients): it is a sign-in door like the
    dashboard's, counted against the same limit, or guessing would move there."""
    for _ in range(MAX_FAILURES_PER_NAME):
        assert client.get("/api/v1/projects", auth=("ada", "guess")).status_code == 401
    refused = client.get("/api/v1/projects", auth=("ada", PASSWORD))
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert sign_in(client) == 429  # one count for both doors
    events = client.app.state.store.accounts.audit.list(action="sign_in.failed").events  # type: ignore[attr-defined]
    assert len(events) == MAX_FAILURES_PER_NAME
    assert all(e.actor == "ada" and e.detail.get("via") == "basic" for e in events)
    assert all("guess" not in str(e.detail) for e in events)


def test_a_session_cookie_sent_cross_site_changes_nothing(client: TestClient) -> None:
    assert sign_in(client) == 200
    body = {"name": "made-cross-site"}
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver:8080"},
    ):
        refused = client.post("/api/v1/projects", json=body, headers=headers)
        assert refused.status_code == 403, (headers, refused.text)
        assert refused.json()["error"]["code"] == "cross_site_request"
    form = client.post(
        "/api/v1/projects",
        content=b"name=made-cross-site",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    assert client.get("/api/v1/projects/made-cross-site").status_code == 404
    same_origin = client.post(
        "/api/v1/projects", json=body, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same_origin.status_code == 201


def test_sign_out_needs_a_session_and_me_is_public(client: TestClient) -> None:
    assert client.post("/api/v1/auth/sign-out").status_code == 401
    me = client.get("/api/v1/auth/me").json()
    assert me["accounts"] is True and me["user"] is None
    assert set(me["sso"]) == {"enabled", "only", "label"}

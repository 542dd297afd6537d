"""GET /api/v1/audit: server admins read the log, filtered and paged; nobody else does, and
nothing in it is a secret. Through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.server.accounts_fixtures import BOB_PASSWORD, Team, accounts_team, basic  # noqa: F401


def test_admins_read_the_log_filtered_and_paged(team: Team) -> None:
    t = team
    made = t.client.post("/api/v1/me/keys", json={"name": "one"}, headers=t.as_bob())
    key = made.json()["key"]
    t.client.post("/api/v1/me/keys", json={"name": "two"}, headers=t.as_bob())
    t.client.post("/api/v1/projects", json={"name": "p"}, headers=t.as_bob())
    t.client.get("/api/v1/users", headers=t.as_bob())  # refused: recorded as denied
    wrong = "a wrong secret!"
    assert t.client.get("/api/v1/me/keys", headers=basic("bob", wrong)).status_code == 401

    everything = t.client.get("/api/v1/audit", headers=t.as_admin())
    assert everything.status_code == 200
    assert key not in everything.text and wrong not in everything.text

    keys = t.client.get("/api/v1/audit", params={"action": "key.create"}, headers=t.as_admin())
    names = [e["detail"]["key_name"] for e in keys.json()["events"]]
    assert names == ["two", "one"]  # newest first
    assert all(e["actor"] == "bob" and e["outcome"] == "ok" for e in keys.json()["events"])
    assert keys.json()["events"][0]["route"] == "POST /api/v1/me/keys"

    denied = t.client.get(
        "/api/v1/audit", params={"outcome": "denied", "actor": "bob"}, headers=t.as_admin()
    ).json()["events"]
    assert [e["route"] for e in denied] == ["GET /api/v1/users"]

    first = t.client.get(
        "/api/v1/audit", params={"actor": "bob", "limit": 2}, headers=t.as_admin()
    ).json()
    assert len(first["events"]) == 2 and first["next_page_token"]
    rest = t.client.get(
        "/api/v1/audit",
        params={"actor": "bob", "limit": 100, "page_token": first["next_page_token"]},
        headers=t.as_admin(),
    ).json()
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) >= 4
    assert rest["next_page_token"] is None

    latest = everything.json()["events"][0]["at"]
    later = t.client.get("/api/v1/audit", params={"since": latest + 1}, headers=t.as_admin())
    assert later.json()["events"] == []


def test_only_server_admins_read_the_log(team: Team) -> None:
    t = team
    t.bob_signs_in_with_a_password()
    assert t.client.get("/api/v1/audit", headers=t.as_bob()).status_code == 403
    assert t.client.get("/api/v1/audit").status_code == 401
    assert t.client.get("/api/v1/audit", headers=basic("bob", BOB_PASSWORD)).status_code == 403


def test_bad_filters_are_refused(team: Team) -> None:
    t = team
    assert (
        t.client.get("/api/v1/audit", params={"outcome": "maybe"}, headers=t.as_admin()).status_code
        == 400
    )
    assert (
        t.client.get("/api/v1/audit", params={"page_token": "x"}, headers=t.as_admin()).status_code
        == 400
    )
    assert t.client.get("/api/v1/audit", params={"limit": 0}, headers=t.as_admin()).status_code in (
        400,
        422,
    )

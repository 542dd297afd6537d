"""The accounts API: one's own keys and password, users, service accounts' keys and teams,
through the real app and its request guard, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.server.accounts_fixtures import (  # noqa: F401 (the fixture)
    BOB_PASSWORD,
    Team,
    accounts_team,
    basic,
    bearer,
)
from trailmark.server.app import create_app
from trailmark.server.identity import from_header
from trailmark.server.settings import ServerSettings


def _events(t: Team, action: str) -> list[dict[str, object]]:
    return [e.model_dump() for e in t.store.accounts.audit.list(action=action).events]


def test_a_new_key_is_shown_once_works_at_once_and_stops_when_revoked(team: Team) -> None:
    t = team
    made = t.client.post(
        "/api/v1/me/keys", json={"name": "laptop", "expires_in_days": 30}, headers=t.as_bob()
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    view = made.json()["api_key"]
    assert key.startswith("tmk_") and key.startswith(view["prefix"])
    assert view["user"] == "bob" and view["name"] == "laptop" and view["expires"] is not None

    listed = t.client.get("/api/v1/me/keys", headers=bearer(key))
    assert listed.status_code == 200
    assert key not in listed.text  # never shown again
    assert {k["name"] for k in listed.json()["keys"]} == {"laptop", "test"}

    gone = t.client.delete(f"/api/v1/me/keys/{view['id']}", headers=t.as_bob())
    assert gone.status_code == 204
    assert t.client.get("/api/v1/me/keys", headers=bearer(key)).status_code == 401

    created, revoked = _events(t, "key.create"), _events(t, "key.revoke")
    assert [e["actor"] for e in created] == ["bob"] and [e["actor"] for e in revoked] == ["bob"]
    assert created[0]["detail"]["key_name"] == "laptop"  # type: ignore[index]
    assert key not in str(created + revoked)


def test_one_may_not_revoke_another_users_key(team: Team) -> None:
    t = team
    admins = t.client.get("/api/v1/me/keys", headers=t.as_admin()).json()["keys"]
    answer = t.client.delete(f"/api/v1/me/keys/{admins[0]['id']}", headers=t.as_bob())
    assert answer.status_code == 404
    assert t.client.get("/api/v1/me/keys", headers=t.as_admin()).status_code == 200


def test_login_makes_a_key_with_the_password_and_a_read_only_key_makes_none(team: Team) -> None:
    t = team
    t.bob_signs_in_with_a_password()
    made = t.client.post(
        "/api/v1/me/keys", json={"name": "cli"}, headers=basic("bob", BOB_PASSWORD)
    )
    assert made.status_code == 201
    wrong = t.client.post("/api/v1/me/keys", json={"name": "x"}, headers=basic("bob", "not it!!"))
    assert wrong.status_code == 401
    read_only = t.client.post(
        "/api/v1/me/keys", json={"name": "ro", "read_only": True}, headers=t.as_bob()
    ).json()["key"]
    refused = t.client.post("/api/v1/me/keys", json={"name": "y"}, headers=bearer(read_only))
    assert refused.status_code == 403
    assert t.client.get("/api/v1/me/keys", headers=bearer(read_only)).status_code == 200


def test_changing_ones_password_needs_the_current_one(team: Team) -> None:
    t = team
    t.bob_signs_in_with_a_password()
    new = "a brand new password"
    wrong = t.client.put(
        "/api/v1/me/password", json={"current": "guess guess", "new": new}, headers=t.as_bob()
    )
    assert wrong.status_code == 403
    short = t.client.put(
        "/api/v1/me/password", json={"current": BOB_PASSWORD, "new": "short"}, headers=t.as_bob()
    )
    assert short.status_code == 400
    ok = t.client.put(
        "/api/v1/me/password", json={"current": BOB_PASSWORD, "new": new}, headers=t.as_bob()
    )
    assert ok.status_code == 204
    assert t.client.get("/api/v1/me/keys", headers=basic("bob", new)).status_code == 200
    assert t.client.get("/api/v1/me/keys", headers=basic("bob", BOB_PASSWORD)).status_code == 401
    assert [e["outcome"] for e in _events(t, "password.change")] == ["ok"]
    # A wrong current password is a failed sign-in; so is the old password sent as Basic.
    failures = _events(t, "sign_in.failed")
    (failed,) = [e for e in failures if e["route"] == "PUT /api/v1/me/password"]
    assert failed["actor"] == "bob"
    assert [e["detail"].get("via") for e in failures if e is not failed] == ["basic"]
    assert new not in str([*_events(t, "password.change"), failed])


def test_guessing_the_current_password_is_slowed_down(team: Team) -> None:
    t = team
    t.bob_signs_in_with_a_password()
    guesses = [
        t.client.put(
            "/api/v1/me/password",
            json={"current": f"guess number {i}", "new": "a brand new password"},
            headers=t.as_bob(),
        )
        for i in range(6)
    ]
    assert [g.status_code for g in guesses] == [403] * 5 + [429]
    assert int(guesses[-1].headers["Retry-After"]) >= 1


def test_admins_create_users_with_a_one_time_password(team: Team) -> None:
    t = team
    made = t.client.post("/api/v1/users", json={"name": "carol"}, headers=t.as_admin())
    assert made.status_code == 201, made.text
    password = made.json()["password"]
    assert len(password) >= 20 and made.json()["user"]["name"] == "carol"
    assert t.client.get("/api/v1/me/keys", headers=basic("carol", password)).status_code == 200
    listed = t.client.get("/api/v1/users", headers=t.as_admin()).json()["users"]
    assert [u["name"] for u in listed] == ["admin", "bob", "carol"]
    assert password not in t.client.get("/api/v1/users", headers=t.as_admin()).text
    again = t.client.post("/api/v1/users", json={"name": "carol"}, headers=t.as_admin())
    assert again.status_code == 409
    assert [e["detail"] for e in _events(t, "user.create")] == [
        {"user": "carol", "admin": False, "service": False}
    ]


def test_only_server_admins_manage_users_and_teams(team: Team) -> None:
    t = team
    for method, path in (
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/bob"),
        ("GET", "/api/v1/teams"),
        ("POST", "/api/v1/teams"),
        ("PUT", "/api/v1/teams/ml/members/bob"),
        ("GET", "/api/v1/users/bob/keys"),
    ):
        body = {"name": "x"} if method == "POST" else {"admin": True} if method == "PATCH" else None
        as_bob = t.client.request(method, path, json=body, headers=t.as_bob())
        assert as_bob.status_code == 403, (method, path, as_bob.text)
        anonymous = t.client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
    assert t.store.accounts.users.info("bob").admin is False


def test_disabling_a_user_stops_their_keys_and_the_last_admin_stays(team: Team) -> None:
    t = team
    off = t.client.patch("/api/v1/users/bob", json={"disabled": True}, headers=t.as_admin())
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert t.client.get("/api/v1/me/keys", headers=t.as_bob()).status_code == 401
    on = t.client.patch("/api/v1/users/bob", json={"disabled": False}, headers=t.as_admin())
    assert on.json()["disabled"] is False
    assert t.client.get("/api/v1/me/keys", headers=t.as_bob()).status_code == 200

    last = t.client.patch("/api/v1/users/admin", json={"admin": False}, headers=t.as_admin())
    assert last.status_code == 400
    promoted = t.client.patch("/api/v1/users/bob", json={"admin": True}, headers=t.as_admin())
    assert promoted.json()["admin"] is True
    assert t.client.get("/api/v1/users", headers=t.as_bob()).status_code == 200
    unknown = t.client.patch("/api/v1/users/nobody", json={"admin": True}, headers=t.as_admin())
    assert unknown.status_code == 404
    assert _events(t, "user.update")[0]["detail"] == {"user": "bob", "admin": True}


def test_service_accounts_get_keys_from_admins_people_make_their_own(team: Team) -> None:
    t = team
    made = t.client.post(
        "/api/v1/users", json={"name": "ci", "service": True}, headers=t.as_admin()
    )
    assert made.status_code == 201 and "password" not in made.json()
    key = t.client.post(
        "/api/v1/users/ci/keys", json={"name": "github", "read_only": True}, headers=t.as_admin()
    )
    assert key.status_code == 201
    ci_key = key.json()["key"]
    assert t.client.get("/api/v1/me/keys", headers=bearer(ci_key)).json()["keys"][0]["user"] == "ci"
    person = t.client.post("/api/v1/users/bob/keys", json={"name": "x"}, headers=t.as_admin())
    assert person.status_code == 400 and "service account" in person.json()["error"]["message"]

    listed = t.client.get("/api/v1/users/ci/keys", headers=t.as_admin()).json()["keys"]
    revoked = t.client.delete(f"/api/v1/users/ci/keys/{listed[0]['id']}", headers=t.as_admin())
    assert revoked.status_code == 204
    assert t.client.get("/api/v1/me/keys", headers=bearer(ci_key)).status_code == 401
    assert [e["detail"]["user"] for e in _events(t, "key.revoke")] == ["ci"]  # type: ignore[index]


def test_teams_and_their_members(team: Team) -> None:
    t = team
    made = t.client.post(
        "/api/v1/teams", json={"name": "ml", "description": "the ML team"}, headers=t.as_admin()
    )
    assert made.status_code == 201 and made.json()["members"] == []
    added = t.client.put("/api/v1/teams/ml/members/bob", headers=t.as_admin())
    assert added.status_code == 200 and added.json()["members"] == ["bob"]
    assert t.client.put("/api/v1/teams/ml/members/bob", headers=t.as_admin()).status_code == 200
    assert t.client.put("/api/v1/teams/ml/members/nobody", headers=t.as_admin()).status_code == 404
    listed = t.client.get("/api/v1/teams", headers=t.as_admin()).json()["teams"]
    assert [(x["name"], x["members"]) for x in listed] == [("ml", ["bob"])]
    assert t.client.delete("/api/v1/teams/ml/members/bob", headers=t.as_admin()).status_code == 204
    assert t.client.delete("/api/v1/teams/ml/members/bob", headers=t.as_admin()).status_code == 404
    assert t.client.delete("/api/v1/teams/ml", headers=t.as_admin()).status_code == 204
    assert t.client.get("/api/v1/teams", headers=t.as_admin()).json()["teams"] == []
    actions = [e.action for e in t.store.accounts.audit.list(action="team.*").events]
    assert actions == [
        "team.delete",
        "team.member.remove",
        "team.member.add",
        "team.member.add",
        "team.create",
    ]


def test_without_accounts_there_is_nothing_to_sign_in_to(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as client:
        keys = client.get("/api/v1/me/keys")
        assert keys.status_code == 409
        assert "trailmark users create" in keys.json()["error"]["message"]
        first = client.post("/api/v1/users", json={"name": "mallory", "admin": True})
        assert first.status_code == 409
        assert client.post("/api/v1/teams", json={"name": "ml"}).status_code == 409
        assert client.get("/api/v1/users").json() == {"users": []}
    assert not app.state.store.accounts.users.any()
    app.state.store.close()


def test_a_name_from_a_proxy_header_without_an_account_has_nothing_to_manage(
    tmp_path: Path,
) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path))
    app.state.identify = from_header("X-Forwarded-User")
    with TestClient(app) as client:
        answer = client.get("/api/v1/me/keys", headers={"X-Forwarded-User": "carol"})
        assert answer.status_code == 409
    app.state.store.close()

"""Members, visibility and the caller's access on projects and registered models, through the
real app and its request guard, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.accounts_fixtures import Team, accounts_team, bearer  # noqa: F401 (the fixture)
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings

KINDS = [
    pytest.param(("/api/v1/projects", "vision"), id="project"),
    pytest.param(("/api/v1/models", "clf"), id="model"),
]


def _access(t: Team, base: str, key: str) -> dict[str, Any]:
    answer = t.client.get(f"{base}/access", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_a_resource_admin_grants_roles_that_take_effect_at_once(
    team: Team, kind: tuple[str, str]
) -> None:
    t = team
    collection, name = kind
    base = f"{collection}/{name}"
    carol = t.user("carol")
    made = t.client.post(collection, json={"name": name}, headers=t.as_bob())
    assert made.status_code == 201, made.text
    bob = _access(t, base, t.bob_key)
    assert bob["role"] == "admin" and bob["can"] == {"read": True, "write": True, "admin": True}

    # carol is a stranger to bob's private resource: it does not exist for her
    assert t.client.get(base, headers=bearer(carol)).status_code == 404
    assert t.client.get(f"{base}/access", headers=bearer(carol)).status_code == 404

    granted = t.client.put(
        f"{base}/members/user:carol", json={"role": "viewer"}, headers=t.as_bob()
    )
    assert granted.status_code == 200, granted.text
    members = {m["principal"]: m["role"] for m in granted.json()["members"]}
    assert members == {"user:bob": "admin", "user:carol": "viewer"}
    assert t.client.get(base, headers=bearer(carol)).status_code == 200
    carols = _access(t, base, carol)
    assert carols["role"] == "viewer"
    assert carols["can"] == {"read": True, "write": False, "admin": False}
    # a viewer may not manage members
    refused = t.client.put(
        f"{base}/members/user:carol", json={"role": "admin"}, headers=bearer(carol)
    )
    assert refused.status_code == 403

    t.client.put(f"{base}/members/user:carol", json={"role": "editor"}, headers=t.as_bob())
    assert _access(t, base, carol)["can"]["write"] is True
    removed = t.client.delete(f"{base}/members/user:carol", headers=t.as_bob())
    assert removed.status_code == 204
    assert t.client.get(base, headers=bearer(carol)).status_code == 404

    resource = f"{'project' if collection.endswith('projects') else 'model'}:{name}"
    events = t.store.accounts.audit.list(resource=resource).events
    grant_events = [(e.action, e.actor, e.detail) for e in events if e.action.startswith("grant.")]
    assert grant_events == [
        ("grant.remove", "bob", {"principal": "user:carol"}),
        ("grant.set", "bob", {"principal": "user:carol", "role": "editor"}),
        ("grant.set", "bob", {"principal": "user:carol", "role": "viewer"}),
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_team_grants_and_internal_visibility(team: Team, kind: tuple[str, str]) -> None:
    t = team
    collection, name = kind
    base = f"{collection}/{name}"
    carol, dave = t.user("carol"), t.user("dave")
    assert t.client.post(collection, json={"name": name}, headers=t.as_bob()).status_code == 201
    t.client.post("/api/v1/teams", json={"name": "ml"}, headers=t.as_admin())
    t.client.put("/api/v1/teams/ml/members/carol", headers=t.as_admin())

    granted = t.client.put(f"{base}/members/team:ml", json={"role": "editor"}, headers=t.as_bob())
    assert granted.status_code == 200
    assert _access(t, base, carol)["role"] == "editor"
    assert t.client.get(base, headers=bearer(dave)).status_code == 404

    shown = t.client.put(f"{base}/visibility", json={"visibility": "internal"}, headers=t.as_bob())
    assert shown.status_code == 200 and shown.json()["visibility"] == "internal"
    daves = _access(t, base, dave)
    assert daves["role"] == "viewer" and daves["visibility"] == "internal"
    assert daves["can"] == {"read": True, "write": False, "admin": False}
    assert t.client.get(f"{base}/members", headers=bearer(dave)).status_code == 403

    t.client.put(f"{base}/visibility", json={"visibility": "private"}, headers=t.as_bob())
    assert t.client.get(base, headers=bearer(dave)).status_code == 404
    bad = t.client.put(f"{base}/visibility", json={"visibility": "public"}, headers=t.as_bob())
    assert bad.status_code == 400
    unknown = t.client.put(
        f"{base}/members/user:nobody", json={"role": "viewer"}, headers=t.as_bob()
    )
    assert unknown.status_code == 404
    malformed = t.client.put(f"{base}/members/nobody", json={"role": "viewer"}, headers=t.as_bob())
    assert malformed.status_code == 400
    actions = [e.action for e in t.store.accounts.audit.list(action="visibility.set").events]
    assert actions == ["visibility.set", "visibility.set"]


def test_server_admins_are_admins_everywhere_and_read_only_keys_only_read(team: Team) -> None:
    t = team
    assert (
        t.client.post("/api/v1/projects", json={"name": "p"}, headers=t.as_bob()).status_code == 201
    )
    admin = _access(t, "/api/v1/projects/p", t.admin_key)
    assert admin["role"] == "admin" and admin["can"]["admin"] is True
    assert t.client.get("/api/v1/projects/p/members", headers=t.as_admin()).status_code == 200

    read_only = t.store.accounts.keys.create("bob", "ro", read_only=True)[1]
    mine = _access(t, "/api/v1/projects/p", read_only)
    assert mine["role"] == "admin" and mine["read_only"] is True
    assert mine["can"] == {"read": True, "write": False, "admin": False}
    refused = t.client.put(
        "/api/v1/projects/p/visibility", json={"visibility": "internal"}, headers=bearer(read_only)
    )
    assert refused.status_code == 403


def test_an_unknown_resource_is_not_found(team: Team) -> None:
    t = team
    assert t.client.get("/api/v1/projects/nope/members", headers=t.as_admin()).status_code == 404
    assert t.client.get("/api/v1/models/nope/access", headers=t.as_admin()).status_code == 404


def test_without_accounts_everyone_may_do_everything(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as client:
        client.post("/api/v1/projects", json={"name": "p"})
        answer = client.get("/api/v1/projects/p/access").json()
        assert answer == {
            "accounts": False,
            "role": "admin",
            "visibility": "private",
            "read_only": False,
            "can": {"read": True, "write": True, "admin": True},
        }
        assert client.get("/api/v1/projects/p/members").json() == {
            "visibility": "private",
            "members": [],
        }
    app.state.store.close()

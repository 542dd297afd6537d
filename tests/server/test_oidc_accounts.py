"""Who a verified SSO sign-in is (server/routes/oidc.py), on SQLite and PostgreSQL: found by
issuer and subject, linked once to a user an admin made with the same verified email, or
created with a unique name; teams follow the claim; nobody signs in before accounts exist."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.blobs.folder import FolderBlobStore
from trailmark.server.access.oidc import SignInFailed
from trailmark.server.routes.oidc import find_or_create_account, sync_teams
from trailmark.store.database import Database
from trailmark.store.secret_box import SecretBox
from trailmark.store.store import Store

ISSUER = "https://idp.example.com"


@pytest.fixture
def store(database: Database, tmp_path: Path) -> Store:
    """Accounts on (a root admin), teams ml and ops."""
    store = Store(
        database,
        FolderBlobStore(tmp_path / "blobs"),
        SecretBox.from_key_file(tmp_path / "secret.key"),
    )
    store.accounts.users.create("root", admin=True, email="root@example.com")
    store.accounts.teams.create("ml")
    store.accounts.teams.create("ops")
    return store


def sign_in(store: Store, sub: str, **claims: Any) -> tuple[str, bool]:
    account, created = find_or_create_account(store, ISSUER, {"sub": sub, **claims})
    return account.name, created


def test_a_new_person_gets_a_user_and_keeps_it(store: Store) -> None:
    assert sign_in(store, "s1", preferred_username="alice", email="alice@example.com") == (
        "alice",
        True,
    )
    info = store.accounts.users.info("alice")
    assert (info.email, info.sso, info.has_password, info.admin) == (
        "alice@example.com",
        True,
        False,
        False,
    )
    # Another username at the provider later: the same user (found by issuer and subject).
    assert sign_in(store, "s1", preferred_username="alice.smith") == ("alice", False)


def test_names_are_made_unique(store: Store) -> None:
    assert sign_in(store, "s1", preferred_username="alice")[0] == "alice"
    assert sign_in(store, "s2", preferred_username="alice")[0] == "alice-2"
    assert sign_in(store, "s3", email="alice@elsewhere.example")[0] == "alice-3"
    assert sign_in(store, "s4", preferred_username="root")[0] == "root-2"
    # The same subject at another issuer is another person.
    other, _ = find_or_create_account(store, "https://other.example.com", {"sub": "s1"})
    assert other.name == "user"


def test_an_admin_made_beforehand_is_linked_by_verified_email_once(store: Store) -> None:
    unverified = sign_in(store, "r1", preferred_username="root", email="root@example.com")
    assert unverified == ("root-2", True)  # an unverified email links nothing
    linked = sign_in(
        store, "r2", preferred_username="rooty", email="ROOT@example.com", email_verified=True
    )
    assert linked == ("root", False)
    assert store.accounts.users.get("root").is_admin
    # Linked once: another identity with the same email gets its own user.
    again = sign_in(store, "r3", email="root@example.com", email_verified=True)
    assert again == ("root-3", True)


def test_nobody_signs_in_before_accounts_exist(database: Database, tmp_path: Path) -> None:
    empty = Store(
        database, FolderBlobStore(tmp_path / "b"), SecretBox.from_key_file(tmp_path / "k")
    )
    with pytest.raises(SignInFailed) as caught:
        sign_in(empty, "s1", preferred_username="alice")
    assert caught.value.reason == "accounts_off"
    assert not empty.accounts.users.any()


def test_disabled_users_and_service_accounts_are_refused(store: Store) -> None:
    sign_in(store, "s1", preferred_username="alice")
    store.accounts.users.disable("alice")
    with pytest.raises(SignInFailed) as caught:
        sign_in(store, "s1")
    assert (caught.value.reason, caught.value.actor) == ("disabled", "alice")
    store.accounts.users.create("ci", service=True)
    store.accounts.users.link_oidc("ci", f"{ISSUER}|ci-sub")
    with pytest.raises(SignInFailed) as caught:
        sign_in(store, "ci-sub")
    assert caught.value.reason == "service_account"


def test_teams_follow_the_claim(store: Store) -> None:
    account, _ = find_or_create_account(store, ISSUER, {"sub": "s1", "preferred_username": "a"})

    def teams() -> list[str]:
        return store.accounts.users.info("a").teams

    assert sync_teams(store, account, {"groups": ["ml", "no-such-team"]}, "groups") == ["ml"]
    assert teams() == ["ml"]
    assert not any(t.name == "no-such-team" for t in store.accounts.teams.list())
    # Keycloak's full group paths; a single name instead of a list.
    assert sync_teams(store, account, {"groups": ["/ops", "/ml"]}, "groups") == ["ml", "ops"]
    assert sync_teams(store, account, {"groups": "ops"}, "groups") == ["ops"]
    assert teams() == ["ops"]
    # No claim in the token: memberships stay; no teams claim configured: nothing synced.
    assert sync_teams(store, account, {}, "groups") is None
    assert sync_teams(store, account, {"groups": []}, None) is None
    assert teams() == ["ops"]
    assert sync_teams(store, account, {"groups": []}, "groups") == []
    assert teams() == []


def test_without_sso_the_routes_say_so_and_record_nothing(client: TestClient) -> None:
    client.app.state.store.accounts.users.create("root", admin=True)  # type: ignore[attr-defined]
    for path in ("/api/v1/auth/oidc/start", "/api/v1/auth/oidc/callback?code=c&state=s"):
        answer = client.get(path, follow_redirects=False)
        shown = urllib.parse.unquote_plus(answer.headers.get("location", "")) + answer.text
        assert answer.status_code in (303, 404)  # to the sign-in page; a plain page unbuilt
        assert "single sign-on is not configured on this server" in shown
    audit = client.app.state.store.accounts.audit.list(action="sign_in.failed")  # type: ignore[attr-defined]
    assert audit.events == []

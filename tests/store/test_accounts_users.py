"""Users: passwords (argon2id), disabled users, names, the first admin's takeover of what
exists, and the protection of the last enabled admin; on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.accounts import Role
from trailmark.store.accounts.passwords import generate_password
from trailmark.store.schema import users
from trailmark.store.store import Store

PASSWORD = "correct horse battery staple"


def test_accounts_are_off_until_a_user_exists_and_a_password_checks(store: Store) -> None:
    users_ = store.accounts.users
    assert users_.any() is False
    alice = users_.create("alice", admin=True, password=PASSWORD, email="alice@example.com")
    assert users_.any() is True
    assert (alice.name, alice.is_admin, alice.disabled) == ("alice", True, False)
    assert users_.check_password("alice", PASSWORD) == alice
    assert users_.check_password("alice", PASSWORD + "!") is None
    assert users_.check_password("nobody", PASSWORD) is None
    with store.db.read() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    [view] = users_.list()
    assert (view.name, view.email, view.admin, view.has_password) == (
        "alice",
        "alice@example.com",
        True,
        True,
    )
    assert users_.get("alice") == users_.by_id(alice.id) == alice
    with pytest.raises(NotFound):
        users_.get("bob")
    with pytest.raises(Conflict):
        users_.create("alice")


def test_a_weak_hash_is_replaced_on_sign_in(store: Store) -> None:
    from argon2 import PasswordHasher

    store.accounts.users.create("alice", password=PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with store.db.write() as conn:
        conn.execute(update(users).values(password_hash=weak))
    assert store.accounts.users.check_password("alice", PASSWORD) is not None
    with store.db.read() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one() != weak
    assert store.accounts.users.check_password("alice", PASSWORD) is not None


def test_password_rules_and_changes(store: Store) -> None:
    users_ = store.accounts.users
    users_.create("alice", admin=True)  # SSO only: no password, none matches
    assert users_.check_password("alice", "") is None
    with pytest.raises(InvalidInput, match="at least 12"):
        users_.set_password("alice", "short")
    with pytest.raises(InvalidInput, match="NUL"):
        users_.set_password("alice", "twelve chars\x00!")
    users_.set_password("alice", PASSWORD)
    assert users_.check_password("alice", PASSWORD) is not None
    generated = generate_password()
    assert len(generated) >= 20 and generated.isalnum()
    users_.create("ci", service=True)
    with pytest.raises(InvalidInput, match="service account"):
        users_.set_password("ci", PASSWORD)
    with pytest.raises(InvalidInput, match="service account"):
        users_.create("ci2", service=True, password=PASSWORD)


def test_a_disabled_user_cannot_sign_in_until_enabled(store: Store) -> None:
    users_ = store.accounts.users
    users_.create("root", admin=True)
    users_.create("bob", password=PASSWORD)
    users_.disable("bob")
    assert users_.get("bob").disabled
    assert users_.check_password("bob", PASSWORD) is None
    users_.enable("bob")
    assert users_.check_password("bob", PASSWORD) is not None


ODD_NAMES = [
    "nul\x00name",
    "tab\tname",
    "rtl\u202eevil",
    "zero\u200bwidth",
    "lone\ud800surrogate",
    "e\u0301",  # a decomposed é
    " padded ",
    "a/b",
    "",
    "x" * 257,
    123,
]


def test_odd_user_and_team_names_are_refused(store: Store) -> None:
    for name in ODD_NAMES:
        with pytest.raises(InvalidInput):
            store.accounts.users.create(name)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.accounts.teams.create(name)  # type: ignore[arg-type]
    assert store.accounts.users.any() is False
    assert store.accounts.teams.list() == []
    # what a sign-in form sends is no error, only no match
    assert store.accounts.users.check_password("nul\x00name", PASSWORD) is None
    assert store.accounts.users.by_oidc_subject("https://idp|\x00") is None


def test_unicode_names_in_nfc_are_fine(store: Store) -> None:
    account = store.accounts.users.create("Zoë 王", display_name="Zoë")
    assert store.accounts.users.get("Zoë 王") == account


def test_the_first_admin_takes_over_every_existing_project_and_model(store: Store) -> None:
    store.runs.create_project("mnist")
    store.runs.create_project("cifar")
    store.registry.create_model("clf")
    store.accounts.users.create("alice", admin=True)
    grants = store.accounts.grants
    for kind, name in (("project", "mnist"), ("project", "cifar"), ("model", "clf")):
        [grant] = grants.list(kind, name)  # type: ignore[arg-type]
        assert (grant.principal, grant.role, grant.granted_by) == ("user:alice", "admin", "alice")
    # the grant, not only the admin flag: it stays when alice is no server admin any more
    store.accounts.users.create("bob", admin=True)
    store.accounts.users.set_admin("alice", False)
    assert grants.role_of(store.accounts.users.get("alice"), "project", "mnist") is Role.ADMIN
    # only the first user takes over, and only an admin
    store.runs.create_project("later")
    store.accounts.users.create("carol", admin=True)
    assert grants.list("project", "later") == []


def test_a_first_user_who_is_no_admin_takes_over_nothing(store: Store) -> None:
    store.runs.create_project("mnist")
    store.accounts.users.create("bob")
    assert store.accounts.grants.list("project", "mnist") == []


def test_the_last_enabled_admin_stays(store: Store) -> None:
    users_ = store.accounts.users
    users_.create("alice", admin=True)
    users_.create("bob")
    with pytest.raises(InvalidInput, match="last enabled admin"):
        users_.set_admin("alice", False)
    with pytest.raises(InvalidInput, match="last enabled admin"):
        users_.disable("alice")
    users_.disable("bob")  # not an admin: fine
    users_.set_admin("bob", True)  # a disabled admin does not count
    with pytest.raises(InvalidInput, match="last enabled admin"):
        users_.disable("alice")
    users_.enable("bob")
    users_.disable("alice")
    assert users_.get("alice").disabled and not users_.get("bob").disabled


def test_sso_identities_link_to_one_user(store: Store) -> None:
    users_ = store.accounts.users
    users_.create("alice")
    users_.create("bob")
    assert users_.by_oidc_subject("https://idp|42") is None
    users_.link_oidc("alice", "https://idp|42")
    account = users_.by_oidc_subject("https://idp|42")
    assert account is not None and account.name == "alice"
    assert users_.info("alice").sso is True
    with pytest.raises(Conflict):
        users_.link_oidc("bob", "https://idp|42")
    users_.link_oidc("alice", "https://idp|42")  # again: no change


def test_opening_a_store_and_asking_for_users_does_not_import_argon2(tmp_path: Path) -> None:
    """The SDK's local store opens the same database: it never pays for the hasher."""
    code = (
        "import sys; from pathlib import Path; from trailmark.store.store import Store; "
        f"s = Store.open(data_dir=Path({str(tmp_path)!r})); s.accounts.users.any(); "
        "s.accounts.users.create('ci', service=True); "
        "assert 'argon2' not in sys.modules, 'argon2 imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

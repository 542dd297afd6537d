"""``trailmark users | keys | teams | grant | revoke`` against a data dir (SQLite) and a
PostgreSQL database (``--db``), checked through the store they write to."""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from trailmark.cli.main import main
from trailmark.store.accounts import Role
from trailmark.store.store import Store

Invoke = Callable[..., Result]


@pytest.fixture
def where(database_url: str, tmp_path: Path) -> list[str]:
    """The options that name the database: the data dir's SQLite file, or PostgreSQL."""
    if database_url.startswith("sqlite"):
        return ["--data-dir", str(tmp_path)]  # database_url is the file in it
    return ["--db", database_url, "--data-dir", str(tmp_path)]


@pytest.fixture
def store(where: list[str], tmp_path: Path) -> Iterator[Store]:
    db = where[1] if where[0] == "--db" else None
    opened = Store.open(db, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def run(where: list[str]) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, ok: bool = True) -> Result:
        result = runner.invoke(main, [*args, *where], input=input)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 1, result.output
        return result

    return invoke


def _shown(output: str, label: str) -> str:
    match = re.search(rf"{label}[^:]*: (\S+)", output)
    assert match, output
    return match.group(1)


def test_the_first_admin_gets_a_one_time_password_and_every_project(
    run: Invoke, store: Store
) -> None:
    store.runs.create_project("mnist")
    created = run("users", "create", "alice", "--admin", "--email", "alice@example.com")
    assert "Accounts are now on" in created.output and "every existing project" in created.output
    password = _shown(created.output, "One-time password")
    assert len(password) >= 20
    alice = store.accounts.users.check_password("alice", password)
    assert alice is not None and alice.is_admin
    assert store.accounts.grants.role_of(alice, "project", "mnist") is Role.ADMIN
    [event] = store.accounts.audit.list().events
    assert (event.actor, event.action, event.resource) == (
        f"cli:{getpass.getuser()}",
        "user.create",
        "user:alice",
    )
    assert password not in str(event.detail)

    second = run("users", "create", "bob")
    assert "Accounts are now on" not in second.output
    assert store.accounts.users.check_password("bob", _shown(second.output, "One-time")) is not None
    listed = run("users", "list").output
    assert re.search(r"alice\s+admin\s+active\s+-\s+alice@example.com", listed)
    assert re.search(r"bob\s+user\s+active", listed)
    assert "already" in run("users", "create", "bob", ok=False).output


def test_a_service_account_and_its_keys(run: Invoke, store: Store) -> None:
    run("users", "create", "root", "--admin")
    created = run("users", "create", "ci", "--service")
    assert "no password" in created.output and "trailmark keys create --user ci" in created.output
    assert "One-time password" not in created.output

    made = run("keys", "create", "--user", "ci", "--name", "github", "--read-only")
    key = _shown(made.output, "Key")
    found = store.accounts.keys.authenticate(key)
    assert found is not None and found[0].name == "ci" and found[1].read_only
    expiring = run("keys", "create", "--user", "ci", "--name", "nightly", "--expires-days", "7")
    assert "expires" in expiring.output
    listed = run("keys", "list", "--user", "ci").output
    assert "github" in listed and "read-only" in listed and key[:12] in listed
    assert key not in listed

    key_id = store.accounts.keys.list("ci")[-1].id
    assert "Revoked" in run("keys", "revoke", "--user", "ci", str(key_id)).output
    assert store.accounts.keys.authenticate(key) is None
    assert "revoked" in run("keys", "list", "--user", "ci").output
    assert "no key with id" in run("keys", "revoke", "--user", "root", str(key_id), ok=False).output
    actions = [e.action for e in store.accounts.audit.list().events]
    assert actions[:3] == ["key.revoke", "key.create", "key.create"]
    assert all(key not in str(e.detail) for e in store.accounts.audit.list().events)


def test_passwords_are_asked_twice_and_hidden(run: Invoke, store: Store) -> None:
    run("users", "create", "alice", "--admin")
    new = "a new and long password"
    changed = run("users", "set-password", "alice", input=f"{new}\n{new}\n")
    assert new not in changed.output and "changed" in changed.output
    assert store.accounts.users.check_password("alice", new) is not None
    short = run("users", "set-password", "alice", input="short\nshort\n", ok=False)
    assert "at least 12" in short.output
    mismatch = run("users", "set-password", "alice", input=f"{new}\nother\n{new}\n{new}\n")
    assert "do not match" in mismatch.output
    generated = run("users", "set-password", "alice", "--generate")
    assert store.accounts.users.check_password("alice", _shown(generated.output, "One-time"))
    assert "no user named" in run("users", "set-password", "nobody", ok=False).output


def test_disable_enable_and_admin_keep_one_admin(run: Invoke, store: Store) -> None:
    run("users", "create", "alice", "--admin")
    run("users", "create", "bob")
    assert "last enabled admin" in run("users", "admin", "alice", "--off", ok=False).output
    assert "last enabled admin" in run("users", "disable", "alice", ok=False).output
    run("users", "disable", "bob")
    assert store.accounts.users.get("bob").disabled
    assert "disabled" in run("users", "list").output
    run("users", "enable", "bob")
    run("users", "admin", "bob", "--on")
    run("users", "admin", "alice", "--off")
    assert not store.accounts.users.get("alice").is_admin
    assert store.accounts.users.get("bob").is_admin
    details = [e.detail for e in store.accounts.audit.list(action="user.update").events]
    assert details[0] == {"user": "alice", "admin": False}


def test_teams_and_grants(run: Invoke, store: Store) -> None:
    run("users", "create", "root", "--admin")
    run("users", "create", "bob")
    store.runs.create_project("mnist")
    store.registry.create_model("clf")
    assert "No teams" in run("teams", "list").output
    run("teams", "create", "ml", "--description", "the ML team")
    run("teams", "add", "ml", "bob")
    assert "already" in run("teams", "add", "ml", "bob").output
    assert re.search(r"ml\s+bob\s+the ML team", run("teams", "list").output)

    run("grant", "project", "mnist", "team:ml", "editor")
    run("grant", "model", "clf", "user:bob", "viewer")
    bob = store.accounts.users.get("bob")
    assert store.accounts.grants.role_of(bob, "project", "mnist") is Role.EDITOR
    assert store.accounts.grants.role_of(bob, "model", "clf") is Role.VIEWER
    run("revoke", "model", "clf", "user:bob")
    assert store.accounts.grants.role_of(bob, "model", "clf") is None
    assert (
        "no project named" in run("grant", "project", "nope", "user:bob", "admin", ok=False).output
    )
    bad = CliRunner().invoke(main, ["grant", "project", "mnist", "user:bob", "owner"])
    assert bad.exit_code == 2  # click refuses the role before anything opens

    run("teams", "remove", "ml", "bob")
    assert (
        store.accounts.grants.role_of(store.accounts.users.get("bob"), "project", "mnist") is None
    )
    assert "not a member" in run("teams", "remove", "ml", "bob", ok=False).output
    run("teams", "delete", "ml")
    assert store.accounts.teams.list() == []
    actions = {e.action for e in store.accounts.audit.list().events}
    assert {"team.create", "team.member.add", "team.member.remove", "team.delete"} <= actions
    assert {"grant.set", "grant.remove"} <= actions


def test_no_users_means_accounts_are_off(run: Invoke) -> None:
    assert "accounts are off" in run("users", "list").output

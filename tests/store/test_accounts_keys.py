"""API keys and sign-in sessions: shown once, stored as sha256, refused once revoked,
expired, or their user disabled; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import select, update

from trailmark.errors import InvalidInput, NotFound
from trailmark.store.accounts.keys import LAST_USED_EVERY
from trailmark.store.schema import api_keys, sessions
from trailmark.store.store import Store


@pytest.fixture
def store(store: Store) -> Store:
    store.accounts.users.create("alice", admin=True)
    store.accounts.users.create("bob")
    return store


def test_a_key_authenticates_its_user_and_is_stored_hashed(store: Store) -> None:
    keys = store.accounts.keys
    view, key = keys.create("bob", "laptop")
    assert key.startswith("tmk_") and len(key) == 47
    assert (view.name, view.user, view.prefix, view.read_only, view.active) == (
        "laptop",
        "bob",
        key[:12],
        False,
        True,
    )
    found = keys.authenticate(key)
    assert found is not None
    account, info = found
    assert (account.name, info.id, info.name, info.read_only) == ("bob", view.id, "laptop", False)
    with store.db.read() as conn:
        stored = conn.execute(select(api_keys.c.key_hash)).scalar_one()
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert keys.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.authenticate("tmk_short") is None
    assert keys.authenticate("") is None
    [listed] = keys.list("bob")
    assert listed.last_used is not None and listed.id == view.id
    assert keys.list("alice") == []


def test_last_used_is_written_at_most_once_a_minute(store: Store) -> None:
    _, key = store.accounts.keys.create("bob", "ci")
    store.accounts.keys.authenticate(key)
    [first] = store.accounts.keys.list("bob")
    store.accounts.keys.authenticate(key)
    assert store.accounts.keys.list("bob")[0].last_used == first.last_used
    with store.db.write() as conn:
        conn.execute(update(api_keys).values(last_used_at=time.time() - LAST_USED_EVERY - 1))
    store.accounts.keys.authenticate(key)
    assert store.accounts.keys.list("bob")[0].last_used > first.last_used  # type: ignore[operator]


def test_a_revoked_key_stops_working_at_once(store: Store) -> None:
    keys = store.accounts.keys
    view, key = keys.create("bob", "laptop")
    with pytest.raises(NotFound):
        keys.revoke("alice", view.id)  # not hers
    assert keys.authenticate(key) is not None
    revoked = keys.revoke("bob", view.id)
    assert revoked.revoked is not None and revoked.active is False
    assert keys.authenticate(key) is None
    keys.revoke("bob", view.id)  # again: no change
    with pytest.raises(NotFound):
        keys.revoke("bob", view.id + 1000)


def test_expired_and_read_only_keys(store: Store) -> None:
    keys = store.accounts.keys
    with pytest.raises(InvalidInput, match="future"):
        keys.create("bob", "old", expires_at=time.time() - 1)
    view, key = keys.create("bob", "soon", expires_at=time.time() + 3600, read_only=True)
    found = keys.authenticate(key)
    assert found is not None and found[1].read_only is True and view.read_only
    with store.db.write() as conn:
        conn.execute(update(api_keys).values(expires_at=time.time() - 1))
    assert keys.authenticate(key) is None
    assert keys.list("bob")[0].active is False
    with pytest.raises(NotFound):
        keys.create("nobody", "x")


def test_a_disabled_users_keys_and_sessions_stop_working(store: Store) -> None:
    _, key = store.accounts.keys.create("bob", "laptop")
    token = store.accounts.sessions.create(
        store.accounts.users.get("bob").id, client="10.0.0.1", user_agent="test"
    )
    store.accounts.users.disable("bob")
    assert store.accounts.keys.authenticate(key) is None
    assert store.accounts.sessions.authenticate(token) is None
    store.accounts.users.enable("bob")
    assert store.accounts.keys.authenticate(key) is not None
    assert store.accounts.sessions.authenticate(token) is not None


def test_a_key_carries_its_users_teams(store: Store) -> None:
    store.accounts.teams.create("ml")
    store.accounts.teams.create("infra")
    store.accounts.teams.add_member("ml", "bob")
    store.accounts.teams.add_member("infra", "bob")
    _, key = store.accounts.keys.create("bob", "laptop")
    found = store.accounts.keys.authenticate(key)
    assert found is not None
    ids = {t.id for t in store.accounts.teams.list()}
    assert found[0].team_ids == frozenset(ids) and len(ids) == 2


def test_sessions_are_stored_hashed_expire_and_can_be_revoked(store: Store) -> None:
    sessions_ = store.accounts.sessions
    bob = store.accounts.users.get("bob")
    token = sessions_.create(bob.id, client="10.0.0.1", user_agent="Firefox")
    other = sessions_.create(bob.id, client=None, user_agent=None)
    assert sessions_.authenticate(token) == bob
    assert store.accounts.users.info("bob").last_sign_in is not None
    with store.db.read() as conn:
        hashes = set(conn.execute(select(sessions.c.token_hash)).scalars())
    assert token not in hashes and hashlib.sha256(token.encode()).hexdigest() in hashes
    assert sessions_.authenticate("not-a-token") is None
    sessions_.revoke(token)
    assert sessions_.authenticate(token) is None
    assert sessions_.authenticate(other) == bob
    short = sessions_.create(bob.id, client=None, user_agent=None, lifetime_s=3600)
    with store.db.write() as conn:
        conn.execute(update(sessions).values(expires_at=time.time() - 1))
    assert sessions_.authenticate(short) is None
    assert sessions_.purge_expired() == 2


def test_a_password_change_ends_the_other_sessions(store: Store) -> None:
    bob = store.accounts.users.get("bob")
    sessions_ = store.accounts.sessions
    here = sessions_.create(bob.id, client=None, user_agent=None)
    there = sessions_.create(bob.id, client=None, user_agent=None)
    store.accounts.users.set_password("bob", "a new long password", keep_session=here)
    assert sessions_.authenticate(here) == bob
    assert sessions_.authenticate(there) is None
    assert sessions_.revoke_all(bob.id) == 1
    assert sessions_.authenticate(here) is None

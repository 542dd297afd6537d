"""A server with accounts on, for the accounts API's tests: an admin, a second user, a key
each, and helpers to call as one or the other (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store

BOB_PASSWORD = "bob's password 5678"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(name: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Team:
    """The app, its store, and a key for ``admin`` (server admin) and ``bob`` (a user)."""

    app: FastAPI
    client: TestClient
    store: Store
    admin_key: str
    bob_key: str

    def as_admin(self) -> dict[str, str]:
        return bearer(self.admin_key)

    def as_bob(self) -> dict[str, str]:
        return bearer(self.bob_key)

    def bob_signs_in_with_a_password(self) -> None:
        """Give bob :data:`BOB_PASSWORD` (only where a test needs it: a hash costs ~0.5 s on
        a busy machine, by design)."""
        self.store.accounts.users.set_password("bob", BOB_PASSWORD)

    def user(self, name: str, password: str | None = None, admin: bool = False) -> str:
        """Create a user; their new key."""
        self.store.accounts.users.create(name, admin=admin, password=password)
        return self.store.accounts.keys.create(name, "test")[1]


def accounts_on(app: FastAPI) -> None:
    """Tell the running app that accounts exist now (it would notice within 2 s)."""
    switch = getattr(app.state, "accounts", None)
    if switch is not None:
        switch.refresh()


@pytest.fixture(name="team")
def accounts_team(database_url: str, tmp_path: Path) -> Iterator[Team]:
    app = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    store: Store = app.state.store
    with TestClient(app) as client:
        store.accounts.users.create("admin", admin=True)
        store.accounts.users.create("bob")
        admin_key = store.accounts.keys.create("admin", "test")[1]
        bob_key = store.accounts.keys.create("bob", "test")[1]
        accounts_on(app)
        yield Team(app, client, store, admin_key, bob_key)
    store.close()

"""A real Trailmark server with accounts on, under uvicorn in a thread of the test process,
for the tests of ``trailmark login`` and of the SDK's API keys."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from tests.ports import free_port
from tests.support import wait_for
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store

ALICE_PASSWORD = "alice's long password"


@dataclass
class LiveServer:
    url: str
    store: Store
    alice_key: str
    """An API key of ``alice``, a server admin whose password is :data:`ALICE_PASSWORD`."""


@contextmanager
def live_server(data_dir: Path, *, accounts: bool = True) -> Iterator[LiveServer]:
    """The app over ``data_dir`` (SQLite), listening on a free loopback port."""
    app = create_app(ServerSettings(data_dir=data_dir))
    store: Store = app.state.store
    key = ""
    if accounts:
        store.accounts.users.create("alice", admin=True, password=ALICE_PASSWORD)
        key = store.accounts.keys.create("alice", "tests")[1]
        app.state.accounts.refresh()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), 30, "uvicorn", interval=0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", store, key)
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()

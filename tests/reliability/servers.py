"""Trailmark servers rigged for a test, as processes:

- ``python servers.py page-limited DATA_DIR PORT``: the SQLite database may not grow past the
  page count written in ``DATA_DIR/max_pages`` (a full disk, where mounting a small
  filesystem is not permitted);
- ``python servers.py dashboard DATA_DIR PORT DIST``: the dashboard served from ``DIST``
  instead of the package's built UI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import event

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.server.static import mount_dashboard
from trailmark.store.database import database_for
from trailmark.store.migrations import migrate
from trailmark.store.store import Store

NO_LIMIT = 1_073_741_823


def page_limited(data_dir: str, port: str) -> None:
    directory = Path(data_dir)
    limit_file = directory / "max_pages"
    db = database_for(None, directory)

    @event.listens_for(db.engine, "begin")
    def limit(conn: Any) -> None:
        pages = int(limit_file.read_text()) if limit_file.exists() else NO_LIMIT
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")

    migrate(db)
    app = create_app(ServerSettings(data_dir=directory), store=Store(db))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


def dashboard(data_dir: str, port: str, dist: str) -> None:
    app = create_app(ServerSettings(data_dir=Path(data_dir), port=int(port)))
    app.router.routes = [
        r
        for r in app.router.routes
        if getattr(r, "path", "") != "/" and getattr(r, "name", "") != "dashboard"
    ]
    mount_dashboard(app, Path(dist))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


COMMANDS: dict[str, Callable[..., None]] = {"page-limited": page_limited, "dashboard": dashboard}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

"""The ASGI app: ``create_app(settings)`` wires the store into the routers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from trailmark._version import __version__
from trailmark.server.errors import install_error_handlers
from trailmark.server.headers import SecurityHeaders
from trailmark.server.limits import BodySizeLimit
from trailmark.server.responses import JSON
from trailmark.server.routes import charts, ingest, metrics, projects, runs
from trailmark.server.settings import ServerSettings
from trailmark.server.static import mount_dashboard
from trailmark.store.store import Store


def create_app(settings: ServerSettings, store: Store | None = None) -> FastAPI:
    """The Trailmark server over the database named in ``settings`` (migrated on start)."""
    app = FastAPI(
        title="Trailmark",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        default_response_class=JSON,
    )
    app.state.settings = settings
    app.state.store = store or Store.open(settings.db_url, settings.data_dir)
    install_error_handlers(app)
    for module in (projects, runs, metrics, charts, ingest):
        app.include_router(module.router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "database": app.state.store.db.dialect}

    mount_dashboard(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
    return app

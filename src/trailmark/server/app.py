"""The ASGI app: ``create_app(settings)`` wires the store into the routers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from trailmark._version import __version__
from trailmark.server.errors import install_error_handlers
from trailmark.server.limits import BodySizeLimit
from trailmark.server.routes import ingest, metrics, projects, runs
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store


def create_app(settings: ServerSettings, store: Store | None = None) -> FastAPI:
    """The Trailmark server over the database named in ``settings`` (migrated on start)."""
    app = FastAPI(
        title="Trailmark",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        default_response_class=ORJSONResponse,
    )
    app.state.settings = settings
    app.state.store = store or Store.open(settings.db_url, settings.data_dir)
    install_error_handlers(app)
    for module in (projects, runs, metrics, ingest):
        app.include_router(module.router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "database": app.state.store.db.dialect}

    app.add_middleware(BodySizeLimit)
    return app

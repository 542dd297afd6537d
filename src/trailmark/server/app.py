"""The ASGI app: ``create_app(settings)`` wires the store into the routers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from trailmark._version import __version__
from trailmark.blobs.location import open_blob_store
from trailmark.collector import freeze_startup_objects
from trailmark.server.access import CrossSiteCheck, RequestGuard, admit_everyone
from trailmark.server.access.audit_trail import AuditTrail
from trailmark.server.access.authenticate import Authenticator
from trailmark.server.access.policy import AccountsSwitch
from trailmark.server.access_log import AccessLog
from trailmark.server.errors import install_error_handlers
from trailmark.server.headers import SecurityHeaders
from trailmark.server.hosts import HostCheck, allowed_host_names
from trailmark.server.identity import anonymous
from trailmark.server.ingest_queue import POSTGRES_LANES, IngestQueue, run_ingest_writer
from trailmark.server.limits import BodySizeLimit, route_limits
from trailmark.server.responses import JSON
from trailmark.server.routers import ROUTERS
from trailmark.server.routes import ingest
from trailmark.server.settings import ServerSettings, is_loopback
from trailmark.server.static import mount_dashboard
from trailmark.server.webhook_worker import run_webhook_worker
from trailmark.store.secret_box import SecretBox
from trailmark.store.store import Store
from trailmark.views.health import Health


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with run_webhook_worker(app), run_ingest_writer(app):
        if app.state.settings.dedicated_process:
            freeze_startup_objects()
        yield


def create_app(settings: ServerSettings, store: Store | None = None) -> FastAPI:
    """The Trailmark server over the database named in ``settings`` (migrated on start)."""
    app = FastAPI(
        title="Trailmark",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        default_response_class=JSON,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    secrets = SecretBox.for_server(settings.secret_key, settings.data_dir)
    app.state.store = store or Store.open(
        settings.db_url,
        settings.data_dir,
        open_blob_store(settings.blobs, settings.data_dir),
        secrets=secrets,
    )
    if not app.state.store.webhooks.secrets.configured:
        app.state.store.webhooks.secrets = secrets
    app.state.store.webhooks.seal_plain_secrets()  # rows from before 0007
    lanes = 1 if app.state.store.db.is_sqlite else POSTGRES_LANES
    app.state.ingest_queue = IngestQueue(app.state.store.ingestor, lanes=lanes)
    # Who the caller is and what they may do: everyone, everything, until the database
    # holds a user; then API keys, passwords and session cookies, deny by default
    # (server/access: authenticate.py, policy.py, resources.py, audit_trail.py).
    app.state.identify = anonymous
    app.state.policy = admit_everyone
    app.state.accounts = AccountsSwitch(app.state.store)
    app.state.authenticator = Authenticator(app.state.store, settings)
    app.state.audit_trail = AuditTrail(app.state.store)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/health", tags=["health"], response_model=Health)
    def health() -> dict[str, Any]:
        """Liveness: status, version and database kind."""
        return {"status": "ok", "version": __version__, "database": app.state.store.db.dialect}

    mount_dashboard(app)
    app.add_middleware(ingest.IngestLane)
    app.add_middleware(BodySizeLimit, limits=route_limits(settings))
    # Just inside the guard, outside everything that runs a handler: a write that a page on
    # another origin could have sent is refused on every route (access/cross_site.py).
    app.add_middleware(CrossSiteCheck, routes_of=app)
    # Inside the host check (a rebinding page is refused before anyone is identified) and
    # outside the ingest lane, so that no request reaches a handler unguarded.
    app.add_middleware(RequestGuard, routes_of=app)
    app.add_middleware(
        HostCheck,
        allowed=allowed_host_names(
            settings.host, settings.allowed_hosts, is_loopback(settings.host)
        ),
    )
    app.add_middleware(SecurityHeaders)
    if settings.access_log:
        # Outermost: every answer is logged, the refusals of the checks above included.
        app.add_middleware(AccessLog)
    return app

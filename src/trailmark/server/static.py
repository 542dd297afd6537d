"""The dashboard: the built single-page app served at ``/``, ``index.html`` for client routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIST = Path(__file__).resolve().parent.parent / "web_dist"

NOT_BUILT = """<!doctype html><html><head><meta charset="utf-8"><title>Trailmark</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Trailmark</h1>
<p>The server is running, but this install has no built dashboard.</p>
<p>From a clone, run <code>make ui</code> (needs Node.js) or <code>pip install .</code>, which builds it;
a wheel from PyPI carries it already.</p>
<p>The REST API is at <a href="/api/v1/projects">/api/v1</a>
(schema: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>).</p>
</body></html>"""


class SinglePageApp(StaticFiles):
    """Static files, with ``index.html`` for any path that is not a file (client-side routes)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == "api" or path.startswith(("api/", "health")):
            raise HTTPException(status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            response = await super().get_response("index.html", scope)
            response.headers["Cache-Control"] = "no-cache"
            return response
        if path.startswith("assets/"):
            # Vite puts a content hash in every asset name: cache them for good.
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        elif path in ("", ".", "index.html"):
            response.headers["Cache-Control"] = "no-cache"
        return response


def mount_dashboard(app: FastAPI, web_dist: Path = WEB_DIST) -> None:
    """Serve the dashboard at ``/`` (after every API route, so those win)."""
    if (web_dist / "index.html").is_file():
        app.mount("/", SinglePageApp(directory=web_dist, html=True), name="dashboard")
        return

    @app.get("/", include_in_schema=False)
    def not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT)

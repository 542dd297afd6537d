"""The dashboard is served at / with client-side routes falling back to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.server.static import mount_dashboard


def app_with_dist(tmp_path: Path) -> FastAPI:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>UI</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    app = create_app(ServerSettings(data_dir=tmp_path / "data"))
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/"]
    app.router.routes = [r for r in app.router.routes if getattr(r, "name", "") != "dashboard"]
    mount_dashboard(app, dist)
    return app


def test_client_routes_get_index_and_assets_are_cached(tmp_path: Path) -> None:
    client = TestClient(app_with_dist(tmp_path))
    for path in ("/", "/projects/mnist", "/projects/mnist/runs/abc?x=1"):
        response = client.get(path)
        assert response.status_code == 200 and "<title>UI</title>" in response.text
    asset = client.get("/assets/app-1234.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]


def test_api_paths_never_fall_back_to_the_page(tmp_path: Path) -> None:
    client = TestClient(app_with_dist(tmp_path))
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_path_tricks_do_not_leave_the_dist_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("canary")
    client = TestClient(app_with_dist(tmp_path))
    for path in (
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
    ):
        assert "canary" not in client.get(path).text


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/health", "/api/v1/projects", "/api/v1/nothing", "/"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"

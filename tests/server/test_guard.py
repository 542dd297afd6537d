"""The request guard: every route of the app is declared, and every kind of route passes it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from trailmark.errors import Forbidden
from trailmark.server.access import ROUTE_PERMISSIONS, Permission, RequestGuard, admit_everyone
from trailmark.server.access.guard import RouteTable, declared_permission
from trailmark.server.identity import Identity, current_user
from trailmark.server.static import WEB_DIST


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers and mounts flattened;
    ``*`` for a mount, which answers every method."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            found.append(("*", context.path or "/"))
        else:
            found += [(method, context.path) for method in sorted(context.methods or ())]
    return found


def sample_path(template: str) -> str:
    return re.sub(r"\{[^}:]+\}", "x1", re.sub(r"\{[^}]+:path\}", "a/b.txt", template))


def deny_everything(_identity: Identity, _permission: Permission, _route: str) -> bool:
    return False


def test_every_route_of_the_app_has_a_declared_permission(client: TestClient) -> None:
    routes = every_route(client.app)  # type: ignore[arg-type]
    assert len(routes) > 100 and ("POST", "/api/v1/ingest") in routes
    undeclared = [f"{m} {p}" for m, p in routes if declared_permission(m, p) is None]
    assert not undeclared, f"declare these in trailmark.server.access.permissions: {undeclared}"


def test_nothing_is_declared_that_the_app_does_not_serve(client: TestClient) -> None:
    served = {f"{m} {p}" for m, p in every_route(client.app)}  # type: ignore[arg-type]
    served |= {f"* {p}" for _m, p in every_route(client.app)}  # type: ignore[arg-type]
    served |= {"* /"}  # the dashboard, mounted only where it is built
    assert set(ROUTE_PERMISSIONS) - served == set()


def test_searches_are_reads_and_webhooks_need_a_server_admin() -> None:
    assert ROUTE_PERMISSIONS["POST /api/2.0/mlflow/runs/search"] is Permission.READ
    assert ROUTE_PERMISSIONS["POST /api/v1/projects/{project}/runs/search"] is Permission.READ
    assert ROUTE_PERMISSIONS["POST /api/v1/ingest"] is Permission.WRITE
    assert ROUTE_PERMISSIONS["POST /api/v1/webhooks"] is Permission.SERVER
    assert ROUTE_PERMISSIONS["DELETE /api/v1/projects/{project}"] is Permission.ADMIN


def test_the_table_resolves_each_request_to_the_route_the_router_picks(
    client: TestClient,
) -> None:
    table = RouteTable(client.app.routes)  # type: ignore[attr-defined]
    paths = [sample_path(p) for _m, p in every_route(client.app)]  # type: ignore[arg-type]
    paths += [p + "/" for p in paths] + [p.replace("x1", "a/b") for p in paths]
    deep = "/".join("d" * 20)
    paths += [f"/api/v1/models/m/versions/3/files/{deep}", f"/api/2.0/mlflow/{deep}", f"/{deep}"]
    paths += ["/", "/assets/app.js", "/runs/abc", "/api/v1/nope", "/api//v1/projects", ""]
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        for path in paths:
            expected = table._ordered(method, path, ROUTE_PERMISSIONS)
            assert table.resolve(method, path) == expected, (method, path)
    assert table.resolve("POST", "/api/v1/ingest").route == "POST /api/v1/ingest"
    files = "/api/v1/models/m/versions/3/files/a/b.txt"
    assert table.resolve("GET", files).route.endswith("/files/{path:path}")


def test_a_route_without_a_declared_permission_is_refused() -> None:
    client = TestClient(whoami_app(guarded=True))
    assert client.get("/whoami").status_code == 200
    app: FastAPI = client.app  # type: ignore[assignment]

    @app.get("/undeclared")  # added after the guard compiled its table
    def undeclared() -> dict[str, str]:
        return {"reached": "yes"}

    response = client.get("/undeclared")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "GET /undeclared has no declared permission" in response.json()["error"]["message"]


def test_unknown_paths_still_get_their_not_found(client: TestClient) -> None:
    assert client.get("/api/v1/no-such-thing").status_code == 404
    mlflow = client.get("/api/2.0/mlflow/no-such-thing")
    assert mlflow.status_code == 404 and mlflow.json()["error_code"] == "ENDPOINT_NOT_FOUND"


KINDS = {
    "native": ("GET", "/api/v1/projects", None),
    "ingest lane": ("POST", "/api/v1/ingest", b'{"envelope": {}, "records": []}'),
    "mlflow": ("POST", "/api/2.0/mlflow/runs/search", b"{}"),
    "openapi": ("GET", "/api/v1/openapi.json", None),
    "health": ("GET", "/health", None),
    "dashboard": ("GET", "/", None),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_guard_runs_for_every_kind_of_route(client: TestClient, kind: str) -> None:
    method, path, body = KINDS[kind]
    assert client.request(method, path, content=body).status_code != 403
    client.app.state.policy = deny_everything  # type: ignore[attr-defined]
    refused = client.request(method, path, content=body)
    assert refused.status_code == 403, refused.text
    if kind == "mlflow":
        assert refused.json()["error_code"] == "PERMISSION_DENIED"
    else:
        assert refused.json()["error"]["code"] == "forbidden"


@pytest.mark.skipif(not (WEB_DIST / "index.html").is_file(), reason="dashboard not built")
def test_the_guard_runs_for_the_dashboards_static_files(client: TestClient) -> None:
    asset = next((WEB_DIST / "assets").iterdir()).name
    assert client.get(f"/assets/{asset}").status_code == 200
    client.app.state.policy = deny_everything  # type: ignore[attr-defined]
    assert client.get(f"/assets/{asset}").status_code == 403
    assert client.get("/runs/abc").status_code == 403


def test_the_policy_sees_the_identity_and_the_routes_permission(client: TestClient) -> None:
    seen: list[tuple[str, Permission, str]] = []

    def record(identity: Identity, permission: Permission, route: str) -> bool:
        seen.append((identity.name, permission, route))
        return permission is not Permission.WRITE

    client.app.state.policy = record  # type: ignore[attr-defined]
    client.app.state.identify = lambda c: Identity(c.headers.get("X-User", "anonymous"))  # type: ignore[attr-defined]
    assert client.get("/api/v1/projects", headers={"X-User": "ana"}).status_code == 200
    assert client.post("/api/v1/ingest", content=b"{}").status_code == 403
    assert seen == [
        ("ana", Permission.READ, "GET /api/v1/projects"),
        ("anonymous", Permission.WRITE, "POST /api/v1/ingest"),
    ]


def whoami_app(guarded: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    def whoami(user: str = Depends(current_user)) -> dict[str, str]:
        return {"user": user}

    app.state.identify = lambda _connection: "ana"
    app.state.policy = admit_everyone
    if guarded:
        app.add_middleware(RequestGuard, routes_of=app, declared={"GET /whoami": Permission.READ})
    return app


def test_handlers_read_the_identity_the_guard_found() -> None:
    assert TestClient(whoami_app(guarded=True)).get("/whoami").json() == {"user": "ana"}


def test_a_handler_reached_without_the_guard_is_refused() -> None:
    with pytest.raises(Forbidden, match="did not pass the request guard"):
        TestClient(whoami_app(guarded=False)).get("/whoami")


def test_a_proxy_header_authenticator_names_the_user_and_refuses_a_bad_name(
    client: TestClient,
) -> None:
    from trailmark.server.identity import from_header

    seen: list[Identity] = []

    def record(identity: Identity, _permission: Permission, _route: str) -> bool:
        seen.append(identity)
        return True

    client.app.state.identify = from_header("X-Forwarded-User")  # type: ignore[attr-defined]
    client.app.state.policy = record  # type: ignore[attr-defined]
    assert client.get("/health", headers={"X-Forwarded-User": "ana"}).status_code == 200
    assert client.get("/health").status_code == 200
    assert seen == [Identity("ana", authenticated=True, via="header"), Identity("anonymous")]
    refused = client.get("/health", headers={"X-Forwarded-User": "x" * 300})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_input"


def test_a_mount_below_the_root_answers_for_every_path_under_it() -> None:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    async def files(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never called")

    @app.get("/static/{name}/info")
    def info(name: str) -> dict[str, str]:
        return {"name": name}

    app.mount("/static", files)
    table = RouteTable(app.routes, {"* /static": Permission.PUBLIC})
    for path in ("/static/a.js", "/static/x/info", "/static/x/y/z", "/static/", "/static"):
        for method in ("GET", "POST"):
            assert table.resolve(method, path) == table._ordered(method, path, table.declared)
    assert table.resolve("GET", "/static/a/b/c.js").route == "* /static"
    assert table.resolve("GET", "/static/x/info").route == "GET /static/{name}/info"
    assert table.undeclared() == ["GET /static/{name}/info"]

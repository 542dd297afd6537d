"""Every route of the app x every role, against what its declared permission implies.

With accounts on, each route the app serves (native, ingest, MLflow and its ``/ajax-api``
twins, the accounts API, the dashboard) is called by each role with a request that names
a private project (and its run, experiment, logged model) or a private registered model:

    anonymous, a signed-in stranger, a viewer, an editor, a project admin, a server admin,
    and a read-only key of the editor.

The answer must be what the route's permission (:mod:`trailmark.server.access.permissions`)
and its resource locator (:mod:`trailmark.server.access.resources`) imply: allowed is
anything but 401, 403 and the not-found of a denial; denied is the declared refusal (401
without credentials, 404 for a native resource the caller may not read, MLflow's 403
``PERMISSION_DENIED`` for an MLflow one, 403 otherwise). A route with no declared
permission, or no locator where it needs one, fails the test. Then the hostile cases: a
revoked key on a second replica, guessing a private project's name on native, MLflow and
artifact download routes. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from trailmark.server.access.body_types import ANY_TYPE, body_types
from trailmark.server.access.guard import declared_permission
from trailmark.server.access.permissions import Permission
from trailmark.server.access.policy import SAFE_METHODS, not_found_message
from trailmark.server.access.resources import INGEST_ROUTE, Resource, Target, ingest_envelope
from trailmark.server.access.route_resources import locator_for
from trailmark.server.app import create_app
from trailmark.server.errors import MLFLOW_PATHS
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store

ROLES = ("anonymous", "stranger", "viewer", "editor", "padmin", "admin", "readonly")
RANK = {"stranger": 0, "viewer": 1, "editor": 2, "padmin": 3, "admin": 3, "readonly": 2}
NEEDED = {Permission.READ: 1, Permission.WRITE: 2, Permission.ADMIN: 3}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves; a mount answers GET here."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            found.append(("GET", context.path or "/"))
        else:
            found += [(method, context.path) for method in sorted(context.methods or ())]
    return found


@dataclass
class World:
    """A private project (with a run, its experiment id and a logged model) and a private
    registered model; the viewer, editor and project admin have their roles on both."""

    project: str
    model: str
    run_id: str
    experiment_id: str
    logged_model_id: str


class Matrix:
    def __init__(self, client: TestClient, store: Store) -> None:
        self.client = client
        self.store = store
        self.keys: dict[str, dict[str, str]] = {"anonymous": {}}
        for name in ("stranger", "viewer", "editor", "padmin"):
            store.accounts.users.create(name)
        for name in ("stranger", "viewer", "editor", "padmin", "admin"):
            self.keys[name] = bearer(store.accounts.keys.create(name, "matrix")[1])
        readonly = store.accounts.keys.create("editor", "ro", read_only=True)[1]
        self.keys["readonly"] = bearer(readonly)
        self.counter = itertools.count()
        self.world = self.new_world()

    def new_world(self) -> World:
        n = next(self.counter)
        project, model = f"secret{n}", f"clf{n}"
        store = self.store
        store.runs.create_project(project, "")
        run_id = store.runs.create_run(project, {"name": "r"})["id"]
        experiment_id = store.mlflow.experiments.by_name(project).experiment_id
        store.registry.create_model(model, "", None, "admin")
        logged = self.client.post(
            "/api/2.0/mlflow/logged-models",
            json={"experiment_id": experiment_id, "name": "lm"},
            headers=self.keys["admin"],
        )
        assert logged.status_code == 200, logged.text
        for kind, name in (("project", project), ("model", model)):
            for user, role in (("viewer", "viewer"), ("editor", "editor"), ("padmin", "admin")):
                store.accounts.grants.set(kind, name, f"user:{user}", role, by="admin")
        return World(
            project, model, run_id, experiment_id, logged.json()["model"]["info"]["model_id"]
        )

    def intact(self) -> bool:
        """Whether the world is still as made (a write the matrix allowed may change it)."""
        w = self.world
        grants = self.store.accounts.grants
        try:
            self.store.runs.get_project(w.project)
            self.store.runs.get_run(w.project, w.run_id)
            self.store.registry.get_model(w.model)
        except Exception:
            return False
        expected = {"user:viewer": "viewer", "user:editor": "editor", "user:padmin": "admin"}
        for kind, name in (("project", w.project), ("model", w.model)):
            if grants.visibility(kind, name) != "private":
                return False
            members = {g.principal: g.role for g in grants.list(kind, name)}
            if {p: r for p, r in members.items() if p in expected} != expected:
                return False
            if any(p.startswith("user:") and p[5:] in RANK for p in set(members) - set(expected)):
                return False
        return True

    def request_for(self, method: str, template: str) -> dict[str, Any]:
        w = self.world
        mlflow = template.startswith(MLFLOW_PATHS) or template.endswith("get-artifact")
        model_route = any(
            part in template for part in ("registered-models", "model-versions", "/api/v1/models")
        )
        artifact = f"{w.experiment_id}/{w.run_id}/artifacts/a.txt"
        values = {
            "project": w.project,
            "name": w.model,
            "run_id": w.run_id,
            "model_id": w.logged_model_id,
            "path": artifact if "mlflow-artifacts" in template else "a/b.txt",
            "ref": "1",
            "alias": "champion",
            "digest": "0" * 64,
            "upload_id": "u0",
            "webhook_id": "999999",
            "key_id": "999999",
            "user": "nobody-here",
            "team": "no-team",
            "principal": "user:nobody-here",
            "action": "create",
            "tag_key": "k",
            "rest": "no/such",
        }
        path = re.sub(
            r"\{([^}:]+)(:path)?\}", lambda m: str(values.get(m.group(1), "x1")), template
        )
        fields = {
            "experiment_id": w.experiment_id,
            "run_id": w.run_id,
            "run_uuid": w.run_id,
            "model_id": w.logged_model_id,
            "name": w.model if model_route else w.project,
            "experiment_name": w.project,
            "path": "a.txt",
            "version": "1",
        }
        request: dict[str, Any] = {"method": method, "url": path}
        if method in SAFE_METHODS:
            request["params"] = fields if mlflow else {}
        elif f"{method} {template}" == INGEST_ROUTE:
            request["json"] = {
                "envelope": {"run": w.run_id, "project": w.project, "writer": "w1"},
                "records": [],
            }
        elif body_types(f"{method} {template}") == ANY_TYPE:
            request["content"] = b"bytes"
            request["headers"] = {"Content-Type": "application/octet-stream"}
        else:
            request["json"] = fields
            if mlflow:
                request["params"] = fields
        return request

    def expected(self, route: str, role: str, request: dict[str, Any]) -> str:
        """``allowed``, or the refusal: ``401``, ``403``, ``404`` (a native denial)."""
        method = route.partition(" ")[0]
        permission = declared_permission(method, route.partition(" ")[2])
        assert permission is not None, f"{route} has no declared permission"
        if permission is Permission.PUBLIC:
            return "allowed"
        if role == "anonymous":
            return "401"
        if (
            role == "readonly"
            and permission is not Permission.READ
            and (permission in NEEDED or method not in SAFE_METHODS)
        ):
            return "403"
        if permission is Permission.SIGNED_IN:
            return "allowed"
        if permission is Permission.SERVER:
            return "allowed" if role == "admin" else "403"
        resource = self.resource_of(route, request)
        if resource is None or role == "admin":
            return "allowed"
        rank = RANK[role]
        if rank >= NEEDED[permission]:
            return "allowed"
        if rank == 0:
            return "403" if route.partition(" ")[2].startswith(MLFLOW_PATHS) else "404"
        return "403"

    def resource_of(self, route: str, request: dict[str, Any]) -> Resource | None:
        if route == INGEST_ROUTE:
            import orjson

            return ingest_envelope(orjson.dumps(request["json"]), "application/json")
        locator = locator_for(route)
        assert locator is not None, f"{route} has no declared resource locator"
        template = route.partition(" ")[2]
        pattern = re.compile(
            "^"
            + re.sub(
                r"\\\{([^}:]+)(:path)?\\\}",
                lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
                re.escape(template),
            )
            + "$"
        )
        found = pattern.match(request["url"])
        params = found.groupdict() if found else {}
        query = {k: str(v) for k, v in (request.get("params") or {}).items()}
        body = request.get("json") if locator.reads_body else None
        return locator(Target(params, query, body, self.store))

    def observed(self, route: str, response: Any) -> str:
        status = response.status_code
        if status == 401:
            return "401"
        if status == 403:
            return "403"
        if status == 404 and not route.partition(" ")[2].startswith(MLFLOW_PATHS):
            message = response.json().get("error", {}).get("message", "")
            w = self.world
            denials = {
                not_found_message(Resource("project", w.project)),
                not_found_message(Resource("model", w.model)),
            }
            if message in denials:
                return "404"
        return "allowed"


@pytest.fixture
def matrix(tmp_path: Path, database_url: str) -> Iterator[Matrix]:
    settings = ServerSettings(data_dir=tmp_path, db_url=database_url)
    store = Store.open(settings.db_url, settings.data_dir)
    store.accounts.users.create("admin", admin=True)
    store.close()
    app = create_app(settings)
    with TestClient(app) as client:
        yield Matrix(client, app.state.store)
    app.state.store.close()


def test_every_route_answers_every_role_as_its_permission_declares(matrix: Matrix) -> None:
    routes = every_route(matrix.client.app)  # type: ignore[arg-type]
    assert len(routes) > 150 and ("POST", "/api/v1/ingest") in routes
    assert any(p.startswith("/api/2.0/mlflow/") for _m, p in routes)
    wrong: list[str] = []
    for method, template in routes:
        route = f"{method} {template}"
        for role in ROLES:
            request = matrix.request_for(method, template)
            expected = matrix.expected(route, role, request)
            headers = {**request.pop("headers", {}), **matrix.keys[role]}
            response = matrix.client.request(**request, headers=headers)
            got = matrix.observed(route, response)
            if got != expected:
                wrong.append(f"{route} as {role}: {response.status_code} {response.text[:160]}")
            changed = method not in SAFE_METHODS and response.is_success
            if changed and not matrix.intact():
                matrix.world = matrix.new_world()  # deleted, renamed, or its members changed
    assert not wrong, f"{len(wrong)} answers differ from the declared matrix:\n" + "\n".join(wrong)


def test_a_revoked_key_stops_working_at_once_on_another_replica(
    matrix: Matrix, tmp_path: Path, database_url: str
) -> None:
    other = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    project = f"/api/v1/projects/{matrix.world.project}"
    key = matrix.store.accounts.keys.create("editor", "to revoke")
    with TestClient(other) as replica:
        assert replica.get(project, headers=bearer(key[1])).status_code == 200
        revoked = matrix.client.delete(f"/api/v1/me/keys/{key[0].id}", headers=bearer(key[1]))
        assert revoked.is_success, revoked.text
        assert replica.get(project, headers=bearer(key[1])).status_code == 401
        assert matrix.client.get(project, headers=bearer(key[1])).status_code == 401
    other.state.store.close()


def test_guessing_a_private_projects_name_tells_nothing(matrix: Matrix) -> None:
    w = matrix.world
    stranger, editor = matrix.keys["stranger"], matrix.keys["editor"]
    uploaded = matrix.client.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{w.experiment_id}/{w.run_id}/artifacts/weights.txt",
        content=b"secret weights",
        headers={**editor, "Content-Type": "application/octet-stream"},
    )
    assert uploaded.is_success, uploaded.text
    native = (
        "/api/v1/projects/{p}",
        "/api/v1/projects/{p}/runs",
        "/api/v1/projects/{p}/runs/{r}",
        "/api/v1/projects/{p}/runs/{r}/files/weights.txt",
        "/api/v1/projects/{p}/artifacts/a/versions/latest/files/weights.txt",
    )
    for template in native:
        real = template.format(p=w.project, r=w.run_id)
        made_up = template.format(p="no-such-project", r=w.run_id)
        guessed = matrix.client.get(real, headers=stranger)
        unknown = matrix.client.get(made_up, headers=stranger)
        assert guessed.status_code == unknown.status_code == 404, real
        assert guessed.json()["error"]["message"] == not_found_message(
            Resource("project", w.project)
        )
        assert unknown.json()["error"]["message"] == not_found_message(
            Resource("project", "no-such-project")
        )
    downloads = (
        ("/get-artifact", {"run_uuid": w.run_id, "path": "weights.txt"}),
        (
            f"/api/2.0/mlflow-artifacts/artifacts/{w.experiment_id}/{w.run_id}/artifacts/weights.txt",
            {},
        ),
        ("/api/2.0/mlflow/runs/get", {"run_id": w.run_id}),
        ("/api/2.0/mlflow/experiments/get", {"experiment_id": w.experiment_id}),
    )
    for path, params in downloads:
        refused = matrix.client.get(path, params=params, headers=stranger)
        assert refused.status_code == 403, (path, refused.text)
        assert b"secret weights" not in refused.content
        allowed = matrix.client.get(path, params=params, headers=editor)
        assert allowed.status_code == 200, (path, allowed.text)
        if "artifact" in path:
            assert allowed.content == b"secret weights"


def test_a_session_cookie_sent_cross_site_writes_nothing(matrix: Matrix) -> None:
    """The editor's own browser session, used by a page on another site: reads may be
    sent (and are not readable by that page: no CORS), writes are refused."""
    w = matrix.world
    store = matrix.store
    editor = store.accounts.users.get("editor")
    token = store.accounts.sessions.create(editor.id, client="testclient", user_agent="test")
    client = matrix.client
    client.cookies.set("trailmark_session", token)
    try:
        batch = {
            "envelope": {"run": w.run_id, "project": w.project, "writer": "w9"},
            "records": [{"t": "m", "q": 1, "s": 1, "w": 1000.0, "d": {"loss": 1.0}}],
        }
        assert client.post("/api/v1/ingest", json=batch).status_code == 200
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            for method, path, body in (
                ("POST", "/api/v1/ingest", batch),
                ("DELETE", f"/api/v1/projects/{w.project}/runs/{w.run_id}", None),
                ("POST", "/api/2.0/mlflow/runs/delete", {"run_id": w.run_id}),
            ):
                refused = client.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403, (method, path, refused.text)
        store.runs.get_run(w.project, w.run_id)  # still there
    finally:
        client.cookies.clear()

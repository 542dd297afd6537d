"""Cross-site request forgery: no state-changing route of the app takes a request that a page
on another origin can make the browser send, and the server's own clients still pass.

The routes are enumerated from ``create_app(...)`` (native, ingest, MLflow, the dashboard's
mount), so a new route is covered without an edit here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.server.test_guard import every_route
from trailmark.server.access import ROUTE_PERMISSIONS, Permission
from trailmark.server.access.body_types import (
    ANY_TYPE,
    NO_BODY,
    ROUTE_BODY_TYPES,
    body_types,
    check_table,
)
from trailmark.server.access.cross_site import STATE_CHANGING, same_origin
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.schema import metadata

OWN_ORIGIN = "http://testserver"

BROWSER_HEADERS: dict[str, dict[str, str]] = {
    "another site": {"Origin": "http://evil.example"},
    "another site (Sec-Fetch-Site)": {"Sec-Fetch-Site": "cross-site"},
    "both headers": {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    "a sandboxed page (Origin: null)": {"Origin": "null"},
    "same site, another port": {"Origin": "http://testserver:3000"},
    "same site (Sec-Fetch-Site)": {
        "Sec-Fetch-Site": "same-site",
        "Origin": "http://testserver:3000",
    },
    "a sibling subdomain": {"Origin": "http://app.testserver"},
    "the same host over https": {"Origin": "https://testserver"},
}
"""What a browser sends with a request a page on another origin made."""


def multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--b0undary\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return ("".join(parts) + "--b0undary--\r\n").encode()


def form_bodies(payload: dict[str, Any]) -> dict[str, tuple[str | None, bytes]]:
    """Bodies a plain form or ``fetch(..., {mode: "no-cors"})`` sends without a preflight:
    ``(Content-Type, body)``, the JSON smuggled in the way an attacker would."""
    as_json = orjson.dumps(payload)
    flat = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in payload.items()}
    return {
        "text/plain": ("text/plain", as_json),
        "text/plain with a charset": ("text/plain;charset=UTF-8", as_json),
        "urlencoded": (
            "application/x-www-form-urlencoded",
            "&".join(f"{k}={v}" for k, v in flat.items()).encode(),
        ),
        "multipart": ("multipart/form-data; boundary=b0undary", multipart(flat)),
        "no Content-Type": (None, as_json),
    }


def sample_path(template: str, samples: dict[str, str]) -> str:
    path = re.sub(r"\{[^}]+:path\}", "a/b.txt", template)
    return re.sub(r"\{([^}:]+)\}", lambda m: samples.get(m.group(1), "x1"), path)


def state_changing_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """``(method, template, declared route)`` of every state-changing route; a mount or a
    catch-all (``*``) answers every method."""
    found = []
    for method, path in every_route(app):
        for each in sorted(STATE_CHANGING) if method == "*" else [method]:
            if each in STATE_CHANGING:
                found.append((each, path, f"{method} {path}"))
    return found


def store_contents(app: FastAPI, data_dir: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Every row of every table, and every stored file: what a refused request must not change."""
    with app.state.store.db.read() as conn:
        rows = {
            t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t)))
            for t in metadata.sorted_tables
        }
    files = sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and ".db" not in p.name
    )
    return rows, files


def refusal(response: Response) -> str | None:
    """The cross-site check's refusal this response is, or ``None``."""
    if response.status_code not in (403, 415):
        return None
    body = response.json()
    if "error_code" in body:  # an MLflow client's body (PERMISSION_DENIED)
        return "cross_site_request" if "cross-site request refused" in body["message"] else None
    code: str = body["error"]["code"]
    return code if code in ("cross_site_request", "unsupported_media_type") else None


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    yield app
    app.state.store.close()


def seed(client: TestClient) -> dict[str, Any]:
    """A project with a run, an MLflow experiment with a run, a registered model: real
    things for the requests to name, so that one that got through would change them."""
    envelope = {"run": "r1", "project": "p", "writer": "w1"}
    records = [{"t": "m", "q": 1, "s": 0, "w": 1000.0, "d": {"loss": 0.5}}]
    assert client.post("/api/v1/ingest", json={"envelope": envelope, "records": records}).is_success
    experiment = client.post("/api/2.0/mlflow/experiments/create", json={"name": "seed"}).json()
    run = client.post(
        "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment["experiment_id"]}
    ).json()["run"]["info"]["run_id"]
    model = client.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"})
    assert model.is_success, model.text
    return {
        "name": "evil",
        "new_name": "evil-renamed",
        "experiment_id": experiment["experiment_id"],
        "run_id": run,
        "key": "evil",
        "value": "1",
        "timestamp": 0,
        "step": 0,
        "metrics": [{"key": "evil", "value": 1.0, "timestamp": 0, "step": 0}],
        "params": [{"key": "evil", "value": "1"}],
        "tags": [{"key": "evil", "value": "1"}],
        "envelope": {"run": "evil", "project": "p", "writer": "w1"},
        "records": records,
        "version": "1",
        "alias": "evil",
        "stage": "Archived",
        "description": "evil",
    }


@pytest.mark.slow
def test_no_state_changing_route_takes_a_request_another_origin_can_send(
    app: FastAPI, tmp_path: Path
) -> None:
    with TestClient(app) as client:
        payload = seed(client)
        before = store_contents(app, tmp_path)
        routes = state_changing_routes(app)
        assert ("POST", "/api/v1/ingest", "POST /api/v1/ingest") in routes and len(routes) > 60
        samples = {"project": "p", "run_id": "r1", "name": "m", "model_id": "x1"}
        bodies = form_bodies(payload)
        accepted = []
        for method, template, route in routes:
            url = sample_path(template, samples)
            # From another origin: refused whatever the body (a browser's PUT, PATCH and
            # DELETE need a preflight first, but the check does not count on it).
            variants = [
                ("json", ("application/json", orjson.dumps(payload))),
                ("text/plain", bodies["text/plain"]),
                ("no body", (None, b"")),
            ]
            for (origin, headers), (body_name, (kind, body)) in itertools.product(
                BROWSER_HEADERS.items(), variants
            ):
                sent = dict(headers, **({"Content-Type": kind} if kind else {}))
                response = client.request(method, url, content=body, headers=sent)
                if refusal(response) != "cross_site_request":
                    accepted.append((method, url, origin, body_name, response.status_code))
            # From a browser that sends neither header: the body types a form can send.
            if method != "POST" and body_types(route) == ANY_TYPE:
                continue  # raw bytes over a method no page can send cross-site unasked
            for body_name, (kind, body) in bodies.items():
                sent = {"Content-Type": kind} if kind else {}
                response = client.request(method, url, content=body, headers=sent)
                if body_types(route) == NO_BODY:  # a catch-all: answers, never reads it
                    if response.status_code < 400:
                        accepted.append((method, url, "catch-all", body_name, response.status_code))
                elif refusal(response) != "unsupported_media_type":
                    accepted.append((method, url, "no headers", body_name, response.status_code))
        answered = [a for a in accepted if a[-1] < 300]  # the handler did what was asked
        assert not accepted, (
            f"{len(accepted)} cross-site requests were not refused, {len(answered)} answered "
            f"2xx: {(answered or accepted)[:12]}"
        )
        assert store_contents(app, tmp_path) == before


def test_the_refusals_say_why_and_what_a_client_should_do(app: FastAPI) -> None:
    with TestClient(app) as client:
        refused = client.post(
            "/api/v1/projects", json={"name": "x"}, headers={"Origin": "http://evil.example"}
        )
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["code"] == "cross_site_request"
        assert "'http://evil.example'" in error["message"] and "dashboard" in error["message"]
        mlflow = client.post(
            "/api/2.0/mlflow/experiments/create",
            json={"name": "x"},
            headers={"Sec-Fetch-Site": "same-site"},
        )
        assert mlflow.status_code == 403 and mlflow.json()["error_code"] == "PERMISSION_DENIED"
        assert "Sec-Fetch-Site: same-site" in mlflow.json()["message"]
        typed = client.post(
            "/api/2.0/mlflow/experiments/create",
            content=b'{"name": "x"}',
            headers={"Content-Type": "text/plain"},
        )
        assert typed.status_code == 415
        message = typed.json()["error"]["message"]
        assert "POST /api/2.0/mlflow/experiments/create takes application/json" in message
        assert "Content-Type: application/json" in message and "'text/plain'" in message
        ingest = client.post("/api/v1/ingest", content=b"{}")
        assert ingest.status_code == 415
        assert "application/x-ndjson or application/json" in ingest.json()["error"]["message"]


SAME_ORIGIN: dict[str, dict[str, str]] = {
    "no browser headers (a program)": {},
    "the dashboard (Origin)": {"Origin": OWN_ORIGIN},
    "the dashboard (Sec-Fetch-Site)": {"Sec-Fetch-Site": "same-origin", "Origin": OWN_ORIGIN},
    "typed in the address bar": {"Sec-Fetch-Site": "none"},
    "the default port spelled out": {"Origin": "http://testserver:80"},
}


@pytest.mark.parametrize("who", sorted(SAME_ORIGIN))
def test_same_origin_and_programs_still_change_data(app: FastAPI, who: str) -> None:
    headers = SAME_ORIGIN[who]
    with TestClient(app) as client:
        created = client.post(
            "/api/2.0/mlflow/experiments/create", json={"name": "mine"}, headers=headers
        )
        assert created.status_code == 200, created.text
        experiment = created.json()["experiment_id"]
        charset = dict(headers, **{"Content-Type": "application/json; charset=utf-8"})
        renamed = client.post(
            "/api/2.0/mlflow/experiments/update",
            content=orjson.dumps({"experiment_id": experiment, "new_name": "ours"}),
            headers=charset,
        )
        assert renamed.status_code == 200, renamed.text
        ndjson = (
            b'{"run":"r1","project":"p","writer":"w1"}\n{"t":"m","q":1,"s":0,"w":1.0,"d":{"x":1}}\n'
        )
        ingest = dict(headers, **{"Content-Type": "application/x-ndjson"})
        assert client.post("/api/v1/ingest", content=ndjson, headers=ingest).status_code == 200
        # An artifact upload takes whatever type the client guessed from the file's name.
        run = client.post(
            "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment}, headers=headers
        ).json()["run"]["info"]
        artifact = (
            f"/api/2.0/mlflow-artifacts/artifacts/{experiment}/{run['run_id']}/artifacts/a.txt"
        )
        text = dict(headers, **{"Content-Type": "text/plain"})
        assert client.put(artifact, content=b"hello", headers=text).status_code == 200
        assert client.get(artifact).content == b"hello"
        # A DELETE without a body, as the dashboard sends it.
        assert client.delete("/api/v1/projects/p/runs/r1", headers=headers).is_success
        assert client.get("/api/v1/projects/p/runs/r1").status_code == 404


def test_a_route_added_later_is_covered_without_declaring_anything_here(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.post("/api/v1/added-later")
    def added_later() -> dict[str, str]:
        return {"reached": "yes"}

    app.router.routes.insert(0, app.router.routes.pop())  # before the dashboard's mount
    monkeypatch.setitem(ROUTE_PERMISSIONS, "POST /api/v1/added-later", Permission.WRITE)
    with TestClient(app) as client:
        assert client.post("/api/v1/added-later", json={}).json() == {"reached": "yes"}
        refused = client.post(
            "/api/v1/added-later", json={}, headers={"Origin": "http://evil.example"}
        )
        assert refused.json()["error"]["code"] == "cross_site_request"
        form = client.post(
            "/api/v1/added-later", content=b"{}", headers={"Content-Type": "text/plain"}
        )
        assert form.json()["error"]["code"] == "unsupported_media_type"


def test_every_declared_body_type_names_a_route_the_app_serves(app: FastAPI) -> None:
    served = {f"{m} {p}" for m, p in every_route(app)} | {f"* {p}" for _m, p in every_route(app)}
    served |= {"* /"}  # the dashboard, mounted only where it is built
    assert set(ROUTE_BODY_TYPES) <= served
    catch_alls = {r for r, types in ROUTE_BODY_TYPES.items() if types == NO_BODY}
    assert all(r.startswith("* ") for r in catch_alls), "only catch-alls leave bodies unread"
    check_table()


def test_a_post_route_that_takes_form_types_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="any web page could post"):
        check_table({"POST /api/v1/things": ANY_TYPE})
    with pytest.raises(ValueError, match="any web page could post"):
        check_table({"POST /api/v1/things": ("application/json", "text/plain")})
    check_table({"PUT /api/v1/things/{id}": ANY_TYPE})


@pytest.mark.parametrize(
    ("origin", "scheme", "host", "same"),
    [
        ("http://127.0.0.1:5000", "http", "127.0.0.1:5000", True),
        ("http://LOCALHOST:5000", "http", "localhost:5000", True),
        ("https://tracker.example", "https", "tracker.example:443", True),
        ("http://[::1]:5000", "http", "[::1]:5000", True),
        ("http://localhost:3000", "http", "localhost:5000", False),
        ("http://127.0.0.1:5000", "http", "localhost:5000", False),
        ("https://127.0.0.1:5000", "http", "127.0.0.1:5000", False),
        ("http://127.0.0.1:5000/x", "http", "127.0.0.1:5000", False),
        ("http://127.0.0.1:notaport", "http", "127.0.0.1:5000", False),
        ("null", "http", "127.0.0.1:5000", False),
        ("", "http", "127.0.0.1:5000", False),
        ("http://127.0.0.1:5000", "http", None, False),
    ],
)
def test_same_origin_compares_scheme_host_and_port(
    origin: str, scheme: str, host: str | None, same: bool
) -> None:
    assert same_origin(origin, scheme, host) is same

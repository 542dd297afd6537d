"""Stored bytes are never active content on the app's origin, on every GET route of the app.

The routes are enumerated from the app itself: every GET route is requested with every sample
of its path parameters (a table by parameter *name*, so a new route with known names is covered
without an edit), with and without the query fields MLflow's GET endpoints read. A route that
answers no sample with a success fails the coverage test until it gets a sample or is declared
below as never answering stored bytes. Every answer that carries a payload's bytes must be inert.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.server.stored_payloads import ACTIVE, MARK, NAME, PAYLOADS, Seeded, seed_payloads
from trailmark.server.app import create_app
from trailmark.server.downloads import STORED_CONTENT_POLICY, inline_type, stored_bytes
from trailmark.server.settings import ServerSettings

NEVER_STORED_BYTES = {
    "/api/2.0/mlflow-artifacts/presigned/{path:path}": "always 501: no presigned URLs",
    "/api/2.0/mlflow/{rest:path}": "the fallback: always ENDPOINT_NOT_FOUND",
    "/api/3.0/mlflow/{rest:path}": "the fallback: always ENDPOINT_NOT_FOUND",
    "/api/2.0/mlflow-artifacts/{rest:path}": "the fallback: always ENDPOINT_NOT_FOUND",
    "/ajax-api/{rest:path}": "the fallback: always ENDPOINT_NOT_FOUND",
    "/api/v1/me/keys": "JSON about the caller's keys; 409 while accounts are off (as here)",
    "/api/v1/users/{user}/keys": "JSON about a user's keys; 409 while accounts are off (as here)",
    "/api/v1/auth/oidc/start": "a redirect: to the provider, or to the sign-in page's message",
    "/api/v1/auth/oidc/callback": "a redirect: to the dashboard, or to the sign-in page's message",
}
"""GET routes that never answer stored bytes, and why (every other one must answer a sample)."""

INLINE_TYPES = re.compile(
    r"(image/(png|jpeg|gif|webp|avif|bmp)|audio/[\w.+-]+|video/[\w.+-]+|text/plain|text/csv)"
)
"""Types a browser shows as a picture, a player or text, never as a document that runs."""

SANDBOX = "sandbox"


@dataclass(frozen=True)
class Answer:
    route: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


def path_samples(seeded: Seeded) -> dict[str, list[str]]:
    """Values for each path parameter name of the app's routes."""
    files = list(PAYLOADS)
    mlflow_forms = [
        f"{seeded.experiment_id}/{seeded.run_id}/artifacts/{{}}",
        f"{seeded.experiment_id}/models/{seeded.model_id}/artifacts/{{}}",
        f"_registry/{NAME}/1/{{}}",
    ]
    return {
        "project": [NAME],
        "run_id": [seeded.run_id],
        "name": [NAME],
        "ref": ["v0", "1"],
        "path": files + [form.format(f) for form in mlflow_forms for f in files],
        "upload_id": [seeded.upload_id],
        "webhook_id": [seeded.webhook_id],
        "model_id": [seeded.model_id],
        "rest": ["x"],
        "user": ["ada"],
        "team": ["ml"],
        "principal": ["user:ada"],
        "key_id": ["1"],
    }


def query_samples(seeded: Seeded) -> dict[str, Any]:
    """The query fields GET routes require (MLflow's read them from the query string)."""
    return {
        "experiment_id": seeded.experiment_id,
        "experiment_name": NAME,
        "run_id": seeded.run_id,
        "run_ids": [seeded.run_id],
        "metric_key": "loss",
        "key": "loss",
        "name": NAME,
        "version": "1",
        "alias": "best",
        "node": f"run:{seeded.run_id}",
        "path": f"{seeded.experiment_id}/{seeded.run_id}/artifacts",
    }


def file_queries(seeded: Seeded) -> dict[str, list[dict[str, str]]]:
    """Routes that name their file in the query string (MLflow's UI routes): one per file."""
    return {
        "/get-artifact": [{"run_id": seeded.run_id, "path": f} for f in PAYLOADS],
        "/model-versions/get-artifact": [
            {"name": NAME, "version": "1", "path": f} for f in PAYLOADS
        ],
        "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files": [
            {"artifact_file_path": f} for f in PAYLOADS
        ],
    }


def get_routes(app: FastAPI) -> list[str]:
    return [
        context.path
        for context in iter_route_contexts(app.routes)
        if context.path
        and not isinstance(context.original_route, Mount)
        and "GET" in (context.methods or ())
    ]


def urls_of(route: str, samples: dict[str, list[str]]) -> list[str]:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", route)
    missing = [n for n in names if n not in samples]
    assert not missing, f"{route}: add samples for {missing} to path_samples"
    urls = []
    for values in itertools.product(*(samples[n] for n in names)):
        url = route
        for value in values:
            url = re.sub(r"\{\w+(?::\w+)?\}", value.replace("\\", "\\\\"), url, count=1)
        urls.append(url)
    return urls


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def answers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Answer]]:
    """Every GET route of a seeded app, asked every sample: the answers (once per database)."""
    data_dir = tmp_path_factory.mktemp("stored-bytes")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'trailmark.db'}"
    else:
        pg_name, url = _create_pg_database()
    settings = ServerSettings(data_dir=data_dir, db_url=url, webhooks_allow_private=True)
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://localhost") as client:
            yield ask_every_get_route(app, client)
    finally:
        app.state.store.close()
        if pg_name:
            _drop_pg_database(pg_name)


def ask_every_get_route(app: FastAPI, client: TestClient) -> list[Answer]:
    seeded = seed_payloads(client)
    samples = path_samples(seeded)
    query = query_samples(seeded)
    found = []
    for route in get_routes(app):
        # a file's route answers whatever the query; a listing is asked with and without
        queries = [{}] if "{path:path}" in route else [{}, query]
        queries = file_queries(seeded).get(route, queries)
        for url, params in itertools.product(urls_of(route, samples), queries):
            # A redirect is asked as it is: followed, it would be another route's answer.
            response = client.get(url, params=params, follow_redirects=False)
            headers = {k.lower(): v for k, v in response.headers.items()}
            found.append(Answer(route, url, response.status_code, headers, response.content))
    return found


def is_json(answer: Answer) -> bool:
    return answer.headers.get("content-type", "").split(";")[0].strip() == "application/json"


def header_values(answer: Answer, name: str) -> list[str]:
    return [v.strip() for v in answer.headers.get(name, "").split(",") if v.strip()]


def active_reason(answer: Answer) -> str | None:
    """Why a browser could run these bytes as script on the app's origin (None: it cannot)."""
    media = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    problems = []
    if "nosniff" not in header_values(answer, "x-content-type-options"):
        problems.append("no X-Content-Type-Options: nosniff")
    if media == "application/json":
        return "; ".join(problems) or None  # shown as text, never sniffed into a document
    policies = answer.headers.get("content-security-policy", "")
    if not re.search(rf"(^|[;,])\s*{SANDBOX}\s*(;|,|$)", policies):
        problems.append("no sandboxing Content-Security-Policy")
    elif "default-src 'none'" not in policies:
        problems.append("the sandboxing policy does not deny scripts (default-src 'none')")
    if not INLINE_TYPES.fullmatch(media):
        if media != "application/octet-stream":
            problems.append(f"served as {media!r}, a type a browser may run")
        if not answer.headers.get("content-disposition", "").startswith("attachment"):
            problems.append("neither an inline-safe type nor an attachment")
    return "; ".join(problems) or None


@pytest.mark.slow
def test_every_answer_carrying_stored_bytes_is_inert(answers: list[Answer]) -> None:
    carrying = [a for a in answers if a.status < 300 and MARK in a.body]
    raw = {
        a.route for a in carrying if not a.headers["content-type"].startswith("application/json")
    }
    assert raw >= {
        "/api/v1/projects/{project}/runs/{run_id}/files/{path:path}",
        "/api/v1/projects/{project}/artifacts/{name}/versions/{ref}/files/{path:path}",
        "/api/v1/models/{name}/versions/{ref}/files/{path:path}",
        "/api/2.0/mlflow-artifacts/artifacts/{path:path}",
        "/api/v1/projects/{project}/runs/{run_id}/logs.txt",
        "/get-artifact",
        "/model-versions/get-artifact",
        "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
    }, "the seeding no longer reaches every door: fix stored_payloads.py"
    for file in ACTIVE:  # each active file is served by each download route
        assert len({a.route for a in carrying if a.url.endswith("/" + file)}) >= 4, file
    active = sorted({f"{a.url} ({a.status}): {r}" for a in carrying if (r := active_reason(a))})
    assert not active, "stored bytes served as active content:\n" + "\n".join(active)


@pytest.mark.slow
def test_every_answer_that_is_not_json_is_inert(answers: list[Answer]) -> None:
    """Whatever a new route serves, it is not JSON only if it serves bytes: those go through
    downloads.stored_bytes too, even where the seeding does not reach their content."""
    raw = [a for a in answers if a.status < 300 and not is_json(a)]
    assert raw
    active = sorted({f"{a.url} ({a.status}): {r}" for a in raw if (r := active_reason(a))})
    assert not active, "bytes served without the inert headers:\n" + "\n".join(active)


@pytest.mark.slow
def test_every_get_route_answers_a_sample_or_is_declared(answers: list[Answer]) -> None:
    routes = {a.route for a in answers}
    answered = {a.route for a in answers if a.status < 300}
    unanswered = sorted(routes - answered - set(NEVER_STORED_BYTES))
    assert not unanswered, (
        "these GET routes answered no sample with a success, so nothing proves they serve "
        "stored bytes inert: give them samples in path_samples/query_samples, or declare them "
        f"in NEVER_STORED_BYTES with the reason: {unanswered}"
    )
    assert set(NEVER_STORED_BYTES) <= routes, "NEVER_STORED_BYTES names a route the app lacks"
    assert len(routes) > 50


@pytest.mark.slow
def test_the_dashboards_previews_keep_their_bytes(answers: list[Answer]) -> None:
    """The dashboard fetches files and shows them from a blob; an image stays an image where
    the type is named (MLflow's route)."""
    png = [a for a in answers if a.status == 200 and a.url.endswith("/plot.png")]
    assert png and all(a.body == PAYLOADS["plot.png"] for a in png)
    mlflow = [a for a in png if a.route.startswith("/api/2.0/mlflow-artifacts/")]
    assert mlflow and all(a.headers["content-type"] == "image/png" for a in mlflow)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("a/page.html", None),
        ("page.HTM", None),
        ("page.xhtml", None),
        ("icon.svg", None),
        ("feed.xml", None),
        ("evil.js", None),
        ("report.pdf", None),
        ("style.css", None),
        ("README", None),
        ("model.pkl", None),
        ("plot.png", "image/png"),
        ("photo.JPG", "image/jpeg"),
        ("notes.txt", "text/plain"),
        ("table.csv", "text/csv"),
        ("clip.mp4", "video/mp4"),
    ],
)
def test_only_types_a_browser_just_shows_are_inline(path: str, shown: str | None) -> None:
    assert inline_type(path) == shown
    response = stored_bytes(b"<html><script>x</script>", path, inline=True)
    assert response.media_type == (shown or "application/octet-stream")
    assert response.headers["content-disposition"].startswith("inline" if shown else "attachment")
    assert response.headers["content-security-policy"] == STORED_CONTENT_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_native_downloads_are_attachments_and_named_safely() -> None:
    plain = stored_bytes(b"x", "dir/plot.png")
    assert plain.media_type == "application/octet-stream"
    assert plain.headers["content-disposition"] == 'attachment; filename="plot.png"'
    odd = stored_bytes(b"x", 'dir/a "b";\r\nx.html')
    assert odd.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''a%20%22b%22%3B%0D%0Ax.html"
    )
    with pytest.raises(ValueError):
        stored_bytes(b"x", "a.txt", media_type="text/html")

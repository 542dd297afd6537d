"""``/api/v1/openapi.json`` describes the answer of every route that answers JSON.

The routes are enumerated from the app itself, so a new route without a declared response
model fails here by name. A route that answers no JSON (204, file downloads, streamed text)
says so by its status or its response class.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.responses import JSONResponse

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.views.base import View


def answers_json(route: APIRoute) -> bool:
    """Whether a route answers a JSON body (it must then document it). Routes that answer
    something else say so: 204, or a response class that is not JSON (downloads, text)."""
    response_class = route.response_class
    if isinstance(response_class, DefaultPlaceholder):
        response_class = response_class.value
    return route.status_code != 204 and issubclass(response_class, JSONResponse)


def app_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """``(METHOD, path, route)`` for every documented operation of the app."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(set(context.methods or ()) - {"HEAD"}):
                yield method, str(context.path_format), route


def _new_app() -> tuple[FastAPI, tempfile.TemporaryDirectory[str]]:
    scratch = tempfile.TemporaryDirectory()
    return create_app(ServerSettings(data_dir=Path(scratch.name))), scratch


def _operations() -> list[Any]:
    app, scratch = _new_app()
    try:
        return [
            pytest.param(method, path, id=f"{method} {path}")
            for method, path, route in app_routes(app)
            if answers_json(route)
        ]
    finally:
        app.state.store.close()
        scratch.cleanup()


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    app, scratch = _new_app()
    try:
        yield app.openapi()
    finally:
        app.state.store.close()
        scratch.cleanup()


def schema_of(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation = document["paths"][path][method.lower()]
    success = [code for code in operation["responses"] if code.startswith("2")]
    assert len(success) == 1, f"{method} {path}: one success status, got {success}"
    schema: dict[str, Any] = operation["responses"][success[0]]["content"]["application/json"][
        "schema"
    ]
    return schema


def refers_to_a_model(schema: dict[str, Any]) -> bool:
    """A named component (possibly in a list or a union), not ``{}`` or a bare object."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return refers_to_a_model(schema.get("items", {}))
    choices = schema.get("anyOf") or schema.get("oneOf") or []
    return bool(choices) and all(refers_to_a_model(c) for c in choices)


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_json_answer_has_a_schema(document: dict[str, Any], method: str, path: str) -> None:
    schema = schema_of(document, method, path)
    assert refers_to_a_model(schema), f"{method} {path} answers an undescribed body: {schema}"


def test_native_routes_answer_view_models() -> None:
    """The native API's models come from ``trailmark.views`` (the one contract package)."""
    app, scratch = _new_app()
    try:
        for method, path, route in app_routes(app):
            if answers_json(route) and path.startswith(("/api/v1/", "/health")):
                model = route.response_model
                assert isinstance(model, type) and issubclass(model, View), (
                    f"{method} {path} declares {model!r}, not a trailmark.views model"
                )
    finally:
        app.state.store.close()
        scratch.cleanup()


def test_the_document_names_its_components_once(document: dict[str, Any]) -> None:
    """Two view models of one name would be renamed by FastAPI (``Run-Input`` and the like)
    and the generated TypeScript types would change names with the import order."""
    names = list(document["components"]["schemas"])
    mangled = [n for n in names if "__" in n or n.endswith(("-Input", "-Output"))]
    assert mangled == []


def test_view_models_forbid_unknown_keys() -> None:
    assert issubclass(View, BaseModel)
    assert View.model_config.get("extra") == "forbid"

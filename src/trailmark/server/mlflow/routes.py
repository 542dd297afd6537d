"""The MLflow endpoints table (:mod:`trailmark.mlflow_api.endpoints`) mounted as routes.

Each route is a thin adapter: read the request's fields, run the handler in the thread
pool, answer its dict as JSON. The answer is serialised once, as the handler built it
(FastAPI skips the response model for a ready response), so MLflow clients read the same
bytes; the response model only documents the answer in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from trailmark.errors import InvalidInput
from trailmark.mlflow_api.endpoints import ARTIFACTS, ENDPOINTS, GROUPS, Endpoint
from trailmark.mlflow_api.fields import Fields
from trailmark.server.identity import current_identity
from trailmark.server.mlflow import artifacts, caller_checks
from trailmark.server.mlflow.errors import mlflow_router
from trailmark.server.responses import JSON


async def read_fields(request: Request) -> Fields:
    """The JSON body (or the query string), with the path parameters."""
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    if request.method != "GET":
        body = await request.body()
        if body.strip():
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
            if not isinstance(parsed, dict):
                raise InvalidInput("the request body must be a JSON object")
            data.update(parsed)
    data.update(request.path_params)
    return Fields(data)


def _route(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    handler = endpoint.handler

    async def route(request: Request) -> Response:
        fields = await read_fields(request)
        identity = current_identity(request)
        # What the guard cannot check (searches, creators, second resources): caller_checks.
        store = request.app.state.store
        result = await run_in_threadpool(
            caller_checks.call, handler, endpoint.path, store, fields, identity
        )
        return JSON(result)

    route.__name__ = f"mlflow_{handler.__name__}"
    return route


def build_routers() -> tuple[APIRouter, ...]:
    """One router per group of the table, in its order (the app mounts them, then the
    fallback); the artifacts group starts with the streamed routes."""
    routers = {group: mlflow_router(group) for group in GROUPS}
    artifacts.add_routes(routers[ARTIFACTS])
    for endpoint in ENDPOINTS:
        routers[endpoint.group].add_api_route(
            endpoint.path,
            _route(endpoint),
            methods=[endpoint.method],
            summary=endpoint.doc.split("\n")[0],
            description=endpoint.doc,
            response_model=endpoint.response,
            response_model_exclude_none=True,
            include_in_schema=not endpoint.path.startswith("/ajax-api/"),
        )
    for router in routers.values():
        _add_ajax_routes(router)
    return tuple(routers[group] for group in GROUPS)


AJAX_PREFIXES = {
    "/api/2.0/mlflow/": "/ajax-api/2.0/mlflow/",
    "/api/3.0/mlflow/": "/ajax-api/3.0/mlflow/",
}


def ajax_path(path: str) -> str | None:
    """The ``/ajax-api/...`` twin MLflow's server gives a REST path (its UI and some client
    helpers call those), or None."""
    for rest, ajax in AJAX_PREFIXES.items():
        if path.startswith(rest):
            return ajax + path.removeprefix(rest)
    return None


def _add_ajax_routes(router: APIRouter) -> None:
    """Serve each MLflow REST route of ``router`` under its ``/ajax-api`` path too (the
    same handler, the same guard; left out of the API schema)."""
    for route in list(router.routes):
        if not isinstance(route, APIRoute):
            continue
        twin = ajax_path(route.path)
        if twin is not None:
            router.add_api_route(
                twin, route.endpoint, methods=sorted(route.methods or ()), include_in_schema=False
            )

"""MLflow's error contract and the route class that enforces it on every MLflow route.

MLflow clients branch on ``{"error_code": ..., "message": ...}`` and on the HTTP status
(``RESOURCE_DOES_NOT_EXIST`` with 404 makes ``set_experiment`` create the experiment; 429 and
5xx are retried). Trailmark's typed errors are translated here, in one place, by
:class:`MlflowRoute`, so these routes never answer with Trailmark's ``{"error": {...}}`` body
and Trailmark's own handlers stay as they are. Each response also carries
``Server-Timing: app;dur=<ms>``: the time spent in the handler, for the benchmarks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response

from trailmark import errors
from trailmark.server.responses import JSON
from trailmark.store.races import race_conflict

log = logging.getLogger("trailmark.server.mlflow")

STATUS_OF = {
    "BAD_REQUEST": 400,
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
}


class MlflowError(Exception):
    """An error in MLflow's terms: an error code and, by default, the status MLflow gives it."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_OF.get(code, 500)

    def response(self) -> JSON:
        return JSON({"error_code": self.code, "message": self.message}, status_code=self.status)


def translate(exc: errors.TrailmarkError) -> MlflowError:
    """The MLflow error for a Trailmark error (most specific class first)."""
    table: list[tuple[type[errors.TrailmarkError], str, int]] = [
        (errors.PayloadTooLarge, "INVALID_PARAMETER_VALUE", 413),
        (errors.InvalidInput, "INVALID_PARAMETER_VALUE", 400),
        (errors.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
        (errors.Conflict, "RESOURCE_ALREADY_EXISTS", 400),
        (errors.Unauthorized, "UNAUTHENTICATED", 401),
        (errors.Forbidden, "PERMISSION_DENIED", 403),
        (errors.StorageFull, "RESOURCE_EXHAUSTED", 507),
        (errors.Unavailable, "TEMPORARILY_UNAVAILABLE", 503),
    ]
    for cls, code, status in table:
        if isinstance(exc, cls):
            return MlflowError(code, exc.message, status)
    return MlflowError("INTERNAL_ERROR", exc.message, exc.status)


def not_found(what: str) -> MlflowError:
    return MlflowError(
        "ENDPOINT_NOT_FOUND",
        f"Trailmark does not implement {what} of the MLflow REST API. It serves tracking "
        "(experiments, runs, metrics, params, tags, artifacts), logged models and the model "
        "registry; traces, prompts, scorers, gateway and other GenAI endpoints are not served.",
    )


class MlflowRoute(APIRoute):
    """A route whose every error becomes MLflow's JSON error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def mlflow_handler(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except MlflowError as exc:
                response = exc.response()
            except errors.TrailmarkError as exc:
                response = translate(exc).response()
            except RequestValidationError as exc:
                response = MlflowError("INVALID_PARAMETER_VALUE", str(exc.errors()[:3])).response()
            except HTTPException as exc:
                code = "ENDPOINT_NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
                response = MlflowError(code, str(exc.detail), exc.status_code).response()
            except Exception as exc:
                conflict = race_conflict(exc)  # a lost race: RESOURCE_ALREADY_EXISTS, not a 500
                if conflict is not None:
                    log.warning("a request lost a race with another: %s", conflict.message)
                    response = translate(conflict).response()
                else:
                    log.exception("unexpected error in %s %s", request.method, request.url.path)
                    response = MlflowError(
                        "INTERNAL_ERROR",
                        f"internal error ({type(exc).__name__}); see the server log",
                    ).response()
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.3f}"
            return response

        return mlflow_handler


def mlflow_router(tag: str) -> APIRouter:
    return APIRouter(route_class=MlflowRoute, tags=[tag])


fallback = mlflow_router("mlflow")
"""Answers every other MLflow path with ``ENDPOINT_NOT_FOUND``; included after the others."""

_EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@fallback.api_route("/api/2.0/mlflow/{rest:path}", methods=_EVERY_METHOD, include_in_schema=False)
@fallback.api_route("/api/3.0/mlflow/{rest:path}", methods=_EVERY_METHOD, include_in_schema=False)
@fallback.api_route(
    "/api/2.0/mlflow-artifacts/{rest:path}", methods=_EVERY_METHOD, include_in_schema=False
)
@fallback.api_route("/ajax-api/{rest:path}", methods=_EVERY_METHOD, include_in_schema=False)
async def unknown_endpoint(request: Request) -> Response:
    raise not_found(f"{request.method} {request.url.path}")

"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from trailmark.errors import TrailmarkError
from trailmark.server.responses import JSON
from trailmark.store.races import race_conflict

log = logging.getLogger("trailmark.server")

_HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSON:
    return JSON({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


MLFLOW_PATHS = (
    "/api/2.0/mlflow",
    "/api/3.0/mlflow",
    "/ajax-api/",
    "/get-artifact",
    "/model-versions/get-artifact",
)
"""Paths whose clients expect MLflow's ``{"error_code", "message"}`` body (the last two:
the file downloads of MLflow's UI)."""

_MLFLOW_CODES = {
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    413: "RESOURCE_LIMIT_EXCEEDED",
}


def response_for(exc: Exception, path: str = "") -> JSON:
    """The response for an error raised outside FastAPI's handlers (the request guard, the
    ingest lane); an MLflow client (by ``path``) gets MLflow's body for access errors. A
    lost race with another request (a database constraint another transaction won) is a
    409 ``conflict``, never a 500."""
    exc = _lost_race(exc) or exc
    if isinstance(exc, TrailmarkError):
        mlflow_code = _MLFLOW_CODES.get(exc.status)
        if mlflow_code is not None and path.startswith(MLFLOW_PATHS):
            return JSON({"error_code": mlflow_code, "message": exc.message}, status_code=exc.status)
        return error_response(exc.status, exc.code, exc.message, exc.headers() or None)
    log.error("unexpected error", exc_info=exc)
    return _internal_error(exc)


def _lost_race(exc: Exception) -> TrailmarkError | None:
    conflict = race_conflict(exc)
    if conflict is not None:
        log.warning("a request lost a race with another: %s", conflict.message)
    return conflict


def _internal_error(exc: Exception) -> JSON:
    return error_response(
        500, "internal_error", f"internal error ({type(exc).__name__}); see the server log"
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TrailmarkError)
    async def trailmark_error(_request: Request, exc: TrailmarkError) -> JSON:
        return response_for(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSON:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(
                f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg"))
            )
        return error_response(400, "invalid_input", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSON:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint; see /api/v1/openapi.json"
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    async def overflow(_request: Request, exc: OverflowError) -> JSON:
        # A number from the request too large for the database's integers (found by fuzzing).
        return error_response(
            400, "invalid_input", f"a number in the request is out of range ({exc})"
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSON:
        conflict = _lost_race(exc)
        if conflict is not None:
            return response_for(conflict)
        log.exception("unexpected error")
        return _internal_error(exc)

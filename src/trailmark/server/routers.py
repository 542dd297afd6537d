"""Every router of the app, in the order it is mounted: the one list that the app, the
generated docs and the route-enumerating tests read.

The MLflow fallback (``ENDPOINT_NOT_FOUND`` for unknown ``/api/2.0/mlflow`` paths) comes
last so that it never shadows a real endpoint.
"""

from __future__ import annotations

from fastapi import APIRouter

from trailmark.server.mlflow import errors as mlflow_errors
from trailmark.server.mlflow import routes as mlflow_routes
from trailmark.server.routes import (
    accounts,
    artifacts,
    audit,
    auth,
    blobs,
    charts,
    files,
    ingest,
    lineage,
    logs,
    members,
    metrics,
    oidc,
    previews,
    projects,
    registry,
    runs,
    webhooks,
)

NATIVE_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        projects,
        runs,
        metrics,
        logs,
        charts,
        ingest,
        blobs,
        artifacts,
        files,
        registry,
        previews,
        webhooks,
        lineage,
        accounts,
        members,
        audit,
        oidc,
        auth,
    )
)

MLFLOW_ROUTERS: tuple[APIRouter, ...] = (*mlflow_routes.build_routers(), mlflow_errors.fallback)

ROUTERS: tuple[APIRouter, ...] = NATIVE_ROUTERS + MLFLOW_ROUTERS

"""The MLflow REST API 2.0 (``/api/2.0/mlflow/...``), so MLflow clients log to Trailmark unchanged.

One router per resource; :mod:`.errors` gives them MLflow's error bodies, :mod:`.mapping`
turns requests and Trailmark entities into MLflow's shapes, :mod:`.search_filter` parses
MLflow's search syntax. Storage is in :mod:`trailmark.store.mlflow`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trailmark.server.mlflow.errors import Handler


def all_endpoints() -> dict[tuple[str, str], Handler]:
    """Every JSON endpoint by (method, path), for callers in this process (``trailmark import``)."""
    from trailmark.server.mlflow import (  # noqa: F401 (importing a router registers its endpoints)
        artifacts,
        errors,
        experiments,
        logged_models,
        metrics,
        registry,
        runs,
    )

    return errors.ENDPOINTS

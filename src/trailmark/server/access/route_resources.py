"""Every route's resource locator: the native ones (:mod:`.resources`) and the MLflow ones
(:mod:`.mlflow_resources`), in one table the guard and the access matrix test read.

Kept apart from :mod:`.resources`, whose types the MLflow table is written with, so that
neither imports the other in a circle.
"""

from __future__ import annotations

from trailmark.server.access import mlflow_resources as mlflow
from trailmark.server.access.resources import NO_RESOURCE, Locator, native_locators


def _mlflow() -> dict[str, Locator]:
    """The MLflow routes' locators, their listings and resource-less routes as
    :data:`~trailmark.server.access.resources.NO_RESOURCE`."""
    table: dict[str, Locator] = {
        route: NO_RESOURCE for route in mlflow.MLFLOW_LISTINGS | mlflow.MLFLOW_NO_RESOURCE
    }
    table.update(mlflow.MLFLOW_RESOURCES)
    return table


ROUTE_RESOURCES: dict[str, Locator] = {**native_locators(), **_mlflow()}
"""``"METHOD /path"`` -> its :class:`~trailmark.server.access.resources.Locator`, for every
route that needs a resource permission (``read``, ``write``, ``admin``)."""


def locator_for(route: str) -> Locator | None:
    """The locator of a declared route (``"METHOD /path"``); ``HEAD`` uses ``GET``'s."""
    found = ROUTE_RESOURCES.get(route)
    if found is None and route.startswith("HEAD "):
        found = ROUTE_RESOURCES.get("GET " + route[5:])
    return found

"""Resource locators: which project or registered model a request touches.

Every route that needs ``read``, ``write`` or ``admin`` (see :mod:`.permissions`) has an
entry here: a :class:`Locator` that finds the :class:`Resource` from the request's path
parameters, query string, JSON body and, where an id must be looked up (an MLflow run id ->
its project), the store. A locator that finds nothing (``None``) means the route touches no
one resource: a listing its handler filters, or a create whose name is not in the request;
:data:`NO_RESOURCE` declares that on purpose. A route missing from the table is refused
while accounts are on, and ``tests/server/test_access_matrix.py`` fails until it is
declared.

Native routes are declared here (:func:`native_locators`); the MLflow routes in
:mod:`.mlflow_resources` (``MLFLOW_RESOURCES``, written with the types of this module);
:mod:`.route_resources` merges both into ``ROUTE_RESOURCES``.

Example (a route with the project in its path)::

    "GET /api/v1/projects/{project}/things": PROJECT_IN_PATH,
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from trailmark.store.store import Store

ResourceKind = Literal["project", "model"]


@dataclass(frozen=True, slots=True)
class Resource:
    """A project or a registered model, by name (what grants are given on)."""

    kind: ResourceKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class Target:
    """What a locator may read about a request."""

    params: Mapping[str, str]
    """Path parameters, by the names in the route's template."""
    query: Mapping[str, str]
    """The query string (the first value of each name)."""
    body: Any
    """The JSON body, decoded (``None``: none, not JSON, or the locator does not read it)."""
    store: Store
    """For ids that name a resource only through the database (a run id -> its project)."""


Find = Callable[[Target], Resource | None]


@dataclass(frozen=True, slots=True)
class Locator:
    """How to find a route's resource; ``reads_body``: the guard reads the JSON body first
    (bounded by the route's body limit) and hands it on to the route unchanged."""

    find: Find
    reads_body: bool = False

    def __call__(self, target: Target) -> Resource | None:
        return self.find(target)


def _nothing(_target: Target) -> None:
    return None


NO_RESOURCE: Final = Locator(_nothing)
"""Declared on purpose: the route touches no one resource (its handler filters)."""


def in_path(kind: ResourceKind, param: str) -> Locator:
    """The resource named by the path parameter ``param``."""

    def find(target: Target) -> Resource | None:
        name = target.params.get(param)
        return Resource(kind, name) if name else None

    return Locator(find)


def in_body(kind: ResourceKind, field: str) -> Locator:
    """The resource named by the JSON body's ``field`` (a create route's new name)."""

    def find(target: Target) -> Resource | None:
        body = target.body
        name = body.get(field) if isinstance(body, dict) else None
        return Resource(kind, name) if isinstance(name, str) and name else None

    return Locator(find, reads_body=True)


PROJECT_IN_PATH: Final = in_path("project", "project")
MODEL_IN_PATH: Final = in_path("model", "name")


def ingest_envelope(body: bytes, content_type: str) -> Resource | None:
    """The project of an ingest batch: its NDJSON first line's, or its JSON ``envelope``'s
    (``None`` for a body that names none: the ingest lane refuses it with 400)."""
    import orjson

    try:
        if content_type.startswith("application/x-ndjson"):
            head = body.lstrip().partition(b"\n")[0]
            envelope = orjson.loads(head) if head.strip() else None
        else:
            data = orjson.loads(body)
            envelope = data.get("envelope") if isinstance(data, dict) else None
    except orjson.JSONDecodeError:
        return None
    project = envelope.get("project") if isinstance(envelope, dict) else None
    return Resource("project", project) if isinstance(project, str) and project else None


INGEST_ROUTE: Final = "POST /api/v1/ingest"
"""Its resource is in the batch's envelope: the guard reads it (:func:`ingest_envelope`)."""


def native_locators() -> dict[str, Locator]:
    """The locators of the native routes: the project or model in the path; listings and
    the ingest lane (whose project the guard reads from the envelope) as :data:`NO_RESOURCE`."""
    from trailmark.server.access.permissions import ROUTE_PERMISSIONS, Permission

    table: dict[str, Locator] = {
        "GET /api/v1/projects": NO_RESOURCE,
        "POST /api/v1/projects": in_body("project", "name"),
        "GET /api/v1/models": NO_RESOURCE,
        "POST /api/v1/models": in_body("model", "name"),
        "GET /api/v1/lineage": NO_RESOURCE,
        INGEST_ROUTE: NO_RESOURCE,  # found by the guard from the envelope
    }
    needs_one = (Permission.READ, Permission.WRITE, Permission.ADMIN)
    for route, permission in ROUTE_PERMISSIONS.items():
        if route in table or permission not in needs_one:
            continue
        path = route.partition(" ")[2]
        if path.startswith("/api/v1/projects/{project}"):
            table[route] = PROJECT_IN_PATH
        elif path.startswith("/api/v1/models/{name}"):
            table[route] = MODEL_IN_PATH
    return table

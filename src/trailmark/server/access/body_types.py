"""The declared table of routes whose request bodies are not JSON, and what they take.

Every other route reads JSON, and the cross-site check (:mod:`.cross_site`) refuses a
body sent to it with any other ``Content-Type``: the types a web page on another site can
send without asking the server first (``text/plain``, a form's
``application/x-www-form-urlencoded`` and ``multipart/form-data``, or none at all) are
never JSON. A route is ``"METHOD /path"`` exactly as it is declared, as in
:data:`~trailmark.server.access.permissions.ROUTE_PERMISSIONS`.

A route that takes raw bytes of any type must not answer ``POST``: a plain form can post
any body to it, where a browser sends ``PUT``, ``PATCH`` or ``DELETE`` to another origin
only after a CORS preflight, which this server never grants.
"""

from __future__ import annotations

from typing import Final

FORM_TYPES: Final = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""}
)
"""The body types a page on any site may send without a preflight (``""``: none at all)."""

JSON: Final = ("application/json",)
"""What a route with no entry below takes (``application/<anything>+json`` too)."""

ANY_TYPE: Final = ("*/*",)
"""Raw bytes, whatever their type (MLflow clients send the type they guess from the name)."""

NO_BODY: Final[tuple[str, ...]] = ()
"""A catch-all that answers without reading a body (404 or 405, or the dashboard's files)."""

ROUTE_BODY_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "POST /api/v1/ingest": ("application/x-ndjson", "application/json"),
    "PUT /api/v1/projects/{project}/blobs/{digest}": ANY_TYPE,
    "PUT /api/v1/projects/{project}/uploads/{upload_id}": ANY_TYPE,
    "PUT /api/2.0/mlflow-artifacts/artifacts/{path:path}": ANY_TYPE,
    # A file's bytes as they are; octet-stream, which no form can send, besides MLflow's JSON.
    "POST /ajax-api/2.0/mlflow/upload-artifact": ("application/octet-stream", "application/json"),
    "* /": NO_BODY,
    "* /api/2.0/mlflow/{rest:path}": NO_BODY,
    "* /api/3.0/mlflow/{rest:path}": NO_BODY,
    "* /api/2.0/mlflow-artifacts/{rest:path}": NO_BODY,
    "* /ajax-api/{rest:path}": NO_BODY,
}
"""``"METHOD /path"`` -> the body types it takes, where that is not JSON."""


def body_types(route: str) -> tuple[str, ...]:
    """The content types a route's body may have (:data:`ANY_TYPE`, :data:`NO_BODY`);
    ``"* /path"`` covers every method of a route, as in the permissions table."""
    found = ROUTE_BODY_TYPES.get(route)
    if found is None:
        found = ROUTE_BODY_TYPES.get("* " + route.partition(" ")[2], JSON)
    return found


def check_table(table: dict[str, tuple[str, ...]] = ROUTE_BODY_TYPES) -> None:
    """Raise ``ValueError`` for a route that answers ``POST`` with a type a form can send."""
    for route, types in table.items():
        method = route.partition(" ")[0]
        if method in ("POST", "*") and (types == ANY_TYPE or FORM_TYPES & set(types)):
            raise ValueError(
                f"{route} takes bodies that any web page could post to it with a form: "
                "name the JSON or binary types it takes"
            )


check_table()

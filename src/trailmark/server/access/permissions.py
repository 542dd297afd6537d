"""The declared table: every route of the app and the permission it needs.

A route is ``"METHOD /path"`` exactly as it is declared (path templates included);
``"* /path"`` covers every method of a route that takes several (the MLflow fallback, the
dashboard's static files). A route missing here is refused by the guard with 403, and
``tests/server/test_guard.py`` fails until it is declared: adding a route means choosing
who may call it.

While no accounts exist every caller may do everything (the bind check keeps such a
server on loopback). Once they do (:mod:`.policy`):

- ``public``: anyone, even anonymous (health, the API schema, the dashboard's files,
  MLflow's "no such endpoint" answers, signing in).
- ``signed_in``: any signed-in user; the route touches no one resource (one's own keys,
  listings that the handler filters to what the caller may read).
- ``read``: a viewer of the route's resource (found by its locator in :mod:`.resources`);
  looks without changing anything (MLflow's POST searches are reads).
- ``write``: an editor of the route's resource (read-only keys refused); logs, uploads and
  edits runs, artifacts and models. Writing to a resource that does not exist yet creates
  it: any signed-in writer may, and becomes its admin.
- ``admin``: an admin of the route's resource (delete a project, manage its members).
- ``server``: server admins only (webhooks, users, teams, the audit log).

Each group below is one tuple: add a route to the tuple of the permission it needs (and,
unless it is ``public``, ``signed_in`` or ``server``, its locator to :mod:`.resources`).
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    SERVER = "server"


_PUBLIC = (
    "GET /health",
    "* /api/v1/openapi.json",
    "* /",
    "* /api/2.0/mlflow/{rest:path}",
    "* /api/3.0/mlflow/{rest:path}",
    "* /api/2.0/mlflow-artifacts/{rest:path}",
    "* /ajax-api/{rest:path}",
    "POST /api/v1/auth/sign-in",
    "GET /api/v1/auth/me",
    "GET /api/v1/auth/oidc/start",
    "GET /api/v1/auth/oidc/callback",
)

_SIGNED_IN = ("POST /api/v1/auth/sign-out",)

_NATIVE_READ = (
    "GET /api/v1/projects",
    "GET /api/v1/projects/{project}",
    "GET /api/v1/projects/{project}/runs",
    "POST /api/v1/projects/{project}/runs/search",
    "GET /api/v1/projects/{project}/runs/{run_id}",
    "GET /api/v1/projects/{project}/runs/{run_id}/metrics",
    "GET /api/v1/projects/{project}/runs/{run_id}/series",
    "GET /api/v1/projects/{project}/runs/{run_id}/history",
    "GET /api/v1/projects/{project}/runs/{run_id}/logs",
    "GET /api/v1/projects/{project}/runs/{run_id}/logs.txt",
    "POST /api/v1/projects/{project}/series",
    "POST /api/v1/projects/{project}/metric-keys",
    "GET /api/v1/projects/{project}/columns",
    "GET /api/v1/projects/{project}/uploads/{upload_id}",
    "GET /api/v1/projects/{project}/artifacts",
    "GET /api/v1/projects/{project}/artifacts/{name}",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/manifest",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/files",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/files/{path:path}",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/users",
    "GET /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/table/{path:path}",
    "GET /api/v1/projects/{project}/runs/{run_id}/artifacts",
    "GET /api/v1/projects/{project}/runs/{run_id}/files",
    "GET /api/v1/projects/{project}/runs/{run_id}/files/{path:path}",
    "GET /api/v1/projects/{project}/runs/{run_id}/table/{path:path}",
    "GET /api/v1/models",
    "GET /api/v1/models/{name}",
    "GET /api/v1/models/{name}/versions",
    "GET /api/v1/models/{name}/versions/{ref}",
    "GET /api/v1/models/{name}/versions/{ref}/manifest",
    "GET /api/v1/models/{name}/versions/{ref}/files",
    "GET /api/v1/models/{name}/versions/{ref}/files/{path:path}",
    "GET /api/v1/models/{name}/versions/{ref}/table/{path:path}",
    "GET /api/v1/models/{name}/events",
    "GET /api/v1/lineage",
)

_NATIVE_WRITE = (
    "POST /api/v1/projects",
    "POST /api/v1/projects/{project}/runs",
    "PATCH /api/v1/projects/{project}/runs/{run_id}",
    "DELETE /api/v1/projects/{project}/runs/{run_id}",
    "POST /api/v1/ingest",
    "POST /api/v1/projects/{project}/blobs/missing",
    "PUT /api/v1/projects/{project}/blobs/{digest}",
    "POST /api/v1/projects/{project}/uploads",
    "PUT /api/v1/projects/{project}/uploads/{upload_id}",
    "POST /api/v1/projects/{project}/uploads/{upload_id}/complete",
    "DELETE /api/v1/projects/{project}/uploads/{upload_id}",
    "PATCH /api/v1/projects/{project}/artifacts/{name}",
    "DELETE /api/v1/projects/{project}/artifacts/{name}",
    "POST /api/v1/projects/{project}/artifacts/{name}/versions",
    "PATCH /api/v1/projects/{project}/artifacts/{name}/versions/{ref}",
    "DELETE /api/v1/projects/{project}/artifacts/{name}/versions/{ref}",
    "POST /api/v1/projects/{project}/artifacts/{name}/versions/{ref}/use",
    "PUT /api/v1/projects/{project}/artifacts/{name}/aliases/{alias}",
    "DELETE /api/v1/projects/{project}/artifacts/{name}/aliases/{alias}",
    "POST /api/v1/projects/{project}/runs/{run_id}/files",
    "DELETE /api/v1/projects/{project}/runs/{run_id}/files/{path:path}",
    "POST /api/v1/models",
    "PATCH /api/v1/models/{name}",
    "DELETE /api/v1/models/{name}",
    "POST /api/v1/models/{name}/versions",
    "PATCH /api/v1/models/{name}/versions/{ref}",
    "PUT /api/v1/models/{name}/versions/{ref}/stage",
    "PUT /api/v1/models/{name}/aliases/{alias}",
    "DELETE /api/v1/models/{name}/aliases/{alias}",
)

_NATIVE_ADMIN = ("DELETE /api/v1/projects/{project}",)

_SERVER = (
    "GET /api/v1/webhooks",
    "POST /api/v1/webhooks",
    "GET /api/v1/webhooks/{webhook_id}",
    "PATCH /api/v1/webhooks/{webhook_id}",
    "DELETE /api/v1/webhooks/{webhook_id}",
    "POST /api/v1/webhooks/{webhook_id}/ping",
    "GET /api/v1/webhooks/{webhook_id}/deliveries",
)

# The accounts API (server/routes/accounts.py, members.py, audit.py): one's own keys and
# password; users, teams and the audit log for server admins; a resource's members and
# visibility for its admins; what the caller may do on a resource for anyone who reads it.
_ACCOUNTS_SIGNED_IN = (
    "GET /api/v1/me/keys",
    "POST /api/v1/me/keys",
    "DELETE /api/v1/me/keys/{key_id}",
    "PUT /api/v1/me/password",
)

_ACCOUNTS_SERVER = (
    "GET /api/v1/users",
    "POST /api/v1/users",
    "PATCH /api/v1/users/{user}",
    "GET /api/v1/users/{user}/keys",
    "POST /api/v1/users/{user}/keys",
    "DELETE /api/v1/users/{user}/keys/{key_id}",
    "GET /api/v1/teams",
    "POST /api/v1/teams",
    "DELETE /api/v1/teams/{team}",
    "PUT /api/v1/teams/{team}/members/{user}",
    "DELETE /api/v1/teams/{team}/members/{user}",
    "GET /api/v1/audit",
)

_MEMBERS_ADMIN = tuple(
    f"{method} {base}{tail}"
    for base in ("/api/v1/projects/{project}", "/api/v1/models/{name}")
    for method, tail in (
        ("GET", "/members"),
        ("PUT", "/members/{principal}"),
        ("DELETE", "/members/{principal}"),
        ("PUT", "/visibility"),
    )
)

_ACCESS_READ = ("GET /api/v1/projects/{project}/access", "GET /api/v1/models/{name}/access")

_MLFLOW_READ = (
    "GET /api/2.0/mlflow/experiments/get",
    "GET /api/2.0/mlflow/experiments/get-by-name",
    "POST /api/2.0/mlflow/experiments/search",
    "GET /api/2.0/mlflow/runs/get",
    "POST /api/2.0/mlflow/runs/search",
    "GET /api/2.0/mlflow/metrics/get-history",
    "GET /api/2.0/mlflow/metrics/get-history-bulk-interval",
    "GET /ajax-api/2.0/mlflow/metrics/get-history-bulk",  # MLflow has it under /ajax-api only
    "POST /ajax-api/2.0/mlflow/experiments/search-datasets",  # likewise
    "GET /api/2.0/mlflow-artifacts/artifacts/{path:path}",
    "GET /api/2.0/mlflow-artifacts/artifacts",
    "GET /api/2.0/mlflow/artifacts/list",
    "GET /api/2.0/mlflow-artifacts/presigned/{path:path}",
    "GET /api/3.0/mlflow/server-info",
    "GET /get-artifact",
    "GET /model-versions/get-artifact",
    "GET /api/2.0/mlflow/logged-models/{model_id}",
    "GET /api/2.0/mlflow/logged-models/{model_id}/artifacts/directories",
    "GET /ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",  # /ajax-api only
    "POST /api/2.0/mlflow/logged-models/search",
    "GET /api/2.0/mlflow/registered-models/get",
    "GET /api/2.0/mlflow/registered-models/search",
    "POST /api/2.0/mlflow/registered-models/get-latest-versions",
    "GET /api/2.0/mlflow/registered-models/alias",
    "GET /api/2.0/mlflow/model-versions/get",
    "GET /api/2.0/mlflow/model-versions/search",
    "GET /api/2.0/mlflow/model-versions/get-download-uri",
)

_MLFLOW_WRITE = (
    "POST /api/2.0/mlflow/experiments/create",
    "POST /api/2.0/mlflow/experiments/update",
    "POST /api/2.0/mlflow/experiments/delete",
    "POST /api/2.0/mlflow/experiments/restore",
    "POST /api/2.0/mlflow/experiments/set-experiment-tag",
    "POST /api/2.0/mlflow/experiments/delete-experiment-tag",
    "POST /api/2.0/mlflow/runs/create",
    "POST /api/2.0/mlflow/runs/update",
    "POST /api/2.0/mlflow/runs/delete",
    "POST /api/2.0/mlflow/runs/restore",
    "POST /api/2.0/mlflow/runs/log-batch",
    "POST /api/2.0/mlflow/runs/log-parameter",
    "POST /api/2.0/mlflow/runs/set-tag",
    "POST /api/2.0/mlflow/runs/delete-tag",
    "POST /api/2.0/mlflow/runs/log-inputs",
    "POST /api/2.0/mlflow/runs/outputs",
    "POST /api/2.0/mlflow/runs/log-model",
    "POST /api/2.0/mlflow/runs/log-metric",
    "POST /ajax-api/2.0/mlflow/upload-artifact",  # MLflow has it under /ajax-api only
    "PUT /api/2.0/mlflow-artifacts/artifacts/{path:path}",
    "DELETE /api/2.0/mlflow-artifacts/artifacts/{path:path}",
    "POST /api/2.0/mlflow-artifacts/mpu/{action}/{path:path}",
    "POST /api/2.0/mlflow/logged-models",
    "PATCH /api/2.0/mlflow/logged-models/{model_id}",
    "DELETE /api/2.0/mlflow/logged-models/{model_id}",
    "PATCH /api/2.0/mlflow/logged-models/{model_id}/tags",
    "DELETE /api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}",
    "POST /api/2.0/mlflow/logged-models/{model_id}/params",
    "POST /api/2.0/mlflow/registered-models/create",
    "POST /api/2.0/mlflow/registered-models/rename",
    "PATCH /api/2.0/mlflow/registered-models/update",
    "DELETE /api/2.0/mlflow/registered-models/delete",
    "POST /api/2.0/mlflow/registered-models/set-tag",
    "DELETE /api/2.0/mlflow/registered-models/delete-tag",
    "POST /api/2.0/mlflow/registered-models/alias",
    "DELETE /api/2.0/mlflow/registered-models/alias",
    "POST /api/2.0/mlflow/model-versions/create",
    "PATCH /api/2.0/mlflow/model-versions/update",
    "POST /api/2.0/mlflow/model-versions/transition-stage",
    "DELETE /api/2.0/mlflow/model-versions/delete",
    "POST /api/2.0/mlflow/model-versions/set-tag",
    "DELETE /api/2.0/mlflow/model-versions/delete-tag",
)


def _table(*groups: tuple[Permission, tuple[str, ...]]) -> dict[str, Permission]:
    table: dict[str, Permission] = {}
    for permission, routes in groups:
        for route in routes:
            if route in table:
                raise ValueError(f"route declared twice: {route}")
            table[route] = permission
    return table


def _ajax(routes: tuple[str, ...]) -> tuple[str, ...]:
    """The ``/ajax-api/2.0/mlflow/...`` twins of MLflow REST routes (MLflow's server serves
    both; the twin needs what the route needs)."""
    twins = []
    for route in routes:
        method, _, path = route.partition(" ")
        for rest, ajax in (
            ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"),
            ("/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"),
        ):
            if path.startswith(rest):
                twins.append(f"{method} {ajax}{path.removeprefix(rest)}")
    return tuple(twins)


ROUTE_PERMISSIONS: dict[str, Permission] = _table(
    (Permission.PUBLIC, _PUBLIC),
    (Permission.READ, _NATIVE_READ + _MLFLOW_READ + _ajax(_MLFLOW_READ)),
    (Permission.WRITE, _NATIVE_WRITE + _MLFLOW_WRITE + _ajax(_MLFLOW_WRITE)),
    (Permission.ADMIN, _NATIVE_ADMIN),
    (Permission.SIGNED_IN, _SIGNED_IN),
    (Permission.SERVER, _SERVER),
    (Permission.SIGNED_IN, _ACCOUNTS_SIGNED_IN),
    (Permission.SERVER, _ACCOUNTS_SERVER),
    (Permission.ADMIN, _MEMBERS_ADMIN),
    (Permission.READ, _ACCESS_READ),
)
"""``"METHOD /path"`` (or ``"* /path"``) -> the permission a caller needs."""

"""What each MLflow route touches: the project or registered model the request guard checks.

MLflow requests name their resource by id rather than in the path: an ``experiment_id``
(a project), a ``run_id``/``run_uuid`` (its run's project), a logged model's ``model_id``
(its experiment's project), a registered model's ``name``, or an artifact path
(``EXPERIMENT/RUN_ID/artifacts/...``, ``EXPERIMENT/models/MODEL_ID/artifacts/...``,
``_registry/NAME/VERSION/...``). :data:`MLFLOW_RESOURCES` maps each route (``"METHOD
/path"`` as declared in :data:`~trailmark.server.access.permissions.ROUTE_PERMISSIONS`,
the ``/ajax-api`` twins included) to a :class:`Locator` that reads the request's fields
exactly as the MLflow handlers read them (:class:`~trailmark.mlflow_api.fields.Fields`:
the query string, then the JSON body, then the path parameters) and looks the id up.

A locator answers ``None`` when the request names nothing that exists (an unknown run, a
missing field, a malformed path): there is nothing to protect, and the handler answers
with MLflow's own 400 or 404. It never raises for what the handler would refuse; any other
error (the database gone away) refuses the request. A locator must read a field where its
handler reads it: the UI's upload takes its run from the query string only, and the file
routes refuse a query parameter given twice
(:func:`~trailmark.server.mlflow.artifacts.refuse_repeats`).

Routes that list several resources, or read several runs at once (:data:`MLFLOW_LISTINGS`),
have no locator: any signed-in caller may call them and the handlers drop what the caller
may not read (:mod:`trailmark.server.mlflow.caller_checks`). Creating routes name the resource
they create (``experiments/create``: ``name``; ``registered-models/create``: ``name``), so
the guard treats a write to a resource that does not exist yet as its creation, and their
handlers make the creator its admin before answering.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from trailmark.errors import InvalidInput, NotFound
from trailmark.mlflow_api.artifacts import REGISTRY, parse_target
from trailmark.mlflow_api.fields import Fields
from trailmark.server.access.readable import MODEL, PROJECT
from trailmark.server.access.resources import Locator, Resource, ResourceKind, Target
from trailmark.store.mlflow.experiments import DEFAULT_EXPERIMENT, DEFAULT_EXPERIMENT_ID
from trailmark.store.store import Store


def request_fields(params: Mapping[str, Any], query: Mapping[str, Any], body: Any) -> Fields:
    """The request's fields merged as :func:`trailmark.server.mlflow.routes.read_fields`
    merges them (query string, then a JSON object body, then path parameters)."""
    data: dict[str, Any] = {}
    getlist = getattr(query, "getlist", None)
    for key in query:
        values = getlist(key) if getlist is not None else query[key]
        if isinstance(values, list):
            data[key] = values[0] if len(values) == 1 else values
        else:
            data[key] = values
    if isinstance(body, dict):
        data.update(body)
    data.update(params)
    return Fields(data)


FieldLocator = Callable[[Store, Fields], Resource | None]


def _on_fields(find: FieldLocator, *, reads_body: bool = True) -> Locator:
    """A :class:`Locator` from a function of the merged fields (the JSON body is read for
    every method but ``GET``, unless the route streams raw bytes); a field the handler
    would refuse (wrong type, bad path) or an id that names nothing gives ``None``."""

    def locate(target: Target) -> Resource | None:
        try:
            return find(target.store, request_fields(target.params, target.query, target.body))
        except (NotFound, InvalidInput):  # the handler answers it, as MLflow does
            return None  # (anything else, a database gone away, refuses the request)

    return Locator(locate, reads_body=reads_body)


def experiment_project(store: Store, experiment_id: str | None) -> Resource | None:
    """The project an experiment id names (``"0"`` is the project ``Default``, found
    without creating it)."""
    if experiment_id is None:
        return None
    text = experiment_id.strip()
    if text == DEFAULT_EXPERIMENT_ID:
        return Resource(PROJECT, DEFAULT_EXPERIMENT)
    if not text.isdigit() or len(text) > 18:
        return None
    return Resource(PROJECT, store.mlflow.experiments.by_id(text).name)


def run_project(store: Store, run_id: str | None) -> Resource | None:
    """The project of the run ``run_id`` names."""
    if not run_id:
        return None
    return Resource(PROJECT, str(store.runs.get_run(None, run_id)["project"]))


def logged_model_project(store: Store, model_id: str | None) -> Resource | None:
    """The project (experiment) a logged model belongs to, deleted or not."""
    if not model_id:
        return None
    return Resource(
        PROJECT, store.mlflow.logged_models.get(model_id, allow_deleted=True).project_name
    )


def artifact_path_resource(store: Store, path: str | None) -> Resource | None:
    """What an artifact path of MLflow's proxy belongs to: a run's, a logged model's or a
    model version's file, or a loose file under an experiment's folder (``EXPERIMENT/...``).
    A loose file outside any experiment belongs to no project (``None``)."""
    if path is None:
        return None
    target = parse_target(path)
    if target.kind == "run":
        return run_project(store, target.owner)
    if target.kind == "model":
        return logged_model_project(store, target.owner)
    if target.kind == "registry":
        return Resource(MODEL, target.owner)
    first = path.strip("/").split("/", 1)[0]
    if first == REGISTRY or not first.isdigit():
        return None
    return experiment_project(store, first)


def source_resources(store: Store, source: str | None, run_id: str | None) -> list[Resource]:
    """What a new model version's files are read from (``model-versions/create``): the run
    of ``run_id``, and what ``source`` names (``runs:/RUN/...``, an ``mlflow-artifacts``
    path or URL, ``models:/m-...`` a logged model, ``models:/NAME/...`` another registered
    model). Anything that names nothing Trailmark holds (``s3://...``) is left out."""
    found: list[Resource | None] = []
    finders: list[Callable[[], Resource | None]] = [lambda: run_project(store, run_id)]
    text = source or ""
    if text.startswith("runs:/"):
        run = text.removeprefix("runs:/").lstrip("/").split("/", 1)[0]
        finders.append(lambda: run_project(store, run))
    elif text.startswith("models:/"):
        owner = text.removeprefix("models:/").lstrip("/").split("/", 1)[0]
        if owner.startswith("m-"):
            finders.append(lambda: logged_model_project(store, owner))
        else:
            finders.append(lambda: _named(MODEL, owner.split("@", 1)[0]))
    elif "mlflow-artifacts" in text:
        finders.append(lambda: artifact_path_resource(store, _proxied_path(text)))
    for find in finders:
        try:
            found.append(find())
        except (NotFound, InvalidInput):  # names nothing: the handler keeps it as text
            continue
    return [resource for resource in found if resource is not None]


def _proxied_path(source: str) -> str:
    """The artifact path of an ``mlflow-artifacts:/...`` URI (or an http URL of the proxy)."""
    if source.startswith("mlflow-artifacts:"):
        rest = source.removeprefix("mlflow-artifacts:")
        if rest.startswith("//"):  # mlflow-artifacts://host:port/path
            return rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
        return rest.lstrip("/")
    return source.split("/api/2.0/mlflow-artifacts/artifacts/", 1)[-1]


def _experiment(name: str = "experiment_id", default: str | None = None) -> Locator:
    return _on_fields(lambda store, f: experiment_project(store, f.text(name, default)))


def _experiment_named(name: str) -> Locator:
    return _on_fields(lambda _store, f: _named(PROJECT, f.text(name)))


def _named(kind: ResourceKind, name: str | None) -> Resource | None:
    return Resource(kind, name) if name else None


def _run_of(fields: Fields) -> str | None:
    return fields.text("run_id") or fields.text("run_uuid")


_RUN: Final = _on_fields(lambda store, f: run_project(store, _run_of(f)))
_RUN_IN_QUERY: Final = _on_fields(lambda store, f: run_project(store, _run_of(f)), reads_body=False)
"""The run in the query string of a route whose body is a file's bytes (which may be JSON:
never read for the run, as the handler never reads it)."""
_LOGGED_MODEL: Final = _on_fields(lambda store, f: logged_model_project(store, f.text("model_id")))
_MODEL: Final = _on_fields(lambda _store, f: _named(MODEL, f.text("name")))
_ARTIFACT_PATH: Final = _on_fields(
    lambda store, f: artifact_path_resource(store, f.text("path")), reads_body=False
)
"""A file of MLflow's proxy: the path names it (an upload's body is the file's bytes)."""
_ARTIFACT_LISTING: Final = _on_fields(
    lambda store, f: artifact_path_resource(store, f.text("path") or ""), reads_body=False
)

_API = "/api/2.0/mlflow"
_ARTIFACTS = "/api/2.0/mlflow-artifacts"

_REST: dict[str, Locator] = {
    # Experiments: projects.
    f"POST {_API}/experiments/create": _experiment_named("name"),
    f"GET {_API}/experiments/get": _experiment(),
    f"GET {_API}/experiments/get-by-name": _experiment_named("experiment_name"),
    f"POST {_API}/experiments/update": _experiment(),
    f"POST {_API}/experiments/delete": _experiment(),
    f"POST {_API}/experiments/restore": _experiment(),
    f"POST {_API}/experiments/set-experiment-tag": _experiment(),
    f"POST {_API}/experiments/delete-experiment-tag": _experiment(),
    # Runs: their project.
    f"POST {_API}/runs/create": _experiment(default=DEFAULT_EXPERIMENT_ID),
    f"GET {_API}/runs/get": _RUN,
    f"POST {_API}/runs/update": _RUN,
    f"POST {_API}/runs/delete": _RUN,
    f"POST {_API}/runs/restore": _RUN,
    f"POST {_API}/runs/log-batch": _RUN,
    f"POST {_API}/runs/log-parameter": _RUN,
    f"POST {_API}/runs/set-tag": _RUN,
    f"POST {_API}/runs/delete-tag": _RUN,
    f"POST {_API}/runs/log-inputs": _RUN,
    f"POST {_API}/runs/outputs": _RUN,
    f"POST {_API}/runs/log-model": _RUN,
    f"POST {_API}/runs/log-metric": _RUN,
    f"GET {_API}/metrics/get-history": _RUN,
    f"GET {_API}/artifacts/list": _RUN,
    # Artifacts through MLflow's proxy: what the path names.
    f"GET {_ARTIFACTS}/artifacts/{{path:path}}": _ARTIFACT_PATH,
    f"PUT {_ARTIFACTS}/artifacts/{{path:path}}": _ARTIFACT_PATH,
    f"DELETE {_ARTIFACTS}/artifacts/{{path:path}}": _ARTIFACT_PATH,
    f"GET {_ARTIFACTS}/artifacts": _ARTIFACT_LISTING,
    f"GET {_ARTIFACTS}/presigned/{{path:path}}": _ARTIFACT_PATH,
    f"POST {_ARTIFACTS}/mpu/{{action}}/{{path:path}}": _ARTIFACT_PATH,
    "GET /get-artifact": _RUN,
    "GET /model-versions/get-artifact": _MODEL,
    # Logged models (MLflow 3): their experiment's project.
    f"POST {_API}/logged-models": _experiment(default=DEFAULT_EXPERIMENT_ID),
    f"GET {_API}/logged-models/{{model_id}}": _LOGGED_MODEL,
    f"PATCH {_API}/logged-models/{{model_id}}": _LOGGED_MODEL,
    f"DELETE {_API}/logged-models/{{model_id}}": _LOGGED_MODEL,
    f"PATCH {_API}/logged-models/{{model_id}}/tags": _LOGGED_MODEL,
    f"DELETE {_API}/logged-models/{{model_id}}/tags/{{tag_key}}": _LOGGED_MODEL,
    f"POST {_API}/logged-models/{{model_id}}/params": _LOGGED_MODEL,
    f"GET {_API}/logged-models/{{model_id}}/artifacts/directories": _LOGGED_MODEL,
    # The model registry: the registered model by name.
    f"POST {_API}/registered-models/create": _MODEL,
    f"GET {_API}/registered-models/get": _MODEL,
    f"POST {_API}/registered-models/rename": _MODEL,
    f"PATCH {_API}/registered-models/update": _MODEL,
    f"DELETE {_API}/registered-models/delete": _MODEL,
    f"POST {_API}/registered-models/get-latest-versions": _MODEL,
    f"POST {_API}/registered-models/set-tag": _MODEL,
    f"DELETE {_API}/registered-models/delete-tag": _MODEL,
    f"POST {_API}/registered-models/alias": _MODEL,
    f"DELETE {_API}/registered-models/alias": _MODEL,
    f"GET {_API}/registered-models/alias": _MODEL,
    f"POST {_API}/model-versions/create": _MODEL,
    f"GET {_API}/model-versions/get": _MODEL,
    f"PATCH {_API}/model-versions/update": _MODEL,
    f"POST {_API}/model-versions/transition-stage": _MODEL,
    f"DELETE {_API}/model-versions/delete": _MODEL,
    f"GET {_API}/model-versions/get-download-uri": _MODEL,
    f"POST {_API}/model-versions/set-tag": _MODEL,
    f"DELETE {_API}/model-versions/delete-tag": _MODEL,
}

_AJAX_ONLY: dict[str, Locator] = {
    # Routes MLflow's server has only under /ajax-api (its UI's helpers).
    "POST /ajax-api/2.0/mlflow/upload-artifact": _RUN_IN_QUERY,
    "GET /ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files": _LOGGED_MODEL,
}

MLFLOW_LISTINGS: Final = frozenset(
    route
    for rest in (
        f"POST {_API}/experiments/search",
        f"POST {_API}/runs/search",
        f"POST {_API}/logged-models/search",
        f"GET {_API}/registered-models/search",
        f"GET {_API}/model-versions/search",
        f"GET {_API}/metrics/get-history-bulk-interval",
    )
    for route in (rest, rest.replace(" /api/", " /ajax-api/", 1))
) | {
    "POST /ajax-api/2.0/mlflow/experiments/search-datasets",
    "GET /ajax-api/2.0/mlflow/metrics/get-history-bulk",
}
"""Routes that list several resources (or read several runs at once, which may lie in
different projects): no locator; any signed-in caller, and the handler keeps only what the
caller may read."""

MLFLOW_NO_RESOURCE: Final = frozenset(
    {"GET /api/3.0/mlflow/server-info", "GET /ajax-api/3.0/mlflow/server-info"}
)
"""Routes that touch no project or model (the server's capabilities): any signed-in caller."""


def _with_ajax_twins(table: dict[str, Locator]) -> dict[str, Locator]:
    """Each ``/api/2.0/mlflow/...`` route and its ``/ajax-api/2.0/mlflow/...`` twin (MLflow's
    server answers both, and the twin needs what the route needs)."""
    out = dict(table)
    for route, locator in table.items():
        method, _, path = route.partition(" ")
        for rest, ajax in (("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"),):
            if path.startswith(rest):
                out[f"{method} {ajax}{path.removeprefix(rest)}"] = locator
    return out


MLFLOW_RESOURCES: dict[str, Locator] = {**_with_ajax_twins(_REST), **_AJAX_ONLY}
"""``"METHOD /path"`` of every MLflow route with a resource -> its :class:`Locator`."""

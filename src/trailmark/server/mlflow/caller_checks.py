"""What the request guard cannot check for an MLflow call, checked around its handler.

The guard checks the one resource a route names
(:mod:`~trailmark.server.access.mlflow_resources`). Some calls need more, found by the
endpoint's path in :data:`CHECKED`:

**Searches answer only what the caller may read.** A search names no one resource, so the
guard lets any signed-in caller in
(:data:`~trailmark.server.access.mlflow_resources.MLFLOW_LISTINGS`), and:

- searches over given experiments (``runs/search``, ``logged-models/search``,
  ``experiments/search-datasets``) and the bulk metric histories over given runs drop the
  ids the caller may not read before the handler runs, so paging stays exact;
- ``experiments/search``, ``registered-models/search`` and ``model-versions/search`` drop
  the unreadable items of each page the handler answers; a page left empty is followed by
  the next ones (a bounded number), so a client never sees an empty page with more to come
  unless thousands of unreadable items lie between. A page may hold fewer than
  ``max_results`` items, which MLflow clients page through unchanged.

**Creators become admins before the answer.** ``experiments/create`` and
``registered-models/create`` grant their creator the new resource's admin role, so the
creator's next request (``set_experiment`` reads the experiment back at once) finds it.

**Second resources.** A new model version (``model-versions/create``) needs the caller to
read what its files come from; a run's metrics or outputs that name a logged model need an
editor of that model's project (its inputs, a viewer).

With no accounts, and for server admins, every call goes straight to the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trailmark.errors import Forbidden, NotFound
from trailmark.mlflow_api.endpoints import Handler
from trailmark.mlflow_api.fields import Fields
from trailmark.server.access.creators import make_creator_admin
from trailmark.server.access.mlflow_resources import (
    experiment_project,
    logged_model_project,
    source_resources,
)
from trailmark.server.access.readable import MODEL, PROJECT, has_role, may_read, readable_names
from trailmark.server.identity import Identity
from trailmark.store.accounts.roles import ResourceKind, Role
from trailmark.store.store import Store

Checked = Callable[[Handler, Store, Fields, Identity], dict[str, Any]]
"""Calls an MLflow handler for ``identity``, with the checks the guard cannot make."""

_MORE_PAGES = 20
"""Pages fetched after an empty one before answering it (with its page token)."""


def _readable_experiments(store: Store, names: set[str], ids: list[Any]) -> list[str]:
    kept = []
    for experiment_id in ids:
        try:
            found = experiment_project(store, str(experiment_id))
        except NotFound:
            continue
        if found is not None and found.name in names:
            kept.append(str(experiment_id))
    return kept


def _over_experiments(field: str) -> Checked:
    """Drop the experiments of ``field`` the caller may not read; none left: an empty answer."""

    def narrowed(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
        names = readable_names(store, identity, PROJECT)
        if names is None:
            return handler(store, fields, identity.name)
        asked = fields.items(field)
        kept = _readable_experiments(store, names, asked)
        if asked and not kept:
            return {}
        return handler(store, Fields({**fields.data, field: kept}), identity.name)

    return narrowed


def _over_runs(field: str) -> Checked:
    """Drop the runs of ``field`` whose project the caller may not read."""

    def narrowed(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
        names = readable_names(store, identity, PROJECT)
        if names is None:
            return handler(store, fields, identity.name)
        asked = [str(r) for r in fields.items(field)]
        kept = []
        for run_id in asked:
            try:
                project = store.runs.get_run(None, run_id)["project"]
            except NotFound:
                continue
            if project in names:
                kept.append(run_id)
        if asked and not kept:
            return {"metrics": []}
        return handler(store, Fields({**fields.data, field: kept}), identity.name)

    return narrowed


def _page_items(key: str, kind: ResourceKind) -> Checked:
    """Keep the items of the answer's ``key`` whose ``name`` the caller may read."""

    def narrowed(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
        names = readable_names(store, identity, kind)
        answer = handler(store, fields, identity.name)
        if names is None:
            return answer
        for _ in range(_MORE_PAGES):
            answer[key] = [item for item in answer.get(key, ()) if may_read(names, item["name"])]
            token = answer.get("next_page_token")
            if answer[key] or not token:
                break
            answer = handler(store, Fields({**fields.data, "page_token": token}), identity.name)
        return answer

    return narrowed


def _creating(kind: ResourceKind) -> Checked:
    """A create named by the ``name`` field: its creator becomes its admin before the answer
    (:mod:`trailmark.server.access.creators`)."""

    def created(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
        answer = handler(store, fields, identity.name)
        make_creator_admin(store, identity, kind, fields.required("name"))
        return answer

    return created


def _source_readable(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
    """A new model version copies its source's files: the caller must be able to read the
    run, logged model or registered model they come from (PERMISSION_DENIED otherwise)."""
    sources = source_resources(store, fields.text("source"), fields.text("run_id"))
    for resource in sources:
        if not may_read(readable_names(store, identity, resource.kind), resource.name):
            raise Forbidden(
                f"{identity.name} may not read {resource}, which the new version's files "
                "would come from"
            )
    return handler(store, fields, identity.name)


def _named_models(needed: Role) -> Checked:
    """A run's metrics, inputs and outputs may name MLflow 3 logged models (``model_id``),
    which the request then writes to (metrics, outputs: ``needed`` editor) or links as used
    (inputs: viewer): each must lie in a project where the caller holds ``needed``
    (PERMISSION_DENIED otherwise), whatever the run's own project."""

    def checked(handler: Handler, store: Store, fields: Fields, identity: Identity) -> Any:
        named = [fields.get("model_id")]
        named += [m.get("model_id") for m in fields.items("metrics") if isinstance(m, dict)]
        named += [m.get("model_id") for m in fields.items("models") if isinstance(m, dict)]
        for model_id in sorted({str(m) for m in named if m}):
            try:
                found = logged_model_project(store, model_id)
            except NotFound:
                continue  # the handler says so
            if found is not None and not has_role(store, identity, found.kind, found.name, needed):
                raise Forbidden(
                    f"{identity.name} may not use logged model {model_id!r} of {found} here "
                    f"(it needs the {needed} role there)"
                )
        return handler(store, fields, identity.name)

    return checked


_API = "/api/2.0/mlflow"
_AJAX = "/ajax-api/2.0/mlflow"

CHECKED: dict[str, Checked] = {
    f"{_API}/runs/search": _over_experiments("experiment_ids"),
    f"{_API}/logged-models/search": _over_experiments("experiment_ids"),
    f"{_API}/experiments/search-datasets": _over_experiments("experiment_ids"),
    f"{_AJAX}/experiments/search-datasets": _over_experiments("experiment_ids"),
    f"{_API}/metrics/get-history-bulk-interval": _over_runs("run_ids"),
    f"{_AJAX}/metrics/get-history-bulk": _over_runs("run_id"),
    f"{_API}/experiments/search": _page_items("experiments", PROJECT),
    f"{_API}/registered-models/search": _page_items("registered_models", MODEL),
    f"{_API}/model-versions/search": _page_items("model_versions", MODEL),
    f"{_API}/experiments/create": _creating(PROJECT),
    f"{_API}/registered-models/create": _creating(MODEL),
    f"{_API}/model-versions/create": _source_readable,
    f"{_API}/runs/log-metric": _named_models(Role.EDITOR),
    f"{_API}/runs/log-batch": _named_models(Role.EDITOR),
    f"{_API}/runs/outputs": _named_models(Role.EDITOR),
    f"{_API}/runs/log-inputs": _named_models(Role.VIEWER),
}
"""An MLflow endpoint's path (as in :data:`~trailmark.mlflow_api.endpoints.ENDPOINTS`) ->
how its call is checked: narrowed to what the caller may read, followed by the creator's
grant, or preceded by the check of a second resource."""


def call(handler: Handler, path: str, store: Store, fields: Fields, identity: Identity) -> Any:
    """Run ``handler`` for ``identity``, with its endpoint's checks (see :data:`CHECKED`)."""
    checked = CHECKED.get(path)
    if checked is None:
        return handler(store, fields, identity.name)
    return checked(handler, store, fields, identity)

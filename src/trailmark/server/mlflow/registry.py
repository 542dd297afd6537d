"""MLflow's model registry (``registered-models/...``, ``model-versions/...``) on Trailmark's.

A version's MLflow source is turned into a Trailmark source: ``models:/m-...`` (an MLflow 3
logged model) into the artifact version holding its files; ``runs:/RUN/PATH`` and
``mlflow-artifacts:/EXP/RUN/artifacts/PATH`` into the run's files at PATH. The version keeps
its own copy of the file list, and MLflow clients download it from
``mlflow-artifacts:/_registry/NAME/VERSION``. The MLflow source and model id are kept as the
version tags ``trailmark.mlflow.source`` and ``trailmark.mlflow.model_id``.
"""

from __future__ import annotations

from typing import Any

from trailmark.errors import InvalidInput
from trailmark.server.mlflow.artifacts import REGISTRY, parse_target
from trailmark.server.mlflow.errors import endpoint, mlflow_router
from trailmark.server.mlflow.logged_models import artifact_ref
from trailmark.server.mlflow.mapping import Fields, max_results, millis, page_offset, page_token
from trailmark.server.mlflow.search_filter import (
    check_simple_filter,
    matches,
    parse_filter,
    parse_order_by,
)
from trailmark.store.mlflow.models import LoggedModelStore
from trailmark.store.mlflow.registry import RegistryExtras
from trailmark.store.store import Store

MODELS = "/api/2.0/mlflow/registered-models"
VERSIONS = "/api/2.0/mlflow/model-versions"
SOURCE_TAG = "trailmark.mlflow.source"
MODEL_ID_TAG = "trailmark.mlflow.model_id"
_HIDDEN = (SOURCE_TAG, MODEL_ID_TAG)

router = mlflow_router("mlflow model registry")


def _tags(tags: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": k, "value": str(v)} for k, v in tags.items() if k not in _HIDDEN]


def version_json(view: dict[str, Any]) -> dict[str, Any]:
    tags = view["tags"]
    out: dict[str, Any] = {
        "name": view["model"],
        "version": str(view["version"]),
        "creation_timestamp": millis(view["created"]),
        "last_updated_timestamp": millis(view["updated"]),
        "user_id": view.get("created_by", ""),
        "current_stage": view["stage"],
        "description": view["description"],
        "source": tags.get(SOURCE_TAG, view["source"]),
        "run_id": view["source_run"] or "",
        "status": "READY",
        "run_link": "",
        "tags": _tags(tags),
        "aliases": view["aliases"],
    }
    if MODEL_ID_TAG in tags:
        out["model_id"] = tags[MODEL_ID_TAG]
    return out


def model_json(store: Store, view: dict[str, Any]) -> dict[str, Any]:
    versions, _ = store.registry.list_versions(view["name"], limit=10_000)
    latest: dict[str, dict[str, Any]] = {}
    for version in versions:  # newest first
        latest.setdefault(version["stage"], version)
    return {
        "name": view["name"],
        "creation_timestamp": millis(view["created"]),
        "last_updated_timestamp": millis(view["updated"]),
        "description": view["description"],
        "latest_versions": [
            version_json(v) for v in sorted(latest.values(), key=lambda v: v["version"])
        ],
        "tags": _tags(view["tags"]),
        "aliases": [{"alias": a, "version": str(v)} for a, v in view["aliases"].items()],
    }


def trailmark_source(
    store: Store, source: str, run_id: str | None, user: str = "anonymous"
) -> tuple[str, str | None]:
    """The registry source for an MLflow source, and the logged model id behind it (if any)."""
    model_id = None
    if source.startswith("models:/m-"):
        model_id = source[len("models:/") :].split("/")[0]
    elif "mlflow-artifacts" in source:
        target = parse_target(_artifact_path(source))
        if target.kind == "model":
            model_id = target.owner
        elif target.kind == "run":
            return f"runs:/{target.owner}/{target.path}", None
    elif source.startswith("runs:/"):
        return source, None
    if model_id is not None:
        model = LoggedModelStore(store.db).get(model_id)
        return f"artifact:{artifact_ref(store, model, user)}", model_id
    raise InvalidInput(
        f"Trailmark registers model files it stores itself; source {source[:200]!r} is not one of "
        "them. Log the model to this server first (models:/MODEL_ID, runs:/RUN_ID/PATH)"
        + (f" - or register runs:/{run_id}/PATH" if run_id else "")
    )


def _artifact_path(source: str) -> str:
    """The path after ``mlflow-artifacts:/`` (or after the artifacts route of an http URI)."""
    if source.startswith("mlflow-artifacts:"):
        rest = source[len("mlflow-artifacts:") :].lstrip("/")
        return rest.split("/", 1)[1] if source.startswith("mlflow-artifacts://") else rest
    return source.split("/api/2.0/mlflow-artifacts/artifacts/", 1)[-1]


# registered models


@endpoint(router, "POST", f"{MODELS}/create")
def create_registered_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Create a registered model; RESOURCE_ALREADY_EXISTS if the name is taken."""
    view = store.registry.create_model(
        fields.required("name"),
        fields.text("description", "") or "",
        fields.key_values("tags"),
        user=fields.user,
    )
    return {"registered_model": model_json(store, view)}


@endpoint(router, "GET", f"{MODELS}/get")
def get_registered_model(store: Store, fields: Fields) -> dict[str, Any]:
    """A registered model with its latest version per stage and its aliases."""
    return {
        "registered_model": model_json(store, store.registry.get_model(fields.required("name")))
    }


@endpoint(router, "POST", f"{MODELS}/rename")
def rename_registered_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Rename a registered model."""
    new_name = fields.required("new_name")
    RegistryExtras(store.db).rename_model(fields.required("name"), new_name, fields.user)
    return {"registered_model": model_json(store, store.registry.get_model(new_name))}


@endpoint(router, "PATCH", f"{MODELS}/update")
def update_registered_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Change a registered model's description."""
    view = store.registry.update_model(
        fields.required("name"), description=fields.text("description", ""), user=fields.user
    )
    return {"registered_model": model_json(store, view)}


@endpoint(router, "DELETE", f"{MODELS}/delete")
def delete_registered_model(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete a registered model with its versions."""
    store.registry.delete_model(fields.required("name"), user=fields.user)
    return {}


def _models_lookup(view: dict[str, Any]) -> Any:
    def lookup(kind: str, key: str) -> str | int | None:
        if kind == "tag":
            value = view["tags"].get(key)
            return None if value is None else str(value)
        return {
            "name": view["name"],
            "creation_timestamp": millis(view["created"]),
            "last_updated_timestamp": millis(view["updated"]),
        }.get(key)

    return lookup


def _sorted(
    items: list[dict[str, Any]], orders: list[str], lookup: Any, default: list[str]
) -> list[dict[str, Any]]:
    aliases = {"timestamp": "creation_timestamp", "version": "version_number"}
    for text in reversed(orders or default):
        order = parse_order_by(text)
        key = aliases.get(order.key, order.key)
        present = [i for i in items if lookup(i)(order.kind, key) is not None]
        present.sort(key=lambda i: lookup(i)(order.kind, key), reverse=not order.ascending)
        items = present + [i for i in items if lookup(i)(order.kind, key) is None]
    return items


def _page(
    items: list[Any], fields: Fields, default: int, limit: int
) -> tuple[list[Any], dict[str, Any]]:
    size = max_results(fields, default, limit)
    offset = page_offset(fields.text("page_token"))
    extra = {"next_page_token": page_token(offset + size)} if offset + size < len(items) else {}
    return items[offset : offset + size], extra


@endpoint(router, "GET", f"{MODELS}/search")
def search_registered_models(store: Store, fields: Fields) -> dict[str, Any]:
    """Registered models matching a filter on name and tags, ordered and paged."""
    attributes = {"name": False, "creation_timestamp": True, "last_updated_timestamp": True}
    items = check_simple_filter(parse_filter(fields.text("filter")), attributes)
    found = [
        v
        for v in store.registry.list_models()
        if matches(items, _models_lookup(v), missing_differs=True)
    ]
    found = _sorted(found, [str(o) for o in fields.items("order_by")], _models_lookup, ["name ASC"])
    page, extra = _page(found, fields, 100, 1000)
    return {"registered_models": [model_json(store, v) for v in page], **extra}


@endpoint(router, "POST", f"{MODELS}/get-latest-versions")
def get_latest_versions(store: Store, fields: Fields) -> dict[str, Any]:
    """The newest version in each stage (or in the stages asked for)."""
    wanted = {str(s).lower() for s in fields.items("stages")}
    latest = model_json(store, store.registry.get_model(fields.required("name")))["latest_versions"]
    return {
        "model_versions": [v for v in latest if not wanted or v["current_stage"].lower() in wanted]
    }


@endpoint(router, "POST", f"{MODELS}/set-tag")
def set_registered_model_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Set a tag of a registered model."""
    name = fields.required("name")
    tags = dict(store.registry.get_model(name)["tags"])
    tags[fields.required("key")] = fields.text("value", "") or ""
    store.registry.update_model(name, tags=tags, user=fields.user)
    return {}


@endpoint(router, "DELETE", f"{MODELS}/delete-tag")
def delete_registered_model_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete a tag of a registered model."""
    name = fields.required("name")
    tags = dict(store.registry.get_model(name)["tags"])
    tags.pop(fields.required("key"), None)
    store.registry.update_model(name, tags=tags, user=fields.user)
    return {}


@endpoint(router, "POST", f"{MODELS}/alias")
def set_registered_model_alias(store: Store, fields: Fields) -> dict[str, Any]:
    """Point an alias (``champion``) at a version; it moves atomically."""
    store.registry.set_alias(
        fields.required("name"), fields.required("alias"), fields.required("version"), fields.user
    )
    return {}


@endpoint(router, "DELETE", f"{MODELS}/alias")
def delete_registered_model_alias(store: Store, fields: Fields) -> dict[str, Any]:
    """Remove an alias."""
    store.registry.delete_alias(fields.required("name"), fields.required("alias"), fields.user)
    return {}


@endpoint(router, "GET", f"{MODELS}/alias")
def get_model_version_by_alias(store: Store, fields: Fields) -> dict[str, Any]:
    """The version an alias names."""
    alias = fields.required("alias")
    return {
        "model_version": version_json(
            store.registry.get_version(fields.required("name"), f"@{alias}")
        )
    }


# model versions


@endpoint(router, "POST", f"{VERSIONS}/create")
def create_model_version(store: Store, fields: Fields) -> dict[str, Any]:
    """Register a logged model or a run's files as the model's next version (READY at once)."""
    source = fields.required("source")
    run_id = fields.text("run_id")
    target, model_id = trailmark_source(store, source, run_id, fields.user)
    tags = fields.key_values("tags")
    tags[SOURCE_TAG] = source
    model_id = fields.text("model_id") or model_id
    if model_id:
        tags[MODEL_ID_TAG] = model_id
    view = store.registry.create_version(
        fields.required("name"),
        target,
        description=fields.text("description", "") or "",
        tags=tags,
        user=fields.user,
    )
    return {"model_version": version_json(view)}


@endpoint(router, "GET", f"{VERSIONS}/get")
def get_model_version(store: Store, fields: Fields) -> dict[str, Any]:
    """One version of a registered model."""
    view = store.registry.get_version(fields.required("name"), fields.required("version"))
    return {"model_version": version_json(view)}


@endpoint(router, "PATCH", f"{VERSIONS}/update")
def update_model_version(store: Store, fields: Fields) -> dict[str, Any]:
    """Change a version's description."""
    view = store.registry.update_version(
        fields.required("name"),
        fields.required("version"),
        description=fields.text("description", ""),
        user=fields.user,
    )
    return {"model_version": version_json(view)}


@endpoint(router, "POST", f"{VERSIONS}/transition-stage")
def transition_model_version_stage(store: Store, fields: Fields) -> dict[str, Any]:
    """Move a version to None, Staging, Production or Archived."""
    view = store.registry.set_stage(
        fields.required("name"),
        fields.required("version"),
        fields.required("stage"),
        archive_existing=fields.flag("archive_existing_versions"),
        user=fields.user,
    )
    return {"model_version": version_json(view)}


@endpoint(router, "DELETE", f"{VERSIONS}/delete")
def delete_model_version(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete one version of a registered model."""
    version = fields.integer("version")
    RegistryExtras(store.db).delete_version(fields.required("name"), int(version or 0), fields.user)
    return {}


def _versions_lookup(view: dict[str, Any]) -> Any:
    def lookup(kind: str, key: str) -> str | int | None:
        if kind == "tag":
            value = view["tags"].get(key)
            return None if value is None else str(value)
        return {
            "name": view["model"],
            "version_number": view["version"],
            "run_id": view["source_run"],
            "source_path": view["tags"].get(SOURCE_TAG, view["source"]),
            "current_stage": view["stage"],
            "creation_timestamp": millis(view["created"]),
            "last_updated_timestamp": millis(view["updated"]),
        }.get(key)

    return lookup


@endpoint(router, "GET", f"{VERSIONS}/search")
def search_model_versions(store: Store, fields: Fields) -> dict[str, Any]:
    """Versions matching a filter (``name = 'm'``, ``run_id = '...'``, tags), ordered and paged."""
    attributes = {
        "name": False,
        "run_id": False,
        "source_path": False,
        "current_stage": False,
        "version_number": True,
        "creation_timestamp": True,
        "last_updated_timestamp": True,
    }
    items = check_simple_filter(parse_filter(fields.text("filter")), attributes)
    found = [
        v
        for v in RegistryExtras(store.db).all_versions()
        if matches(items, _versions_lookup(v), missing_differs=True)
    ]
    orders = [str(o) for o in fields.items("order_by")]
    found = _sorted(found, orders, _versions_lookup, ["name ASC", "version_number DESC"])
    page, extra = _page(found, fields, 10_000, 200_000)
    return {"model_versions": [version_json(v) for v in page], **extra}


@endpoint(router, "GET", f"{VERSIONS}/get-download-uri")
def get_model_version_download_uri(store: Store, fields: Fields) -> dict[str, Any]:
    """Where a version's files are served: ``mlflow-artifacts:/_registry/NAME/VERSION``."""
    view = store.registry.get_version(fields.required("name"), fields.required("version"))
    return {"artifact_uri": f"mlflow-artifacts:/{REGISTRY}/{view['model']}/{view['version']}"}


def _set_version_tag(store: Store, fields: Fields, value: str | None) -> None:
    name, version, key = fields.required("name"), fields.required("version"), fields.required("key")
    tags = dict(store.registry.get_version(name, version)["tags"])
    if value is None:
        tags.pop(key, None)
    else:
        tags[key] = value
    store.registry.update_version(name, version, tags=tags, user=fields.user)


@endpoint(router, "POST", f"{VERSIONS}/set-tag")
def set_model_version_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Set a tag of a model version."""
    _set_version_tag(store, fields, fields.text("value", "") or "")
    return {}


@endpoint(router, "DELETE", f"{VERSIONS}/delete-tag")
def delete_model_version_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete a tag of a model version."""
    _set_version_tag(store, fields, None)
    return {}

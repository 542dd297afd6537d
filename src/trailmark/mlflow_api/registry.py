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
from trailmark.manifest import check_model_name
from trailmark.mlflow_api.artifacts import REGISTRY, parse_target
from trailmark.mlflow_api.entities import millis
from trailmark.mlflow_api.fields import Fields, page_answer, page_request
from trailmark.mlflow_api.logged_models import artifact_ref
from trailmark.store.mlflow.registry import MODEL_ID_TAG, SOURCE_TAG
from trailmark.store.store import Store

_HIDDEN = (SOURCE_TAG, MODEL_ID_TAG)


def version_of(fields: Fields) -> str:
    """The ``version`` field, a version number: MLflow refuses anything else (an alias, a
    word) with a 400 before looking anything up."""
    version = fields.required("version")
    try:
        int(version)
    except ValueError:
        raise InvalidInput(f"Parameter 'version' must be an integer, got '{version}'.") from None
    return version


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


def model_json(view: dict[str, Any], latest: list[dict[str, Any]]) -> dict[str, Any]:
    """A registered model; ``latest`` is its newest version per stage, oldest first."""
    return {
        "name": view["name"],
        "creation_timestamp": millis(view["created"]),
        "last_updated_timestamp": millis(view["updated"]),
        "description": view["description"],
        "latest_versions": [version_json(v) for v in latest],
        "tags": _tags(view["tags"]),
        "aliases": [{"alias": a, "version": str(v)} for a, v in view["aliases"].items()],
    }


def model_answer(store: Store, view: dict[str, Any]) -> dict[str, Any]:
    latest = store.mlflow.registry.latest_versions([view["name"]])[view["name"]]
    return {"registered_model": model_json(view, latest)}


def trailmark_source(store: Store, source: str, user: str = "anonymous") -> tuple[str, str | None]:
    """The registry source for an MLflow source, and the logged model id behind it (if any).

    A source in none of the forms below names no files Trailmark holds (``s3://...``, a local
    path, another server's run): it comes back as given and is kept as text, as MLflow keeps
    it; Trailmark never reads or writes there."""
    model_id = None
    if source.startswith("models:/m-"):
        model_id = source[len("models:/") :].split("/")[0]
    elif "mlflow-artifacts" in source:
        try:
            target = parse_target(_artifact_path(source))
        except InvalidInput:
            return source, None
        if target.kind == "model":
            model_id = target.owner
        elif target.kind == "run":
            return f"runs:/{target.owner}/{target.path}", None
    elif source.startswith("runs:/"):
        return source, None
    if model_id is not None:
        model = store.mlflow.logged_models.get(model_id)
        if model.artifact_ref or model.files:
            return f"artifact:{artifact_ref(store, model, user)}", model_id
    return source, model_id


def _resolvable(target: str) -> bool:
    """Whether ``target`` is a form :func:`trailmark_source` made for Trailmark's files."""
    return target.startswith(("runs:/", "artifact:"))


def _artifact_path(source: str) -> str:
    """The path after ``mlflow-artifacts:/`` (or after the artifacts route of an http URI)."""
    if source.startswith("mlflow-artifacts:"):
        rest = source[len("mlflow-artifacts:") :].lstrip("/")
        return rest.split("/", 1)[1] if source.startswith("mlflow-artifacts://") else rest
    return source.split("/api/2.0/mlflow-artifacts/artifacts/", 1)[-1]


# registered models


def create_registered_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Create a registered model; RESOURCE_ALREADY_EXISTS if the name is taken."""
    view = store.registry.create_model(
        fields.required("name"),
        fields.text("description", "") or "",
        fields.key_values("tags"),
        user=user,
    )
    return model_answer(store, view)


def get_registered_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """A registered model with its latest version per stage and its aliases."""
    return model_answer(store, store.registry.get_model(fields.required("name")))


def rename_registered_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Rename a registered model."""
    new_name = fields.required("new_name")
    store.mlflow.registry.rename_model(fields.required("name"), new_name, user)
    return model_answer(store, store.registry.get_model(new_name))


def update_registered_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Change a registered model's description."""
    view = store.registry.update_model(
        fields.required("name"), description=fields.text("description", ""), user=user
    )
    return model_answer(store, view)


def delete_registered_model(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete a registered model with its versions."""
    store.registry.delete_model(fields.required("name"), user=user)
    return {}


def search_registered_models(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Registered models matching a filter on name and tags, ordered and paged."""
    page = store.mlflow.registry.search_models(
        fields.text("filter"),
        [str(o) for o in fields.items("order_by")],
        page_request(fields, 100, 1000),
    )
    latest = store.mlflow.registry.latest_versions([v["name"] for v in page.items])
    models = [model_json(v, latest[v["name"]]) for v in page.items]
    return page_answer("registered_models", models, page.next_token)


def get_latest_versions(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """The newest version in each stage (or in the stages asked for)."""
    wanted = {str(s).lower() for s in fields.items("stages")}
    name = store.registry.get_model(fields.required("name"))["name"]
    latest = [version_json(v) for v in store.mlflow.registry.latest_versions([name])[name]]
    return {
        "model_versions": [v for v in latest if not wanted or v["current_stage"].lower() in wanted]
    }


def set_registered_model_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set a tag of a registered model."""
    store.mlflow.registry.set_model_tag(
        fields.required("name"), fields.tag_key(), fields.tag_value(), user
    )
    return {}


def delete_registered_model_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete a tag of a registered model."""
    store.mlflow.registry.set_model_tag(fields.required("name"), fields.required("key"), None, user)
    return {}


def set_registered_model_alias(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Point an alias (``champion``) at a version; it moves atomically."""
    store.registry.set_alias(
        fields.required("name"), fields.required("alias"), version_of(fields), user
    )
    return {}


def delete_registered_model_alias(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Remove an alias."""
    store.registry.delete_alias(fields.required("name"), fields.required("alias"), user)
    return {}


def get_model_version_by_alias(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """The version an alias names."""
    alias = fields.required("alias")
    return {
        "model_version": version_json(
            store.registry.get_version(fields.required("name"), f"@{alias}")
        )
    }


# model versions


def create_model_version(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Register a logged model or a run's files as the model's next version (READY at once)."""
    name = check_model_name(fields.text("name"))
    source = fields.required("source")
    run_id = fields.text("run_id")
    target, model_id = trailmark_source(store, source, user)
    tags = fields.key_values("tags")
    tags[SOURCE_TAG] = source
    model_id = fields.text("model_id") or model_id
    if model_id:
        tags[MODEL_ID_TAG] = model_id
    view = store.registry.create_version(
        name,
        target,
        description=fields.text("description", "") or "",
        tags=tags,
        user=user,
        create_model=False,
        run_id=run_id or None,
        resolve="files_or_keep" if _resolvable(target) else "keep",
    )
    if model_id:
        store.mlflow.logged_models.add_model_version(model_id, name, int(view["version"]))
    return {"model_version": version_json(view)}


def get_model_version(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """One version of a registered model."""
    view = store.registry.get_version(fields.required("name"), version_of(fields))
    return {"model_version": version_json(view)}


def update_model_version(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Change a version's description."""
    view = store.registry.update_version(
        fields.required("name"),
        version_of(fields),
        description=fields.text("description", ""),
        user=user,
    )
    return {"model_version": version_json(view)}


def transition_model_version_stage(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Move a version to None, Staging, Production or Archived."""
    view = store.registry.set_stage(
        fields.required("name"),
        version_of(fields),
        fields.required("stage"),
        archive_existing=fields.flag("archive_existing_versions"),
        user=user,
    )
    return {"model_version": version_json(view)}


def delete_model_version(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete one version of a registered model."""
    version = int(version_of(fields))
    store.mlflow.registry.delete_version(fields.required("name"), version, user)
    return {}


def search_model_versions(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Versions matching a filter (``name = 'm'``, ``run_id = '...'``, tags), ordered and paged."""
    page = store.mlflow.registry.search_versions(
        fields.text("filter"),
        [str(o) for o in fields.items("order_by")],
        page_request(fields, 10_000, 200_000),
    )
    return page_answer("model_versions", [version_json(v) for v in page.items], page.next_token)


def get_model_version_download_uri(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Where a version's files are served: ``mlflow-artifacts:/_registry/NAME/VERSION``."""
    view = store.registry.get_version(fields.required("name"), version_of(fields))
    if view["source_project"] is None:  # files Trailmark does not hold: the client reads there
        return {"artifact_uri": view["tags"].get(SOURCE_TAG, view["source"])}
    return {"artifact_uri": f"mlflow-artifacts:/{REGISTRY}/{view['model']}/{view['version']}"}


def _set_version_tag(store: Store, fields: Fields, user: str, value: str | None) -> None:
    store.mlflow.registry.set_version_tag(
        fields.required("name"), version_of(fields), fields.tag_key(), value, user
    )


def set_model_version_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set a tag of a model version."""
    _set_version_tag(store, fields, user, fields.tag_value())
    return {}


def delete_model_version_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete a tag of a model version."""
    _set_version_tag(store, fields, user, None)
    return {}

"""MLflow experiments (``/api/2.0/mlflow/experiments/...``) over Trailmark projects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from trailmark.errors import InvalidInput
from trailmark.mlflow_api.entities import experiment_json
from trailmark.mlflow_api.fields import Fields, page_answer, page_request, view_type
from trailmark.store.store import Store

MAX_ARTIFACT_LOCATION_LENGTH = 2048


def create_experiment(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Create an experiment (a Trailmark project). Without ``artifact_location`` its
    artifacts go through this server; with one, the location is kept as a string and the
    client writes its runs' files there itself (the server never touches it)."""
    name = fields.required_string("name")
    location = artifact_location(fields)
    tags = fields.key_values("tags")
    exp = store.mlflow.experiments.create(name, tags, location)
    return {"experiment_id": exp.experiment_id}


def artifact_location(fields: Fields) -> str | None:
    """The ``artifact_location`` of a create request, checked as MLflow checks it."""
    location = fields.string("artifact_location")
    if location is None:
        return None
    parsed = urlparse(location)
    if parsed.fragment or parsed.params:
        raise InvalidInput("'artifact_location' URL can't include fragments or params.")
    if location.startswith("runs:"):
        raise InvalidInput(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")
    if len(location) > MAX_ARTIFACT_LOCATION_LENGTH or "\x00" in location:
        raise InvalidInput(
            "Invalid artifact path length. The length of the artifact path cannot be greater "
            f"than {MAX_ARTIFACT_LOCATION_LENGTH} characters (and it holds no NUL)."
        )
    return location


def get_experiment(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """One experiment by id ("0" is the project named Default)."""
    return {
        "experiment": experiment_json(
            store.mlflow.experiments.by_id(fields.required("experiment_id"))
        )
    }


def get_experiment_by_name(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """One experiment by name; RESOURCE_DOES_NOT_EXIST (404) if there is none."""
    exp = store.mlflow.experiments.by_name(fields.required("experiment_name"))
    return {"experiment": experiment_json(exp)}


def search_experiments(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Experiments matching a filter on name, times and tags, ordered and paged."""
    page = store.mlflow.experiments.search(
        fields.text("filter"),
        [str(o) for o in fields.items("order_by")],
        view_type(fields.get("view_type")),
        page_request(fields, 1000, 50_000),
    )
    return page_answer("experiments", [experiment_json(e) for e in page.items], page.next_token)


def update_experiment(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Rename an experiment (``new_name``)."""
    new_name = fields.text("new_name")
    if new_name:
        store.mlflow.experiments.rename(fields.required("experiment_id"), new_name)
    return {}


def delete_experiment(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Mark an experiment and its runs deleted (restore brings them back)."""
    store.mlflow.experiments.set_deleted(fields.required("experiment_id"), True)
    return {}


def restore_experiment(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Restore a deleted experiment and the runs deleted with it."""
    store.mlflow.experiments.set_deleted(fields.required("experiment_id"), False)
    return {}


def set_experiment_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Set an experiment tag (``mlflow.note.content`` is the project's description)."""
    value = fields.tag_value()
    store.mlflow.experiments.set_tag(fields.required("experiment_id"), fields.tag_key(), value)
    return {}


def delete_experiment_tag(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Delete an experiment tag."""
    store.mlflow.experiments.set_tag(fields.required("experiment_id"), fields.required("key"), None)
    return {}

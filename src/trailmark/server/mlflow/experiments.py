"""MLflow experiments: ``/api/2.0/mlflow/experiments/...`` over Trailmark projects."""

from __future__ import annotations

from typing import Any

from trailmark.server.mlflow.errors import endpoint, mlflow_router
from trailmark.server.mlflow.mapping import (
    Fields,
    experiment_json,
    max_results,
    millis,
    page_offset,
    page_token,
    view_type,
)
from trailmark.server.mlflow.search_filter import (
    check_order,
    check_simple_filter,
    matches,
    parse_filter,
    parse_order_by,
)
from trailmark.store.mlflow.experiments import Experiment, ExperimentStore
from trailmark.store.mlflow.runs import ACTIVE_ONLY, DELETED_ONLY
from trailmark.store.store import Store

PREFIX = "/api/2.0/mlflow/experiments"
router = mlflow_router("mlflow experiments")

_ATTRIBUTES = {
    "name": False,
    "experiment_id": False,
    "creation_time": True,
    "last_update_time": True,
}


def _attribute(exp: Experiment, key: str) -> str | int | None:
    values: dict[str, str | int] = {
        "name": exp.name,
        "experiment_id": exp.experiment_id,
        "creation_time": millis(exp.created_at),
        "last_update_time": millis(exp.updated_at),
    }
    return values.get(key)


def _lookup(exp: Experiment) -> Any:
    def lookup(kind: str, key: str) -> str | int | None:
        return exp.tags.get(key) if kind == "tag" else _attribute(exp, key)

    return lookup


def _sort_key(exp: Experiment, key: str) -> tuple[int, Any]:
    value = _attribute(exp, key)
    if key == "experiment_id":
        return (0, int(value or 0))
    return (0, value) if value is not None else (1, 0)


@endpoint(router, "POST", f"{PREFIX}/create")
def create_experiment(store: Store, fields: Fields) -> dict[str, Any]:
    """Create an experiment (a Trailmark project); artifacts always go through this server."""
    exp = ExperimentStore(store.db).create(fields.required("name"), fields.key_values("tags"))
    return {"experiment_id": exp.experiment_id}


@endpoint(router, "GET", f"{PREFIX}/get")
def get_experiment(store: Store, fields: Fields) -> dict[str, Any]:
    """One experiment by id ("0" is the project named Default)."""
    return {
        "experiment": experiment_json(
            ExperimentStore(store.db).by_id(fields.required("experiment_id"))
        )
    }


@endpoint(router, "GET", f"{PREFIX}/get-by-name")
def get_experiment_by_name(store: Store, fields: Fields) -> dict[str, Any]:
    """One experiment by name; RESOURCE_DOES_NOT_EXIST (404) if there is none."""
    exp = ExperimentStore(store.db).by_name(fields.required("experiment_name"))
    return {"experiment": experiment_json(exp)}


@endpoint(router, "POST", f"{PREFIX}/search")
def search_experiments(store: Store, fields: Fields) -> dict[str, Any]:
    """Experiments matching a filter on name, times and tags, ordered and paged."""
    limit = max_results(fields, 1000, 50_000)
    offset = page_offset(fields.text("page_token"))
    wanted = view_type(fields.get("view_type"))
    items = check_simple_filter(parse_filter(fields.text("filter")), _ATTRIBUTES)
    found = [
        exp
        for exp in ExperimentStore(store.db).all()
        if (wanted != ACTIVE_ONLY or exp.deleted_at is None)
        and (wanted != DELETED_ONLY or exp.deleted_at is not None)
        and matches(items, _lookup(exp))
    ]
    orders = [
        check_order(parse_order_by(text), _ATTRIBUTES, ())
        for text in fields.items("order_by") or ["creation_time DESC", "experiment_id ASC"]
    ]
    found.sort(key=lambda exp: exp.project_id)
    for order in reversed(orders):
        present = [e for e in found if _attribute(e, order.key) is not None]
        missing = [e for e in found if _attribute(e, order.key) is None]
        present.sort(key=lambda e: _sort_key(e, order.key), reverse=not order.ascending)
        found = present + missing
    page = found[offset : offset + limit]
    out: dict[str, Any] = {"experiments": [experiment_json(exp) for exp in page]}
    if offset + limit < len(found):
        out["next_page_token"] = page_token(offset + limit)
    return out


@endpoint(router, "POST", f"{PREFIX}/update")
def update_experiment(store: Store, fields: Fields) -> dict[str, Any]:
    """Rename an experiment (``new_name``)."""
    new_name = fields.text("new_name")
    if new_name:
        ExperimentStore(store.db).rename(fields.required("experiment_id"), new_name)
    return {}


@endpoint(router, "POST", f"{PREFIX}/delete")
def delete_experiment(store: Store, fields: Fields) -> dict[str, Any]:
    """Mark an experiment and its runs deleted (restore brings them back)."""
    ExperimentStore(store.db).set_deleted(fields.required("experiment_id"), True)
    return {}


@endpoint(router, "POST", f"{PREFIX}/restore")
def restore_experiment(store: Store, fields: Fields) -> dict[str, Any]:
    """Restore a deleted experiment and the runs deleted with it."""
    ExperimentStore(store.db).set_deleted(fields.required("experiment_id"), False)
    return {}


@endpoint(router, "POST", f"{PREFIX}/set-experiment-tag")
def set_experiment_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Set an experiment tag (``mlflow.note.content`` is the project's description)."""
    value = fields.text("value", "")
    ExperimentStore(store.db).set_tag(
        fields.required("experiment_id"), fields.required("key"), value
    )
    return {}


@endpoint(router, "POST", f"{PREFIX}/delete-experiment-tag")
def delete_experiment_tag(store: Store, fields: Fields) -> dict[str, Any]:
    """Delete an experiment tag."""
    ExperimentStore(store.db).set_tag(
        fields.required("experiment_id"), fields.required("key"), None
    )
    return {}

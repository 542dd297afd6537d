"""What MLflow's model registry API needs beyond :class:`trailmark.store.registry.ModelRegistry`:
renaming a model, deleting one version, setting or deleting one tag, and searching models and
versions in SQL.

Changes go through the same tables and record an event in ``model_events`` as the registry's
own changes do, so webhooks hear of them. A tag is set or deleted in one transaction that
locks the model row, so two clients changing different tags at once both keep their change.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, delete, func, select, update

from trailmark.errors import Conflict, NotFound
from trailmark.manifest import check_model_name
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.filter_sql import JsonRef
from trailmark.store.mlflow.entity_search import (
    MILLIS,
    NUMBER,
    Attribute,
    Searchable,
    filter_sql,
    order_sql,
)
from trailmark.store.mlflow.paging import Page, PageRequest
from trailmark.store.mlflow.search_filter import check_simple_filter, parse_filter, parse_order_by
from trailmark.store.model_views import check_model_tags, model_view, version_views, versions_query
from trailmark.store.registry import ModelRegistry, _event
from trailmark.store.schema_artifacts import model_versions, registered_models

SOURCE_TAG = "trailmark.mlflow.source"
"""The MLflow source a version was registered from (its Trailmark source is a copy)."""
MODEL_ID_TAG = "trailmark.mlflow.model_id"

MODEL_ATTRIBUTES = {"name": False, "creation_timestamp": True, "last_updated_timestamp": True}
VERSION_ATTRIBUTES = {
    "name": False,
    "run_id": False,
    "source_path": False,
    "current_stage": False,
    "version_number": True,
    "creation_timestamp": True,
    "last_updated_timestamp": True,
}
_ORDER_ALIASES = {"timestamp": "creation_timestamp", "version": "version_number"}

MODELS = Searchable(
    attributes={
        "name": Attribute(registered_models.c.name),
        "creation_timestamp": Attribute(registered_models.c.created_at, MILLIS),
        "last_updated_timestamp": Attribute(registered_models.c.updated_at, MILLIS),
    },
    entities={"tag": registered_models.c.tags},
    missing_differs=True,
)


VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")
"""MLflow's default order of ``search_model_versions`` (its SQLAlchemy store): the most
recently changed first."""


def _millis(seconds: ColumnElement[Any]) -> ColumnElement[Any]:
    """A time in whole milliseconds, as MLflow keeps it: two versions changed in the same
    millisecond tie there, and the next key (name, version) orders them as MLflow does."""
    return func.round(seconds * 1000)


def _versions(dialect: str) -> Searchable:
    source_tag = JsonRef.of(model_versions.c.tags, [SOURCE_TAG], dialect)
    return Searchable(
        attributes={
            "name": Attribute(registered_models.c.name),
            "version_number": Attribute(model_versions.c.version, NUMBER),
            "run_id": Attribute(model_versions.c.source_run_id, nullable=True),
            "source_path": Attribute(
                case((source_tag.is_string(), source_tag.text), else_=model_versions.c.source)
            ),
            "current_stage": Attribute(model_versions.c.stage),
            "creation_timestamp": Attribute(
                model_versions.c.created_at, MILLIS, sort=_millis(model_versions.c.created_at)
            ),
            "last_updated_timestamp": Attribute(
                model_versions.c.updated_at, MILLIS, sort=_millis(model_versions.c.updated_at)
            ),
        },
        entities={"tag": model_versions.c.tags},
        missing_differs=True,
    )


def _orders(texts: Sequence[str], searchable: Searchable, dialect: str) -> list[Any]:
    """MLflow's registry order_by: a tag, or else an attribute (``timestamp``, ``version``)."""
    clauses: list[ColumnElement[Any]] = []
    for text in texts:
        order = parse_order_by(text)
        kind = "tag" if order.kind == "tag" else "attribute"
        key = _ORDER_ALIASES.get(order.key, order.key)
        clauses += order_sql(kind, key, order.ascending, searchable, dialect)
    return clauses


class RegistryExtras:
    def __init__(self, db: Database, registry: ModelRegistry) -> None:
        self.db = db
        self._registry = registry

    def rename_model(self, name: str, new_name: str, user: str = "anonymous") -> None:
        check_model_name(new_name)
        with self.db.write() as conn:
            row = self._locked_model(conn, name)
            taken = select(registered_models.c.id).where(registered_models.c.name == new_name)
            if conn.execute(taken).first() is not None:
                raise Conflict(f"Registered Model (name={new_name}) already exists.")
            conn.execute(
                update(registered_models)
                .where(registered_models.c.id == row.id)
                .values(name=new_name, updated_at=time.time())
            )
            renamed = conn.execute(
                select(registered_models).where(registered_models.c.id == row.id)
            ).one()
            _event(conn, renamed, None, "model_updated", {"name": new_name, "from": name}, user)

    def delete_version(self, name: str, version: int, user: str = "anonymous") -> None:
        """Delete one version (its aliases go with it; its files stay for other references)."""
        with self.db.write() as conn:
            model = self._locked_model(conn, name)
            gone = conn.execute(
                delete(model_versions).where(
                    model_versions.c.model_id == model.id, model_versions.c.version == version
                )
            )
            if not gone.rowcount:
                raise NotFound(f"Model Version (name={name}, version={version}) not found")
            conn.execute(  # a version's deletion changes its model, as in MLflow
                update(registered_models)
                .where(registered_models.c.id == model.id)
                .values(updated_at=time.time())
            )
            _event(conn, model, version, "version_deleted", {}, user)

    def set_model_tag(
        self, name: str, key: str, value: str | None, user: str = "anonymous"
    ) -> None:
        """Set (or, with ``None``, delete) one tag of a model, in one locked transaction."""
        with self.db.write() as conn:
            model = self._locked_model(conn, name)
            tags = _with_tag(model.tags, key, value)
            conn.execute(
                update(registered_models)
                .where(registered_models.c.id == model.id)
                .values(tags=tags, updated_at=time.time())
            )
            _event(conn, model, None, "model_updated", {"tags": tags}, user)

    def set_version_tag(
        self, name: str, ref: str, key: str, value: str | None, user: str = "anonymous"
    ) -> None:
        """Set (or delete) one tag of a version, under the model's row lock."""
        with self.db.write() as conn:
            model = self._locked_model(conn, name)
            row = self._registry._version_row(conn, model, ref)
            tags = _with_tag(row.tags, key, value)
            conn.execute(
                update(model_versions)
                .where(model_versions.c.id == row.id)
                .values(tags=tags, updated_at=time.time())
            )
            _event(conn, model, row.version, "version_updated", {"tags": tags}, user)

    def search_models(
        self, filter_text: str | None, order_by: Sequence[str], page: PageRequest
    ) -> Page[dict[str, Any]]:
        """Registered models matching an MLflow filter, ordered (name by default) and paged."""
        items = check_simple_filter(parse_filter(filter_text), MODEL_ATTRIBUTES)
        dialect = self.db.dialect
        query = select(registered_models)
        where = filter_sql(items, MODELS, dialect)
        if where is not None:
            query = query.where(where)
        clauses = _orders(order_by or ["name ASC"], MODELS, dialect)
        query = query.order_by(
            *clauses, registered_models.c.updated_at.desc(), registered_models.c.id
        )
        with self.db.read() as conn:
            rows = Page.of(
                conn.execute(query.limit(page.limit + 1).offset(page.offset)).all(), page
            )
            return Page([model_view(conn, row) for row in rows.items], rows.next_token)

    def search_versions(
        self, filter_text: str | None, order_by: Sequence[str], page: PageRequest
    ) -> Page[dict[str, Any]]:
        """Versions matching an MLflow filter (``name = 'm'``, ``run_id = '...'``, tags),
        ordered (by default as MLflow: last changed first, then name, then newest version)
        and paged."""
        items = check_simple_filter(parse_filter(filter_text), VERSION_ATTRIBUTES)
        dialect = self.db.dialect
        searchable = _versions(dialect)
        query = versions_query()
        where = filter_sql(items, searchable, dialect)
        if where is not None:
            query = query.where(where)
        clauses = _orders(order_by or VERSION_ORDER, searchable, dialect)
        query = query.order_by(*clauses, registered_models.c.name, model_versions.c.version.desc())
        with self.db.read() as conn:
            rows = Page.of(
                conn.execute(query.limit(page.limit + 1).offset(page.offset)).all(), page
            )
            return Page(version_views(conn, rows.items), rows.next_token)

    def latest_versions(self, names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The newest version in each stage of each model, oldest first (MLflow's
        ``latest_versions``), for a page of models in one read."""
        newest = (
            select(
                model_versions.c.model_id,
                func.max(model_versions.c.version).label("version"),
            )
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(registered_models.c.name.in_(list(names)))
            .group_by(model_versions.c.model_id, model_versions.c.stage)
            .subquery()
        )
        query = (
            versions_query()
            .join(
                newest,
                and_(
                    model_versions.c.model_id == newest.c.model_id,
                    model_versions.c.version == newest.c.version,
                ),
            )
            .order_by(model_versions.c.version)
        )
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        if not names:
            return out
        with self.db.read() as conn:
            for view in version_views(conn, list(conn.execute(query).all())):
                out[view["model"]].append(view)
        return out

    def _locked_model(self, conn: Connection, name: str) -> Any:
        query = select(registered_models).where(registered_models.c.name == name)
        row = conn.execute(for_update(conn, query)).first()
        if row is None:
            raise NotFound(f"Registered Model with name={name} not found")
        return row


def _with_tag(tags: dict[str, str], key: str, value: str | None) -> dict[str, str]:
    changed = dict(tags)
    if value is None:
        changed.pop(key, None)
    else:
        changed[key] = value
    return check_model_tags(changed)

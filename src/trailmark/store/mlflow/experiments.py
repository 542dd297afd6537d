"""MLflow experiments: projects seen through MLflow's eyes.

An experiment's id is its project's numeric id as a string, except the project named
``Default``, which is experiment ``"0"`` (MLflow clients log there when no experiment is set)
and is created the first time it is needed. Experiment tags live in ``projects.properties``;
the ``mlflow.note.content`` tag is the project's description. Deleting an experiment is a
soft delete (``deleted_at``) that also soft-deletes its live runs; restoring brings back the
runs deleted with it.

An experiment created with an ``artifact_location`` keeps it, as a string only, under the
reserved property :data:`ARTIFACT_LOCATION_KEY` (not a tag: no tag request can read, set or
delete it). Its runs' artifact URIs lie under it and the client writes there itself; the
server never reads or writes that location.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, String, case, cast, func, select, update

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.mlflow.entity_search import (
    MILLIS,
    Attribute,
    Searchable,
    filter_sql,
    order_sql,
)
from trailmark.store.mlflow.paging import Page, PageRequest
from trailmark.store.mlflow.search import in_view
from trailmark.store.mlflow.search_filter import (
    check_order,
    check_simple_filter,
    parse_filter,
    parse_order_by,
)
from trailmark.store.runs import ensure_project
from trailmark.store.schema import projects, runs
from trailmark.store.upserts import insert_new
from trailmark.validation import check_project_name

DEFAULT_EXPERIMENT = "Default"
DEFAULT_EXPERIMENT_ID = "0"
NOTE_TAG = "mlflow.note.content"
ARTIFACT_LOCATION_KEY = "trailmark.mlflow.artifact_location"
"""The projects.properties entry that holds an experiment's own artifact location."""


@dataclass(frozen=True)
class Experiment:
    project_id: int
    name: str
    description: str
    created_at: float
    updated_at: float
    deleted_at: float | None
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def experiment_id(self) -> str:
        return DEFAULT_EXPERIMENT_ID if self.name == DEFAULT_EXPERIMENT else str(self.project_id)

    @property
    def artifact_location(self) -> str | None:
        """The location given at creation, or ``None``: artifacts go through this server."""
        return self.properties.get(ARTIFACT_LOCATION_KEY) or None

    @property
    def tags(self) -> dict[str, str]:
        tags = {k: v for k, v in self.properties.items() if k != ARTIFACT_LOCATION_KEY}
        if self.description:
            tags[NOTE_TAG] = self.description
        return tags

    @classmethod
    def from_row(cls, row: Any) -> Experiment:
        return cls(
            project_id=int(row.id),
            name=row.name,
            description=row.description or "",
            created_at=float(row.created_at),
            updated_at=float(row.updated_at),
            deleted_at=row.deleted_at,
            properties=dict(row.properties or {}),
        )


SEARCH_ATTRIBUTES = {
    "name": False,
    "experiment_id": False,
    "creation_time": True,
    "last_update_time": True,
}
"""What an experiment search filters and orders on (name: is it a number?)."""
DEFAULT_ORDER = ("creation_time DESC", "experiment_id ASC")

_IS_DEFAULT = projects.c.name == DEFAULT_EXPERIMENT
SEARCHABLE = Searchable(
    attributes={
        "name": Attribute(projects.c.name),
        "experiment_id": Attribute(
            case((_IS_DEFAULT, DEFAULT_EXPERIMENT_ID), else_=cast(projects.c.id, String)),
            sort=case((_IS_DEFAULT, 0), else_=projects.c.id),
        ),
        "creation_time": Attribute(projects.c.created_at, MILLIS),
        "last_update_time": Attribute(projects.c.updated_at, MILLIS),
    },
    entities={"tag": projects.c.properties},
    special={
        ("tag", NOTE_TAG): Attribute(
            func.nullif(func.coalesce(projects.c.description, ""), "", type_=String),
            nullable=True,
        )
    },
)


def parse_experiment_id(experiment_id: Any) -> int | None:
    """The project id an experiment id names; ``None`` for ``"0"`` (the Default project)."""
    text = str(experiment_id).strip()
    if text == DEFAULT_EXPERIMENT_ID:
        return None
    if not text.isdigit() or len(text) > 18:
        raise NotFound(f"No Experiment with id={text} exists")
    return int(text)


class ExperimentStore:
    """Projects as MLflow experiments."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_default(self) -> Experiment:
        """The Default experiment ("0"), created on first use as MLflow servers have it."""
        with self.db.read() as conn:
            row = conn.execute(
                select(projects).where(projects.c.name == DEFAULT_EXPERIMENT)
            ).first()
        if row is None:
            with self.db.write() as conn:
                ensure_project(conn, DEFAULT_EXPERIMENT)
                row = conn.execute(
                    select(projects).where(projects.c.name == DEFAULT_EXPERIMENT)
                ).one()
        return Experiment.from_row(row)

    def by_id(self, experiment_id: Any) -> Experiment:
        """The experiment with this id, deleted or not (``"0"`` creates Default if needed)."""
        pid = parse_experiment_id(experiment_id)
        if pid is None:
            return self.ensure_default()
        with self.db.read() as conn:
            row = conn.execute(select(projects).where(projects.c.id == pid)).first()
        if row is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return Experiment.from_row(row)

    def by_name(self, name: str) -> Experiment:
        if name == DEFAULT_EXPERIMENT:
            return self.ensure_default()
        with self.db.read() as conn:
            row = conn.execute(select(projects).where(projects.c.name == name)).first()
        if row is None:
            raise NotFound(f"Could not find experiment with name '{name}'")
        return Experiment.from_row(row)

    def by_project_ids(self, ids: list[int]) -> dict[int, Experiment]:
        if not ids:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(select(projects).where(projects.c.id.in_(ids))).all()
        return {int(r.id): Experiment.from_row(r) for r in rows}

    def search(
        self, filter_text: str | None, order_by: Sequence[str], view_type: str, page: PageRequest
    ) -> Page[Experiment]:
        """Experiments matching an MLflow filter, ordered and paged in SQL (Default included,
        created if missing)."""
        items = check_simple_filter(parse_filter(filter_text), SEARCH_ATTRIBUTES)
        orders = [
            check_order(parse_order_by(text), SEARCH_ATTRIBUTES, ())
            for text in order_by or DEFAULT_ORDER
        ]
        self.ensure_default()
        dialect = self.db.dialect
        query = select(projects).where(in_view(projects.c.deleted_at, view_type))
        where = filter_sql(items, SEARCHABLE, dialect)
        if where is not None:
            query = query.where(where)
        clauses = [
            clause
            for order in orders
            for clause in order_sql(order.kind, order.key, order.ascending, SEARCHABLE, dialect)
        ]
        query = query.order_by(*clauses, projects.c.id).limit(page.limit + 1).offset(page.offset)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return Page.of([Experiment.from_row(r) for r in rows], page)

    def create(
        self, name: str, tags: dict[str, str], artifact_location: str | None = None
    ) -> Experiment:
        check_project_name(name)
        properties = {k: v for k, v in tags.items() if k not in (NOTE_TAG, ARTIFACT_LOCATION_KEY)}
        if artifact_location:
            properties[ARTIFACT_LOCATION_KEY] = artifact_location
        now = time.time()
        row_values = {
            "name": name,
            "description": tags.get(NOTE_TAG, ""),
            "created_at": now,
            "updated_at": now,
            "properties": properties,
        }
        with self.db.write() as conn:
            # one statement, so two clients creating the same name cannot both succeed
            if not insert_new(conn, projects, row_values):
                row = conn.execute(select(projects).where(projects.c.name == name)).one()
                deleted = row.deleted_at is not None
                raise Conflict(
                    f"Experiment(name={name}) already exists."
                    + (" It is deleted: restore it or pick another name." if deleted else "")
                )
            row = conn.execute(select(projects).where(projects.c.name == name)).one()
        return Experiment.from_row(row)

    def rename(self, experiment_id: Any, new_name: str) -> None:
        check_project_name(new_name)
        exp = self.by_id(experiment_id)
        if exp.name == DEFAULT_EXPERIMENT:
            raise InvalidInput(
                "Trailmark keeps experiment 0 as the project named 'Default'; it cannot be "
                "renamed. Create a new experiment instead."
            )
        with self.db.write() as conn:
            if conn.execute(select(projects.c.id).where(projects.c.name == new_name)).first():
                raise Conflict(f"Experiment(name={new_name}) already exists.")
            self._touch(conn, exp.project_id, name=new_name)

    def set_deleted(self, experiment_id: Any, deleted: bool) -> None:
        exp = self.by_id(experiment_id)
        if exp.name == DEFAULT_EXPERIMENT and deleted:
            raise InvalidInput(
                "Cannot delete the default experiment '0'. This is an internally reserved experiment."
            )
        with self.db.write() as conn:
            if deleted and exp.deleted_at is None:
                now = time.time()
                conn.execute(
                    update(runs)
                    .where(runs.c.project_id == exp.project_id, runs.c.deleted_at.is_(None))
                    .values(deleted_at=now)
                )
                self._touch(conn, exp.project_id, deleted_at=now)
            elif not deleted and exp.deleted_at is not None:
                conn.execute(
                    update(runs)
                    .where(runs.c.project_id == exp.project_id)
                    .where(runs.c.deleted_at == exp.deleted_at)
                    .values(deleted_at=None)
                )
                self._touch(conn, exp.project_id, deleted_at=None)

    def set_tag(self, experiment_id: Any, key: str, value: str | None) -> None:
        """Set (or, with ``None``, delete) an experiment tag."""
        exp = self.by_id(experiment_id)
        if exp.deleted_at is not None:
            raise InvalidInput(
                f"The experiment {exp.experiment_id} must be in the 'active' state; restore it first."
            )
        if key == ARTIFACT_LOCATION_KEY:
            raise InvalidInput(
                f"The tag {key!r} is reserved: it holds the artifact location the experiment "
                "was created with, which cannot change."
            )
        with self.db.write() as conn:
            if key == NOTE_TAG:
                self._touch(conn, exp.project_id, description=value or "")
                return
            query = select(projects.c.properties).where(projects.c.id == exp.project_id)
            properties = dict(conn.execute(for_update(conn, query)).scalar_one() or {})
            if value is None:
                if key not in properties:
                    raise NotFound(f"No tag with name: {key} in experiment {exp.experiment_id}")
                del properties[key]
            else:
                properties[key] = value
            self._touch(conn, exp.project_id, properties=properties)

    def _touch(self, conn: Connection, project_id: int, **values: Any) -> None:
        conn.execute(
            update(projects)
            .where(projects.c.id == project_id)
            .values(updated_at=time.time(), **values)
        )

"""MLflow 3 logged models: what ``mlflow.<flavor>.log_model`` records before uploading files.

A logged model belongs to an experiment (project) and usually to the run that produced it;
its files live in the artifact store under ``<experiment>/models/<model id>/artifacts``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, or_, select, update

from trailmark.errors import NotFound
from trailmark.manifest import Entry
from trailmark.store.database import Database
from trailmark.store.dialect import for_update, insert_ignoring_conflicts
from trailmark.store.mlflow.entity_search import (
    MILLIS,
    NUMBER,
    Attribute,
    Searchable,
    filter_sql,
    order_sql,
)
from trailmark.store.mlflow.paging import Page, PageRequest
from trailmark.store.mlflow.search_filter import check_simple_filter, parse_filter
from trailmark.store.schema import logged_model_metrics, logged_models, projects
from trailmark.store.uploads import require_blobs
from trailmark.validation import check_name

MODEL_VERSIONS_TAG = "mlflow.modelVersions"
"""The registered versions made from a logged model, as MLflow's server tags it."""

PENDING = "LOGGED_MODEL_PENDING"

SEARCH_ATTRIBUTES = {
    "name": False,
    "model_id": False,
    "model_type": False,
    "status": False,
    "source_run_id": False,
    "creation_time": True,
    "creation_timestamp": True,
    "last_updated_timestamp": True,
}
SEARCHABLE = Searchable(
    attributes={
        "name": Attribute(logged_models.c.name),
        "model_id": Attribute(logged_models.c.id),
        "model_type": Attribute(logged_models.c.model_type, nullable=True),
        "status": Attribute(logged_models.c.status),
        "source_run_id": Attribute(logged_models.c.run_id, nullable=True),
        "creation_time": Attribute(logged_models.c.created_at, MILLIS),
        "creation_timestamp": Attribute(logged_models.c.created_at, MILLIS),
        "last_updated_timestamp": Attribute(logged_models.c.updated_at, MILLIS),
    },
    entities={"tag": logged_models.c.tags, "parameter": logged_models.c.params},
    always_missing=frozenset({"metric"}),
)


@dataclass(frozen=True)
class ModelMetric:
    """One point of a metric logged with a ``model_id`` (MLflow's ``logged_model_metrics``)."""

    model_id: str
    key: str
    value: float | None
    timestamp_ms: int
    step: int
    run_id: str
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True)
class DatasetFilter:
    """``search``'s ``datasets`` item: a name, and the digest too when given."""

    name: str
    digest: str | None = None


@dataclass(frozen=True)
class LoggedModel:
    model_id: str
    project_id: int
    project_name: str
    name: str
    run_id: str | None
    status: str
    model_type: str | None
    tags: dict[str, str]
    params: dict[str, str]
    created_at: float
    updated_at: float
    deleted_at: float | None
    files: dict[str, dict[str, Any]]
    artifact_ref: str | None
    metrics: tuple[ModelMetric, ...] = ()

    @classmethod
    def from_row(cls, row: Row[Any], metrics: Sequence[ModelMetric] = ()) -> LoggedModel:
        return cls(
            model_id=row.id,
            project_id=int(row.project_id),
            project_name=row.project_name,
            name=row.name,
            run_id=row.run_id,
            status=row.status,
            model_type=row.model_type,
            tags=dict(row.tags),
            params=dict(row.params),
            created_at=float(row.created_at),
            updated_at=float(row.updated_at),
            deleted_at=row.deleted_at,
            files=dict(row.files or {}),
            artifact_ref=row.artifact_ref,
            metrics=tuple(metrics),
        )

    def entries(self, prefix: str = "") -> list[Entry]:
        """The model's files at or under ``prefix`` (relative to the model's root)."""
        clean = prefix.strip("/")
        return [
            Entry(path, int(meta["size"]), str(meta["digest"]))
            for path, meta in sorted(self.files.items())
            if not clean or path == clean or path.startswith(clean + "/")
        ]


def _metric_of(row: Row[Any]) -> ModelMetric:
    return ModelMetric(
        model_id=row.model_id,
        key=row.key,
        value=None if row.value is None else float(row.value),
        timestamp_ms=int(row.timestamp_ms),
        step=int(row.step),
        run_id=row.run_id,
        dataset_name=row.dataset_name,
        dataset_digest=row.dataset_digest,
    )


def _metrics_of(conn: Connection, model_ids: list[str]) -> dict[str, list[ModelMetric]]:
    """The metric points of some models, by model, in the order they were measured."""
    out: dict[str, list[ModelMetric]] = {model_id: [] for model_id in model_ids}
    if not model_ids:
        return out
    c = logged_model_metrics.c
    query = (
        select(logged_model_metrics)
        .where(c.model_id.in_(model_ids))
        .order_by(c.model_id, c.timestamp_ms, c.step, c.key, c.run_id)
    )
    for row in conn.execute(query):
        out[row.model_id].append(_metric_of(row))
    return out


def _datasets_sql(datasets: Sequence[DatasetFilter]) -> Any:
    """Models with a metric on any of ``datasets`` (MLflow's ``datasets`` search clause)."""
    c = logged_model_metrics.c
    return exists().where(c.model_id == logged_models.c.id, _dataset_match(datasets))


def _dataset_match(datasets: Sequence[DatasetFilter]) -> Any:
    c = logged_model_metrics.c
    return or_(
        *(
            c.dataset_name == d.name
            if d.digest is None
            else and_(c.dataset_name == d.name, c.dataset_digest == d.digest)
            for d in datasets
        )
    )


def _latest_metric(key: str, datasets: Sequence[DatasetFilter]) -> Attribute:
    """A model's latest value of metric ``key`` (highest step, then time, then value; on
    one of ``datasets`` if any), as MLflow compares and orders logged models by it."""
    c = logged_model_metrics.c
    query = select(c.value).where(c.model_id == logged_models.c.id, c.key == key)
    if datasets:
        query = query.where(_dataset_match(datasets))
    latest = query.order_by(c.step.desc(), c.timestamp_ms.desc(), c.value.desc()).limit(1)
    return Attribute(latest.scalar_subquery(), NUMBER, nullable=True)


def _metric_searchable(key: str, latest: Attribute) -> Searchable:
    """A searchable whose metric ``key`` is its latest value (compared as an attribute)."""
    return Searchable(attributes={}, special={("metric", key): latest})


def _query() -> Any:
    return select(logged_models, projects.c.name.label("project_name")).join(
        projects, projects.c.id == logged_models.c.project_id
    )


class LoggedModelStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        model_id: str,
        project_id: int,
        *,
        name: str,
        run_id: str | None,
        model_type: str | None,
        tags: dict[str, str],
        params: dict[str, str],
    ) -> LoggedModel:
        check_name("model name", name)
        now = time.time()
        with self.db.write() as conn:
            conn.execute(
                logged_models.insert().values(
                    id=model_id,
                    project_id=project_id,
                    run_id=run_id,
                    name=name,
                    status=PENDING,
                    model_type=model_type,
                    tags=tags,
                    params=params,
                    files={},
                    created_at=now,
                    updated_at=now,
                )
            )
        return self.get(model_id)

    def get(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with self.db.read() as conn:
            row = conn.execute(_query().where(logged_models.c.id == model_id)).first()
            metrics = _metrics_of(conn, [model_id]) if row is not None else {}
        if row is None or (row.deleted_at is not None and not allow_deleted):
            raise NotFound(f"Logged model with ID '{model_id}' not found")
        return LoggedModel.from_row(row, metrics[model_id])

    def log_metrics(self, points: Sequence[ModelMetric]) -> None:
        """Keep points logged with a model id for their models (a point sent twice is kept
        once); every model must exist and be live."""
        if not points:
            return
        wanted = sorted({p.model_id for p in points})
        with self.db.write() as conn:
            live = set(
                conn.execute(
                    select(logged_models.c.id).where(
                        logged_models.c.id.in_(wanted), logged_models.c.deleted_at.is_(None)
                    )
                ).scalars()
            )
            missing = [model_id for model_id in wanted if model_id not in live]
            if missing:
                raise NotFound(f"Logged model with ID '{missing[0]}' not found")
            rows = {
                (p.model_id, p.key, p.timestamp_ms, p.step, p.run_id): {
                    "model_id": p.model_id,
                    "key": p.key,
                    "timestamp_ms": p.timestamp_ms,
                    "step": p.step,
                    "run_id": p.run_id,
                    "value": p.value,
                    "dataset_name": p.dataset_name,
                    "dataset_digest": p.dataset_digest,
                }
                for p in points
            }
            insert_ignoring_conflicts(conn, logged_model_metrics, list(rows.values()))

    def search(
        self,
        project_ids: list[int],
        filter_text: str | None,
        order_by: Sequence[dict[str, Any]],
        page: PageRequest,
        datasets: Sequence[DatasetFilter] = (),
    ) -> Page[LoggedModel]:
        """Live logged models of some projects matching an MLflow filter, ordered and paged
        in SQL; ``order_by`` items are ``{"field_name", "ascending"}`` (newest first if none);
        with ``datasets``, only models with a metric on one of them."""
        items = check_simple_filter(
            parse_filter(filter_text), SEARCH_ATTRIBUTES, ("tag", "parameter", "metric")
        )
        dialect = self.db.dialect
        query = _query().where(
            logged_models.c.project_id.in_(project_ids), logged_models.c.deleted_at.is_(None)
        )
        metric_items = [item for item in items if item.kind == "metric"]
        where = filter_sql([i for i in items if i.kind != "metric"], SEARCHABLE, dialect)
        if where is not None:
            query = query.where(where)
        for item in metric_items:
            latest = _latest_metric(item.key, datasets)
            query = query.where(filter_sql([item], _metric_searchable(item.key, latest), dialect))
        if datasets and not metric_items:
            query = query.where(_datasets_sql(datasets))
        clauses: list[Any] = []
        for order in order_by:
            key = str(order.get("field_name", "creation_timestamp")).removeprefix("attributes.")
            ascending = bool(order.get("ascending", True))
            if key.startswith("metrics."):
                wanted = list(datasets)
                if order.get("dataset_name"):
                    digest = order.get("dataset_digest")
                    wanted = [DatasetFilter(str(order["dataset_name"]), digest and str(digest))]
                latest = _latest_metric(key.removeprefix("metrics."), wanted)
                ordered = latest.expr.asc() if ascending else latest.expr.desc()
                clauses.append(ordered.nulls_last())
                continue
            clauses += order_sql("attribute", key, ascending, SEARCHABLE, dialect)
        clauses += [logged_models.c.created_at.desc(), logged_models.c.id]
        query = query.order_by(*clauses).limit(page.limit + 1).offset(page.offset)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            metrics = _metrics_of(conn, [r.id for r in rows[: page.limit]])
        return Page.of([LoggedModel.from_row(r, metrics.get(r.id, ())) for r in rows], page)

    def change(
        self,
        model_id: str,
        *,
        status: str | None = None,
        tags: dict[str, str] | None = None,
        delete_tag: str | None = None,
        params: dict[str, str] | None = None,
        deleted: bool | None = None,
        file: Entry | None = None,
        artifact_ref: str | None = None,
    ) -> LoggedModel:
        """Apply changes (status, tags, params, a file, deletion) under a row lock."""
        with self.db.write() as conn:
            row = self._locked(conn, model_id)
            values: dict[str, Any] = {"updated_at": time.time()}
            if status is not None:
                values["status"] = status
            if tags or delete_tag is not None:
                merged = dict(row.tags)
                merged.update(tags or {})
                if delete_tag is not None:
                    if delete_tag not in merged:
                        raise NotFound(f"No tag with key {delete_tag!r} on logged model {model_id}")
                    del merged[delete_tag]
                values["tags"] = merged
            if params:
                values["params"] = {**row.params, **params}
            if deleted is not None:
                values["deleted_at"] = values["updated_at"] if deleted else None
            if file is not None:
                require_blobs(conn, [str(file.digest)])
                files = dict(row.files or {})
                files[file.path] = {"size": file.size, "digest": file.digest}
                values["files"] = files
                values["artifact_ref"] = None  # the files changed: make a new version when ready
            if artifact_ref is not None:
                values["artifact_ref"] = artifact_ref
            conn.execute(
                update(logged_models).where(logged_models.c.id == model_id).values(**values)
            )
        return self.get(model_id, allow_deleted=True)

    def add_model_version(self, model_id: str, name: str, version: int) -> None:
        """Record that ``name`` version ``version`` was registered from this model, in its
        ``mlflow.modelVersions`` tag (a JSON list, as MLflow's server keeps it), under the row
        lock so that concurrent registrations all stay; a model unknown here is left alone."""
        with self.db.write() as conn:
            query = select(logged_models).where(logged_models.c.id == model_id)
            row = conn.execute(for_update(conn, query)).first()
            if row is None:
                return
            held = json.loads(str(row.tags.get(MODEL_VERSIONS_TAG, "[]")))
            entry = {"name": name, "version": version}
            if entry not in held:
                tags = {**row.tags, MODEL_VERSIONS_TAG: json.dumps([*held, entry])}
                conn.execute(
                    update(logged_models).where(logged_models.c.id == model_id).values(tags=tags)
                )

    def _locked(self, conn: Connection, model_id: str) -> Row[Any]:
        query = select(logged_models).where(logged_models.c.id == model_id)
        row = conn.execute(for_update(conn, query)).first()
        if row is None or row.deleted_at is not None:
            raise NotFound(f"Logged model with ID '{model_id}' not found")
        return row

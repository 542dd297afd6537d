"""Runs as MLflow sees them: create, read, search, update, soft delete, and logging.

Every write locks the run row and applies all its changes (params, tags, metrics, inputs)
in one transaction, so a batch is stored whole or not at all, and writes are idempotent:
a repeated param with the same value, a repeated tag and a repeated metric point change
nothing (see :mod:`trailmark.store.mlflow.metrics`).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select, update

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.records import metric_from_json
from trailmark.store.chunks import Points
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.metrics import read_points
from trailmark.store.mlflow.conventions import (
    LOG_MODEL_HISTORY_TAG,
    META_KEY,
    NOTE_TAG,
    RUN_NAME_TAG,
    params_view,
    parse_param,
    set_param,
    source_metadata,
    verbatim_params,
)
from trailmark.store.mlflow.experiments import (
    ARTIFACT_LOCATION_KEY,
    DEFAULT_EXPERIMENT,
    DEFAULT_EXPERIMENT_ID,
)
from trailmark.store.mlflow.metrics import LatestPoint, MetricPoint, append_points, latest_of
from trailmark.store.mlflow.search import in_view
from trailmark.store.runs import new_run_row
from trailmark.store.schema import projects, runs, series
from trailmark.store.upserts import insert_new
from trailmark.store.views import run_view
from trailmark.validation import check_json_object, check_name, check_notes, check_run_id


@dataclass(frozen=True)
class MlflowRun:
    """A run's Trailmark view plus what MLflow also needs to describe it."""

    view: dict[str, Any]
    experiment_id: str
    deleted_at: float | None
    metrics: dict[str, LatestPoint] = field(default_factory=dict)
    artifact_location: str | None = None
    """The experiment's own artifact location (set at its creation), or ``None``."""


@dataclass
class RunLog:
    """Everything one MLflow request writes to a run, applied in one transaction."""

    metrics: Sequence[MetricPoint] = ()
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    delete_tag: str | None = None
    datasets: list[dict[str, Any]] = field(default_factory=list)
    model_inputs: list[dict[str, Any]] = field(default_factory=list)
    model_outputs: list[dict[str, Any]] = field(default_factory=list)
    logged_models: list[Any] = field(default_factory=list)
    """MLflow 2 models (MLmodel JSON) added to the run's model history tag, each once."""


def experiment_id_of(project_id: int, project_name: str) -> str:
    return DEFAULT_EXPERIMENT_ID if project_name == DEFAULT_EXPERIMENT else str(project_id)


def _metrics_of(
    view: dict[str, Any], stats_by_key: dict[str, dict[str, Any]]
) -> dict[str, LatestPoint]:
    """MLflow's metrics of a run: the latest point of each series, plus summary-only numbers."""
    out: dict[str, LatestPoint] = {}
    for key, stats in stats_by_key.items():
        point = latest_of(stats)
        if point is None:
            continue
        if "latest" not in stats:
            shown = metric_from_json(view["summary"].get(key))
            if shown is not None:
                point = LatestPoint(shown, point.step, point.time)
        out[key] = point
    for key, value in view["summary"].items():
        number = metric_from_json(value)
        if key not in out and number is not None:
            out[key] = LatestPoint(number, 0, float(view["updated"]))
    return out


class _Edit:
    """The mutable fields of a locked run row while one request's changes are applied."""

    def __init__(self, row: Row[Any]) -> None:
        self.run_id: str = row.id
        self.name: str = row.name
        self.notes: str = row.notes
        self.config: dict[str, Any] = copy.deepcopy(row.config)
        self.metadata: dict[str, Any] = copy.deepcopy(row.metadata)
        self.properties: dict[str, Any] = dict(row.properties)
        self.summary: dict[str, Any] = dict(row.summary)
        self.last_step: int | None = row.last_step

    @property
    def mlflow(self) -> dict[str, Any]:
        section = self.metadata.get(META_KEY)
        if not isinstance(section, dict):
            section = self.metadata[META_KEY] = {}
        return section

    def set_tags(self, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            if key == RUN_NAME_TAG:
                self.name = check_name("run name", value)
            elif key == NOTE_TAG:
                self.notes = check_notes(value)
            else:
                self.properties[key] = value
        for key, value in source_metadata(tags).items():
            if isinstance(value, dict) and isinstance(self.metadata.get(key), dict):
                self.metadata[key].update(value)
            else:
                self.metadata[key] = value

    def delete_tag(self, key: str) -> None:
        if key == RUN_NAME_TAG:
            raise InvalidInput("a run keeps its name; set mlflow.runName to another name instead")
        if key == NOTE_TAG and self.notes:
            self.notes = ""
        elif key in self.properties:
            del self.properties[key]
        else:
            raise NotFound(f"No tag with name: {key} in run with id {self.run_id}")

    def log_params(self, params: dict[str, str]) -> None:
        current = params_view(self.config, self.metadata)
        verbatim = verbatim_params(self.metadata)
        for key, value in params.items():
            old = current.get(key)
            if old is not None and old != value:
                raise InvalidInput(
                    f"Changing param values is not allowed. Param with key='{key}' was already "
                    f"logged with value='{old}' for run ID='{self.run_id}'. Attempted logging new "
                    f"value '{value}'. Log it under another key, or start a new run."
                )
            if old is None:
                verbatim[key] = value
                set_param(self.config, key, parse_param(value))
                current[key] = value
        if verbatim:
            self.mlflow["params"] = verbatim
        check_json_object("config", self.config)

    def add_inputs(self, log: RunLog) -> None:
        for name, items in (
            ("datasets", log.datasets),
            ("model_inputs", log.model_inputs),
            ("model_outputs", log.model_outputs),
        ):
            if not items:
                continue
            held: list[Any] = list(self.mlflow.get(name, []))
            held.extend(item for item in items if item not in held)
            self.mlflow[name] = held

    def add_logged_models(self, models: list[Any]) -> None:
        history = json.loads(str(self.properties.get(LOG_MODEL_HISTORY_TAG, "[]")))
        added = [model for model in models if model not in history]
        if added:
            self.set_tags({LOG_MODEL_HISTORY_TAG: json.dumps(history + added)})

    def values(self) -> dict[str, Any]:
        now = time.time()
        return {
            "name": self.name,
            "notes": self.notes,
            "config": self.config,
            "metadata": self.metadata,
            "properties": self.properties,
            "summary": self.summary,
            "last_step": self.last_step,
            "updated_at": now,
            "heartbeat_at": now,
        }


class MlflowRunStore:
    """Runs for the MLflow API."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        project_id: int,
        run_id: str,
        *,
        name: str,
        created_at: float,
        tags: dict[str, str],
        user_id: str = "",
    ) -> MlflowRun:
        """A run created by an MLflow client (its ``metadata["mlflow"]`` says so)."""
        check_run_id(run_id)
        metadata: dict[str, Any] = {META_KEY: {"user_id": user_id}}
        if user_id:
            metadata["user"] = user_id
        with self.db.write() as conn:
            row = new_run_row(run_id, project_id, name=name, created=created_at, metadata=metadata)
            if not insert_new(conn, runs, row):  # one statement: a lost race is a Conflict
                raise Conflict(f"Run with id={run_id} already exists")
            if tags:
                edit = _Edit(self._locked(conn, run_id))
                edit.set_tags(tags)
                conn.execute(update(runs).where(runs.c.id == run_id).values(**edit.values()))
        return self.get(run_id)

    def get(self, run_id: str) -> MlflowRun:
        with self.db.read() as conn:
            row = conn.execute(_with_project().where(runs.c.id == run_id)).first()
            if row is None:
                raise NotFound(f"Run with id={run_id} not found")
            return self._records(conn, [row])[0]

    def search(
        self,
        project_ids: Sequence[int],
        where: ColumnElement[bool] | None,
        order: list[ColumnElement[Any]],
        view_type: str,
        limit: int,
        offset: int,
    ) -> list[MlflowRun]:
        query = _with_project().where(runs.c.project_id.in_(list(project_ids)))
        query = query.where(in_view(runs.c.deleted_at, view_type))
        if where is not None:
            query = query.where(where)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).all()
            return self._records(conn, rows)

    def update(
        self, run_id: str, *, state: str | None, ended_at: float | None, name: str | None
    ) -> MlflowRun:
        with self.db.write() as conn:
            row = self._active(conn, run_id)
            values: dict[str, Any] = {"updated_at": time.time()}
            if name:
                values["name"] = check_name("run name", name)
            if state is not None:
                values["state"] = state
                if state == "running":
                    values["ended_at"] = ended_at
                else:
                    values["ended_at"] = ended_at or row.ended_at or values["updated_at"]
            elif ended_at is not None:
                values["ended_at"] = ended_at
            conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
        return self.get(run_id)

    def set_deleted(self, run_id: str, deleted: bool) -> None:
        with self.db.write() as conn:
            row = self._locked(conn, run_id)
            if deleted and row.deleted_at is None:
                conn.execute(update(runs).where(runs.c.id == run_id).values(deleted_at=time.time()))
            elif not deleted and row.deleted_at is not None:
                conn.execute(update(runs).where(runs.c.id == run_id).values(deleted_at=None))

    def log(self, run_id: str, log: RunLog) -> None:
        """Apply params, tags, metrics and inputs of one request, all or nothing."""
        with self.db.write() as conn:
            edit = _Edit(self._active(conn, run_id))
            if log.params:
                edit.log_params(log.params)
            if log.tags:
                edit.set_tags(log.tags)
            if log.delete_tag is not None:
                edit.delete_tag(log.delete_tag)
            edit.add_inputs(log)
            if log.logged_models:
                edit.add_logged_models(log.logged_models)
            if log.metrics:
                edit.summary.update(append_points(conn, run_id, log.metrics))
                top = max(p.step for p in log.metrics)
                edit.last_step = top if edit.last_step is None else max(edit.last_step, top)
            conn.execute(update(runs).where(runs.c.id == run_id).values(**edit.values()))

    def history(self, run_id: str, key: str) -> Points:
        """Every point of one metric, by step (an unknown key has none)."""
        with self.db.read() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                raise NotFound(f"Run with id={run_id} not found")
            series_id = conn.execute(
                select(series.c.id).where(series.c.run_id == run_id, series.c.key == key)
            ).scalar()
            if series_id is None:
                return Points.empty()
            return read_points(conn, int(series_id), None, None)

    def _locked(self, conn: Connection, run_id: str) -> Row[Any]:
        row = conn.execute(for_update(conn, select(runs).where(runs.c.id == run_id))).first()
        if row is None:
            raise NotFound(f"Run with id={run_id} not found")
        return row

    def _active(self, conn: Connection, run_id: str) -> Row[Any]:
        row = self._locked(conn, run_id)
        if row.deleted_at is not None:
            raise InvalidInput(
                f"The run {run_id} must be in the 'active' state. Current state is deleted; "
                "restore it first."
            )
        return row

    def _records(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[MlflowRun]:
        stats: dict[str, dict[str, dict[str, Any]]] = {row.id: {} for row in rows}
        ids = list(stats)
        for start in range(0, len(ids), 500):
            query = select(series.c.run_id, series.c.key, series.c.stats).where(
                series.c.run_id.in_(ids[start : start + 500])
            )
            for s in conn.execute(query):
                stats[s.run_id][s.key] = s.stats
        out = []
        for row in rows:
            view = run_view(row, row.project_name)
            out.append(
                MlflowRun(
                    view=view,
                    experiment_id=experiment_id_of(int(row.project_id), row.project_name),
                    deleted_at=row.deleted_at,
                    metrics=_metrics_of(view, stats[row.id]),
                    artifact_location=(row.project_properties or {}).get(ARTIFACT_LOCATION_KEY),
                )
            )
        return out


def _with_project() -> Any:
    return select(
        runs,
        projects.c.name.label("project_name"),
        projects.c.properties.label("project_properties"),
    ).join(projects, projects.c.id == runs.c.project_id)

"""Projects and runs: create, read, search, update, delete."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.ids import new_run_id
from trailmark.limits import MAX_PAGE_SIZE
from trailmark.records import json_safe
from trailmark.redact import redact
from trailmark.store.console import delete_lines
from trailmark.store.database import Database
from trailmark.store.dialect import insert_ignoring_conflicts
from trailmark.store.filters import run_filter, run_order
from trailmark.store.large_metadata import delete_large_metadata, merged_metadata
from trailmark.store.offsets import check_offset
from trailmark.store.schema import chunks, grants, projects, runs, series, writers
from trailmark.store.upserts import insert_new
from trailmark.store.views import project_view, run_view
from trailmark.validation import (
    check_project_name,
    check_run_fields,
    check_run_id,
)

RUN_FIELDS_UPDATABLE = (
    "name",
    "state",
    "tags",
    "notes",
    "config",
    "summary",
    "properties",
    "group",
    "job_type",
)


def ensure_project(conn: Connection, name: str) -> int:
    """The id of project ``name``, creating it if needed (safe under concurrent callers)."""
    check_project_name(name)
    found = conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()
    if found is not None:
        return int(found)
    now = time.time()
    insert_ignoring_conflicts(
        conn, projects, [{"name": name, "description": "", "created_at": now, "updated_at": now}]
    )
    return int(conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar_one())


def project_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()
    if found is None:
        raise NotFound(f"project {name!r} does not exist")
    return int(found)


def new_run_row(run_id: str, project: int, **fields: Any) -> dict[str, Any]:
    now = time.time()
    created = float(fields.get("created") or now)
    return {
        "id": run_id,
        "project_id": project,
        "name": fields.get("name") or run_id,
        "state": fields.get("state") or "running",
        "config": redact(json_safe(fields.get("config") or {})),
        "summary": json_safe(fields.get("summary") or {}),
        "tags": list(fields.get("tags") or []),
        "properties": redact(dict(fields.get("properties") or {})),
        "notes": fields.get("notes") or "",
        "group_name": fields.get("group"),
        "job_type": fields.get("job_type"),
        "host": fields.get("host"),
        "metadata": json_safe(fields.get("metadata") or {}),
        "created_at": created,
        "updated_at": now,
        "heartbeat_at": now,
    }


class RunStore:
    """Projects and runs in the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # projects

    def create_project(self, name: str, description: str = "") -> dict[str, Any]:
        check_project_name(name)
        now = time.time()
        row = {"name": name, "description": description, "created_at": now, "updated_at": now}
        with self.db.write() as conn:
            # one statement: of two callers creating one name at once, one creates it
            if not insert_new(conn, projects, row):
                raise Conflict(f"project {name!r} already exists")
        return self.get_project(name)

    def get_project(self, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(projects).where(projects.c.name == name)).first()
            if row is None:
                raise NotFound(f"project {name!r} does not exist")
            if row.deleted_at is not None:
                raise NotFound(f"project {name!r} is deleted; restore it to see it again")
            count, last = conn.execute(
                select(func.count(runs.c.id), func.max(runs.c.updated_at)).where(
                    runs.c.project_id == row.id, runs.c.deleted_at.is_(None)
                )
            ).one()
        return project_view(row, int(count), last)

    def list_projects(self, search: str | None = None) -> list[dict[str, Any]]:
        stats = (
            select(
                runs.c.project_id,
                func.count(runs.c.id).label("run_count"),
                func.max(runs.c.updated_at).label("last_activity"),
            )
            .where(runs.c.deleted_at.is_(None))
            .group_by(runs.c.project_id)
            .subquery()
        )
        query = (
            select(projects, stats.c.run_count, stats.c.last_activity)
            .outerjoin(stats, stats.c.project_id == projects.c.id)
            .where(projects.c.deleted_at.is_(None))
        )
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(projects.c.name.ilike(f"%{escaped}%", escape="\\"))
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        views = [project_view(r, int(r.run_count or 0), r.last_activity) for r in rows]
        views.sort(key=lambda v: v["last_activity"] or 0.0, reverse=True)
        return views

    def delete_project(self, name: str) -> None:
        with self.db.write() as conn:
            pid = project_id(conn, name)
            run_ids = select(runs.c.id).where(runs.c.project_id == pid)
            _delete_run_data(conn, run_ids)
            conn.execute(delete(runs).where(runs.c.project_id == pid))
            conn.execute(delete(projects).where(projects.c.id == pid))
            # its members' roles go with it (a new project may get the same id on SQLite)
            conn.execute(
                delete(grants).where(
                    grants.c.resource_kind == "project", grants.c.resource_id == pid
                )
            )

    def columns(self, name: str) -> dict[str, list[str]]:
        """Config paths (nested keys joined by "."), summary and property keys used in a project."""
        config: set[str] = set()
        summary: set[str] = set()
        properties: set[str] = set()
        with self.db.read() as conn:
            pid = project_id(conn, name)
            query = select(runs.c.config, runs.c.summary, runs.c.properties).where(
                runs.c.project_id == pid
            )
            for row in conn.execute(query):
                _config_paths(row.config, "", config)
                summary.update(row.summary)
                properties.update(row.properties)
        return {
            "config": sorted(config),
            "summary": sorted(summary),
            "properties": sorted(properties),
        }

    def run_ids_in(self, name: str, run_ids: list[str]) -> list[str]:
        """The subset of ``run_ids`` that belong to project ``name`` (404 if it does not exist)."""
        with self.db.read() as conn:
            pid = project_id(conn, name)
            found = set(
                conn.execute(
                    select(runs.c.id).where(runs.c.project_id == pid, runs.c.id.in_(run_ids))
                ).scalars()
            )
        return [r for r in run_ids if r in found]

    # runs

    def create_run(self, project: str, fields: dict[str, Any]) -> dict[str, Any]:
        run_id = check_run_id(fields.get("id") or new_run_id())
        check_run_fields(fields)
        with self.db.write() as conn:
            pid = ensure_project(conn, project)
            if not insert_new(conn, runs, new_run_row(run_id, pid, **fields)):
                raise Conflict(f"run {run_id!r} already exists")
        return self.get_run(project, run_id)

    def get_run(self, project: str | None, run_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(
                select(runs, projects.c.name.label("project_name"))
                .join(projects, projects.c.id == runs.c.project_id)
                .where(runs.c.id == run_id)
            ).first()
            large = merged_metadata(conn, run_id, row.metadata) if row is not None else None
        if row is None or (project is not None and row.project_name != project):
            where = f" in project {project!r}" if project else ""
            raise NotFound(f"run {run_id!r} does not exist{where}")
        return {**run_view(row, row.project_name), "metadata": large}

    def search_runs(
        self,
        project: str,
        filter: str | None = None,
        order: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of runs of ``project`` matching ``filter``, and the total match count."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        check_offset(offset)
        where = run_filter(filter, self.db.dialect)
        order_by = run_order(order, self.db.dialect)
        with self.db.read() as conn:
            pid = project_id(conn, project)
            live = (runs.c.project_id == pid) & runs.c.deleted_at.is_(None)
            query = select(runs).where(live)
            count_query = select(func.count()).select_from(runs).where(live)
            if where is not None:
                query = query.where(where)
                count_query = count_query.where(where)
            rows = conn.execute(query.order_by(*order_by).limit(limit).offset(offset)).all()
            total = int(conn.execute(count_query).scalar_one())
        return [run_view(r, project) for r in rows], total

    def update_run(
        self, project: str | None, run_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        unknown = set(changes) - set(RUN_FIELDS_UPDATABLE)
        if unknown:
            raise InvalidInput(
                f"cannot update {sorted(unknown)}; updatable fields: {', '.join(RUN_FIELDS_UPDATABLE)}"
            )
        check_run_fields(changes)
        values: dict[str, Any] = {"updated_at": time.time()}
        for field, value in changes.items():
            column = {"group": "group_name"}.get(field, field)
            values[column] = json_safe(value) if field in ("config", "summary") else value
            if field in ("config", "properties"):  # as the SDK does; not all clients use it
                values[column] = redact(values[column])
        if changes.get("state") in ("finished", "failed", "crashed", "killed"):
            values["ended_at"] = values["updated_at"]
        with self.db.write() as conn:
            self._require_run(conn, project, run_id)
            conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
        return self.get_run(project, run_id)

    def delete_run(self, project: str | None, run_id: str) -> None:
        with self.db.write() as conn:
            self._require_run(conn, project, run_id)
            _delete_run_data(conn, select(runs.c.id).where(runs.c.id == run_id))
            conn.execute(delete(runs).where(runs.c.id == run_id))

    def _require_run(self, conn: Connection, project: str | None, run_id: str) -> None:
        require_run(conn, run_id, project)


def require_run(conn: Connection, run_id: str, project: str | None = None) -> None:
    """NotFound unless the run exists (in ``project``, when given): one indexed lookup."""
    query = select(runs.c.id).where(runs.c.id == run_id)
    if project is not None:
        query = query.join(projects, projects.c.id == runs.c.project_id).where(
            projects.c.name == project
        )
    if conn.execute(query).scalar() is None:
        where = f" in project {project!r}" if project else ""
        raise NotFound(f"run {run_id!r} does not exist{where}")


def _config_paths(value: Any, prefix: str, out: set[str]) -> None:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _config_paths(inner, f"{prefix}.{key}" if prefix else key, out)
    elif prefix:
        out.add(prefix)


def _delete_run_data(conn: Connection, run_ids: Any) -> None:
    series_ids = select(series.c.id).where(series.c.run_id.in_(run_ids))
    conn.execute(delete(chunks).where(chunks.c.series_id.in_(series_ids)))
    conn.execute(delete(series).where(series.c.run_id.in_(run_ids)))
    conn.execute(delete(writers).where(writers.c.run_id.in_(run_ids)))
    delete_lines(conn, run_ids)
    delete_large_metadata(conn, run_ids)

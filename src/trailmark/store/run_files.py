"""Plain files a run saved (``run.save``, ``run.log_file``): stored as blobs, listed per run."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, func, select

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.manifest import Entry, check_digest, normalize_path
from trailmark.store.database import Database
from trailmark.store.manifests import check_page
from trailmark.store.runs import ensure_project, new_run_row, project_id
from trailmark.store.schema import runs
from trailmark.store.schema_artifacts import run_files
from trailmark.store.uploads import require_blobs
from trailmark.store.upserts import insert_new, upsert
from trailmark.validation import check_run_id

MAX_FILES_PER_REQUEST = 10_000


def ensure_run(conn: Connection, project: str, run_id: str) -> None:
    """Make sure run ``run_id`` exists in ``project``.

    Artifacts and files may arrive before the run's first ingest batch (they travel on
    another thread); a bare run row is created then, and ingest fills it in.
    """
    check_run_id(run_id)
    pid = ensure_project(conn, project)
    found = conn.execute(select(runs.c.project_id).where(runs.c.id == run_id)).first()
    if found is None and insert_new(conn, runs, new_run_row(run_id, pid)):
        return
    if found is None:  # the run's first batch (or another file) created it meanwhile
        found = conn.execute(select(runs.c.project_id).where(runs.c.id == run_id)).one()
    if found.project_id != pid:
        raise Conflict(f"run {run_id!r} belongs to another project, not {project!r}")


def require_run(conn: Connection, project: str, run_id: str) -> None:
    pid = project_id(conn, project)
    found = conn.execute(
        select(runs.c.id).where(runs.c.id == run_id, runs.c.project_id == pid)
    ).first()
    if found is None:
        raise NotFound(f"run {run_id!r} does not exist in project {project!r}")


def file_view(row: Any) -> dict[str, Any]:
    return {
        "path": row.path,
        "size": row.size,
        "digest": row.digest,
        "created": row.created_at,
        "updated": row.updated_at,
    }


class RunFileStore:
    """Files saved by runs, by path; saving a path again replaces it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, project: str, run_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach uploaded contents to a run as ``[{path, size, digest}]``."""
        if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES_PER_REQUEST:
            raise InvalidInput(f"send 1 to {MAX_FILES_PER_REQUEST} files {{path, size, digest}}")
        rows: dict[str, dict[str, Any]] = {}
        now = time.time()
        for item in files:
            entry = Entry.from_json({**item, "ref": None})
            rows[entry.path] = {
                "run_id": run_id,
                "path": entry.path,
                "size": entry.size,
                "digest": check_digest(entry.digest),
                "created_at": now,
                "updated_at": now,
            }
        with self.db.write() as conn:
            ensure_run(conn, project, run_id)
            require_blobs(conn, [r["digest"] for r in rows.values()])
            upsert(
                conn,
                run_files,
                list(rows.values()),
                ["run_id", "path"],
                ["size", "digest", "updated_at"],
            )
        return self.list_files(project, run_id, paths=list(rows))[0]

    def list_files(
        self,
        project: str,
        run_id: str,
        prefix: str | None = None,
        limit: int = 10_000,
        offset: int = 0,
        paths: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        check_page(limit, offset)
        where = [run_files.c.run_id == run_id]
        if prefix:
            clean = normalize_path(prefix)
            escaped = clean.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(
                (run_files.c.path == clean) | run_files.c.path.like(f"{escaped}/%", escape="\\")
            )
        if paths is not None:
            where.append(run_files.c.path.in_(paths))
        with self.db.read() as conn:
            require_run(conn, project, run_id)
            rows = conn.execute(
                select(run_files)
                .where(*where)
                .order_by(run_files.c.path)
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(
                select(func.count()).select_from(run_files).where(*where)
            ).scalar_one()
        return [file_view(r) for r in rows], int(total)

    def get(self, project: str, run_id: str, path: str) -> Entry:
        clean = normalize_path(path)
        with self.db.read() as conn:
            require_run(conn, project, run_id)
            row = conn.execute(
                select(run_files).where(run_files.c.run_id == run_id, run_files.c.path == clean)
            ).first()
        if row is None:
            raise NotFound(f"run {run_id!r} has no file {clean!r}")
        return Entry(row.path, row.size, row.digest)

    def delete(self, project: str, run_id: str, path: str) -> None:
        clean = normalize_path(path)
        with self.db.write() as conn:
            require_run(conn, project, run_id)
            result = conn.execute(
                delete(run_files).where(run_files.c.run_id == run_id, run_files.c.path == clean)
            )
        if not result.rowcount:
            raise NotFound(f"run {run_id!r} has no file {clean!r}")


def files_under(conn: Connection, run_id: str, path: str) -> list[Entry]:
    """The run's files at ``path`` or under ``path/``, named relative to it (for registering)."""
    clean = normalize_path(path)
    escaped = clean.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        select(run_files)
        .where(
            run_files.c.run_id == run_id,
            (run_files.c.path == clean) | run_files.c.path.like(f"{escaped}/%", escape="\\"),
        )
        .order_by(run_files.c.path)
    ).all()
    entries = []
    for row in rows:
        name = row.path.rsplit("/", 1)[-1] if row.path == clean else row.path[len(clean) + 1 :]
        entries.append(Entry(name, row.size, row.digest))
    return entries

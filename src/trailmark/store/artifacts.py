"""Artifacts: named collections of versions (v0, v1, ... per name in a project), with aliases.

A version is a manifest (see :mod:`trailmark.manifest`) whose stored files must already be
in the blob index. Logging the same files again as the newest version returns that
version (``created: false``) instead of making a copy. ``latest`` always names the newest
version; other aliases (``best``, ``prod``) name exactly one version each (the primary key
of ``artifact_aliases``) and move atomically.

Example::

    version, created = store.artifacts.create_version(
        "mnist", "train-data", type="dataset", entries=entries, run_id="a1b2c3d4",
        aliases=["best"],
    )
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from trailmark.errors import Conflict, NotFound
from trailmark.manifest import (
    Entry,
    check_alias,
    check_artifact_name,
    check_type,
    parse_version,
)
from trailmark.records import json_safe
from trailmark.store.artifact_views import artifact_view, version_views, versions_query
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.manifests import check_page, get_entry, list_entries, save_manifest
from trailmark.store.run_files import ensure_run, require_run
from trailmark.store.runs import ensure_project, project_id
from trailmark.store.schema_artifacts import (
    artifact_aliases,
    artifact_usage,
    artifact_versions,
    artifacts,
)
from trailmark.store.upserts import insert_id, insert_new, upsert
from trailmark.validation import check_json_object, check_notes

LATEST = "latest"


class ArtifactStore:
    """Artifacts, their versions, aliases and usage by runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # artifacts

    def _artifact(self, conn: Connection, project: str, name: str, lock: bool = False) -> Any:
        query = select(artifacts).where(
            artifacts.c.project_id == project_id(conn, project), artifacts.c.name == name
        )
        row = conn.execute(for_update(conn, query) if lock else query).first()
        if row is None:
            raise NotFound(f"artifact {name!r} does not exist in project {project!r}")
        return row

    def list_artifacts(self, project: str, type: str | None = None) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            query = select(artifacts).where(artifacts.c.project_id == project_id(conn, project))
            if type:
                query = query.where(artifacts.c.type == type)
            rows = conn.execute(query.order_by(artifacts.c.updated_at.desc())).all()
            return [self._artifact_view(conn, project, r) for r in rows]

    def _artifact_view(self, conn: Connection, project: str, row: Any) -> dict[str, Any]:
        count = conn.execute(
            select(func.count()).where(artifact_versions.c.artifact_id == row.id)
        ).scalar_one()
        latest_row = conn.execute(
            versions_query()
            .where(artifact_versions.c.artifact_id == row.id)
            .order_by(artifact_versions.c.version.desc())
            .limit(1)
        ).first()
        latest = version_views(conn, [latest_row])[0] if latest_row is not None else None
        return artifact_view(row, project, latest, int(count))

    def get_artifact(self, project: str, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return self._artifact_view(conn, project, self._artifact(conn, project, name))

    def update_artifact(self, project: str, name: str, description: str) -> dict[str, Any]:
        check_notes(description)
        with self.db.write() as conn:
            row = self._artifact(conn, project, name)
            conn.execute(
                update(artifacts)
                .where(artifacts.c.id == row.id)
                .values(description=description, updated_at=time.time())
            )
        return self.get_artifact(project, name)

    def delete_artifact(self, project: str, name: str) -> None:
        """Delete an artifact and its versions (registered model versions keep their files)."""
        with self.db.write() as conn:
            row = self._artifact(conn, project, name, lock=True)
            conn.execute(delete(artifacts).where(artifacts.c.id == row.id))

    # versions

    def create_version(
        self,
        project: str,
        name: str,
        *,
        type: str,
        entries: list[Entry],
        metadata: dict[str, Any] | None = None,
        description: str = "",
        run_id: str | None = None,
        aliases: list[str] | None = None,
        user: str = "anonymous",
    ) -> tuple[dict[str, Any], bool]:
        """Add a version (or return the newest one if its files are the same); move aliases."""
        check_artifact_name(name)
        check_type(type)
        check_notes(description)
        meta = json_safe(check_json_object("metadata", metadata or {}))
        wanted = [check_alias(a) for a in dict.fromkeys(aliases or [])]
        now = time.time()
        with self.db.write() as conn:
            pid = ensure_project(conn, project)
            if run_id is not None:
                ensure_run(conn, project, run_id)
            insert_new(
                conn,
                artifacts,
                {
                    "project_id": pid,
                    "name": name,
                    "type": type,
                    "description": "",
                    "created_at": now,
                    "updated_at": now,
                },
            )
            art = self._artifact(conn, project, name, lock=True)
            if art.type != type:
                raise Conflict(
                    f"artifact {name!r} in project {project!r} is of type {art.type!r}, not "
                    f"{type!r}; use another name or type={art.type!r}"
                )
            manifest = save_manifest(conn, entries)
            newest = conn.execute(
                select(artifact_versions)
                .where(artifact_versions.c.artifact_id == art.id)
                .order_by(artifact_versions.c.version.desc())
                .limit(1)
            ).first()
            created = newest is None or newest.digest != manifest.digest
            if created:
                number = 0 if newest is None else newest.version + 1
                version_id = insert_id(
                    conn,
                    artifact_versions.insert().values(
                        artifact_id=art.id,
                        version=number,
                        manifest_id=manifest.id,
                        digest=manifest.digest,
                        size=manifest.size,
                        file_count=manifest.file_count,
                        metadata=meta,
                        description=description,
                        run_id=run_id,
                        created_by=user,
                        created_at=now,
                    ),
                )
            else:
                assert newest is not None
                version_id = newest.id
            for alias in [LATEST, *wanted]:
                _move_alias(conn, art.id, alias, version_id)
            conn.execute(update(artifacts).where(artifacts.c.id == art.id).values(updated_at=now))
            view = self._version_by_id(conn, version_id)
        return view, created

    def _version_by_id(self, conn: Connection, version_id: int) -> dict[str, Any]:
        row = conn.execute(versions_query().where(artifact_versions.c.id == version_id)).one()
        return version_views(conn, [row])[0]

    def _version_row(self, conn: Connection, project: str, name: str, ref: str) -> Any:
        art = self._artifact(conn, project, name)
        number = parse_version(ref)
        if number is not None:
            where = artifact_versions.c.version == number
        else:
            alias_target = (
                select(artifact_aliases.c.version_id)
                .where(artifact_aliases.c.artifact_id == art.id, artifact_aliases.c.alias == ref)
                .scalar_subquery()
            )
            where = artifact_versions.c.id == alias_target
        row = conn.execute(
            versions_query().where(artifact_versions.c.artifact_id == art.id, where)
        ).first()
        if row is None:
            raise NotFound(f"artifact {name!r} in project {project!r} has no version {ref!r}")
        return row

    def get_version(self, project: str, name: str, ref: str) -> dict[str, Any]:
        """A version by number (``v3`` or ``3``) or alias (``latest``, ``best``)."""
        with self.db.read() as conn:
            return version_views(conn, [self._version_row(conn, project, name, ref)])[0]

    def list_versions(
        self, project: str, name: str, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Versions, newest first, and how many there are."""
        check_page(limit, offset)
        with self.db.read() as conn:
            art = self._artifact(conn, project, name)
            rows = conn.execute(
                versions_query()
                .where(artifact_versions.c.artifact_id == art.id)
                .order_by(artifact_versions.c.version.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(
                select(func.count()).where(artifact_versions.c.artifact_id == art.id)
            ).scalar_one()
            return version_views(conn, list(rows)), int(total)

    def files(
        self,
        project: str,
        name: str,
        ref: str,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Entry], int]:
        """The version's manifest entries (all, or one page), sorted by path."""
        if limit is not None:
            check_page(limit, offset, most=100_000)
        with self.db.read() as conn:
            row = self._version_row(conn, project, name, ref)
            return list_entries(conn, row.manifest_id, prefix, limit, offset)

    def file(self, project: str, name: str, ref: str, path: str) -> Entry:
        with self.db.read() as conn:
            row = self._version_row(conn, project, name, ref)
            return get_entry(conn, row.manifest_id, path, f"{name}:v{row.version}")

    def update_version(
        self,
        project: str,
        name: str,
        ref: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = check_notes(description)
        if metadata is not None:
            values["metadata"] = json_safe(check_json_object("metadata", metadata))
        with self.db.write() as conn:
            row = self._version_row(conn, project, name, ref)
            if values:
                conn.execute(
                    update(artifact_versions)
                    .where(artifact_versions.c.id == row.id)
                    .values(**values)
                )
            return self._version_by_id(conn, row.id)

    def delete_version(self, project: str, name: str, ref: str) -> None:
        """Delete a version; ``latest`` moves back to the newest one left."""
        with self.db.write() as conn:
            art = self._artifact(conn, project, name, lock=True)
            row = self._version_row(conn, project, name, ref)
            conn.execute(delete(artifact_versions).where(artifact_versions.c.id == row.id))
            newest = conn.execute(
                select(artifact_versions.c.id)
                .where(artifact_versions.c.artifact_id == art.id)
                .order_by(artifact_versions.c.version.desc())
                .limit(1)
            ).scalar()
            if newest is not None:
                _move_alias(conn, art.id, LATEST, int(newest))

    # aliases

    def set_alias(self, project: str, name: str, ref: str, alias: str) -> dict[str, Any]:
        """Point ``alias`` at version ``ref`` (moving it from wherever it was)."""
        check_alias(alias)
        with self.db.write() as conn:
            art = self._artifact(conn, project, name, lock=True)
            row = self._version_row(conn, project, name, ref)
            _move_alias(conn, art.id, alias, row.id)
            return self._version_by_id(conn, row.id)

    def delete_alias(self, project: str, name: str, alias: str) -> None:
        with self.db.write() as conn:
            art = self._artifact(conn, project, name, lock=True)
            result = conn.execute(
                delete(artifact_aliases).where(
                    artifact_aliases.c.artifact_id == art.id, artifact_aliases.c.alias == alias
                )
            )
        if not result.rowcount:
            raise NotFound(f"artifact {name!r} has no alias {alias!r}")

    # lineage edges

    def use(self, project: str, name: str, ref: str, run_id: str) -> dict[str, Any]:
        """Record that run ``run_id`` used the version ``ref`` names; return that version."""
        with self.db.write() as conn:
            ensure_run(conn, project, run_id)
            row = self._version_row(conn, project, name, ref)
            insert_new(
                conn,
                artifact_usage,
                {"run_id": run_id, "version_id": row.id, "created_at": time.time()},
            )
            return self._version_by_id(conn, row.id)

    def run_artifacts(self, project: str, run_id: str) -> dict[str, list[dict[str, Any]]]:
        """The versions a run produced and the versions it used."""
        with self.db.read() as conn:
            require_run(conn, project, run_id)
            produced = conn.execute(
                versions_query()
                .where(artifact_versions.c.run_id == run_id)
                .order_by(artifact_versions.c.created_at)
            ).all()
            used = conn.execute(
                versions_query()
                .join(artifact_usage, artifact_usage.c.version_id == artifact_versions.c.id)
                .where(artifact_usage.c.run_id == run_id)
                .order_by(artifact_usage.c.created_at)
            ).all()
            return {
                "produced": version_views(conn, list(produced)),
                "used": version_views(conn, list(used)),
            }

    def users(self, project: str, name: str, ref: str) -> list[str]:
        """Ids of the runs that used a version."""
        with self.db.read() as conn:
            row = self._version_row(conn, project, name, ref)
            return list(
                conn.execute(
                    select(artifact_usage.c.run_id)
                    .where(artifact_usage.c.version_id == row.id)
                    .order_by(artifact_usage.c.created_at)
                ).scalars()
            )


def _move_alias(conn: Connection, artifact_id: int, alias: str, version_id: int) -> None:
    upsert(
        conn,
        artifact_aliases,
        {
            "artifact_id": artifact_id,
            "alias": alias,
            "version_id": version_id,
            "updated_at": time.time(),
        },
        ["artifact_id", "alias"],
        ["version_id", "updated_at"],
    )

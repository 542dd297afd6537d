"""Artifact rows turned into the JSON objects the REST API and the SDK use.

The shapes are :mod:`trailmark.views.artifacts`' ``ArtifactVersion`` and ``Artifact`` (plain
dicts here, as in :mod:`trailmark.store.views`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Select, func, select

from trailmark.store.schema import projects
from trailmark.store.schema_artifacts import (
    artifact_aliases,
    artifact_usage,
    artifact_versions,
    artifacts,
)


def versions_query() -> Select[Any]:
    """Versions joined with their artifact and project (the columns every view needs)."""
    return (
        select(
            artifact_versions,
            artifacts.c.name.label("artifact_name"),
            artifacts.c.type.label("artifact_type"),
            projects.c.name.label("project_name"),
        )
        .join(artifacts, artifacts.c.id == artifact_versions.c.artifact_id)
        .join(projects, projects.c.id == artifacts.c.project_id)
    )


def aliases_of(conn: Connection, version_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if version_ids:
        rows = conn.execute(
            select(artifact_aliases.c.version_id, artifact_aliases.c.alias)
            .where(artifact_aliases.c.version_id.in_(version_ids))
            .order_by(artifact_aliases.c.alias)
        )
        for version_id, alias in rows:
            found[version_id].append(alias)
    return found


def usage_counts(conn: Connection, version_ids: list[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    rows = conn.execute(
        select(artifact_usage.c.version_id, func.count())
        .where(artifact_usage.c.version_id.in_(version_ids))
        .group_by(artifact_usage.c.version_id)
    )
    return {int(v): int(n) for v, n in rows}


def version_view(row: Any, aliases: list[str], used_by: int = 0) -> dict[str, Any]:
    return {
        "project": row.project_name,
        "artifact": row.artifact_name,
        "type": row.artifact_type,
        "version": row.version,
        "ref": f"{row.artifact_name}:v{row.version}",
        "digest": row.digest,
        "size": row.size,
        "file_count": row.file_count,
        "metadata": row.metadata,
        "description": row.description,
        "aliases": aliases,
        "run": row.run_id,
        "used_by": used_by,
        "created": row.created_at,
        "created_by": row.created_by,
    }


def version_views(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    aliases = aliases_of(conn, ids)
    used = usage_counts(conn, ids)
    return [version_view(r, aliases.get(r.id, []), used.get(r.id, 0)) for r in rows]


def artifact_view(
    row: Any, project: str, latest: dict[str, Any] | None, count: int
) -> dict[str, Any]:
    return {
        "project": project,
        "name": row.name,
        "type": row.type,
        "description": row.description,
        "version_count": count,
        "latest": latest,
        "created": row.created_at,
        "updated": row.updated_at,
    }

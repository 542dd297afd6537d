"""Registry rows turned into JSON objects, and the checks on registry input.

The shapes are :mod:`trailmark.views.registry`'s ``Model``, ``ModelVersion`` and
``ModelEvent`` (plain dicts here, as in :mod:`trailmark.store.views`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Select, select

from trailmark.errors import InvalidInput
from trailmark.store.schema import projects
from trailmark.store.schema_artifacts import (
    artifact_versions,
    artifacts,
    model_aliases,
    model_versions,
    registered_models,
)
from trailmark.validation import check_json_object

STAGES = ("None", "Staging", "Production", "Archived")
MAX_TAG_VALUE = 5000


def check_stage(value: Any) -> str:
    """A stage name, any case: None, Staging, Production or Archived."""
    if isinstance(value, str):
        for stage in STAGES:
            if stage.lower() == value.lower():
                return stage
    raise InvalidInput(f"stage must be one of {', '.join(STAGES)}, got {str(value)[:40]!r}")


def check_model_tags(tags: Any) -> dict[str, str]:
    """Key-value tags: string keys and string values (MLflow's model tags)."""
    check_json_object("tags", tags)
    for key, value in tags.items():
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
            raise InvalidInput(
                f"tag {key!r} must have a string value of at most {MAX_TAG_VALUE} characters"
            )
    return dict(tags)


def versions_query() -> Select[Any]:
    """Model versions with their model's name and their source artifact (if any)."""
    return (
        select(
            model_versions,
            registered_models.c.name.label("model_name"),
            artifacts.c.name.label("artifact_name"),
            artifact_versions.c.version.label("artifact_version"),
            projects.c.name.label("artifact_project"),
        )
        .join(registered_models, registered_models.c.id == model_versions.c.model_id)
        .outerjoin(
            artifact_versions, artifact_versions.c.id == model_versions.c.artifact_version_id
        )
        .outerjoin(artifacts, artifacts.c.id == artifact_versions.c.artifact_id)
        .outerjoin(projects, projects.c.id == artifacts.c.project_id)
    )


def aliases_by_version(conn: Connection, version_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if version_ids:
        rows = conn.execute(
            select(model_aliases.c.version_id, model_aliases.c.alias)
            .where(model_aliases.c.version_id.in_(version_ids))
            .order_by(model_aliases.c.alias)
        )
        for version_id, alias in rows:
            found[version_id].append(alias)
    return found


def version_view(row: Any, aliases: list[str]) -> dict[str, Any]:
    artifact = None
    if row.artifact_name is not None:
        artifact = {
            "project": row.artifact_project,
            "name": row.artifact_name,
            "version": row.artifact_version,
            "ref": f"{row.artifact_project}/{row.artifact_name}:v{row.artifact_version}",
        }
    return {
        "model": row.model_name,
        "version": row.version,
        "stage": row.stage,
        "description": row.description,
        "tags": row.tags,
        "aliases": aliases,
        "digest": row.digest,
        "size": row.size,
        "file_count": row.file_count,
        "source": row.source,
        "source_project": row.source_project,
        "source_run": row.source_run_id,
        "artifact": artifact,
        "created": row.created_at,
        "created_by": row.created_by,
        "updated": row.updated_at,
    }


def version_views(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    aliases = aliases_by_version(conn, [r.id for r in rows])
    return [version_view(r, aliases.get(r.id, [])) for r in rows]


def model_view(conn: Connection, row: Any) -> dict[str, Any]:
    versions = conn.execute(
        select(model_versions.c.id, model_versions.c.version, model_versions.c.stage)
        .where(model_versions.c.model_id == row.id)
        .order_by(model_versions.c.version)
    ).all()
    number_of = {v.id: v.version for v in versions}
    aliases = {
        alias: number_of[version_id]
        for alias, version_id in conn.execute(
            select(model_aliases.c.alias, model_aliases.c.version_id)
            .where(model_aliases.c.model_id == row.id)
            .order_by(model_aliases.c.alias)
        )
    }
    stages: dict[str, list[int]] = {}
    for v in versions:
        if v.stage != "None":
            stages.setdefault(v.stage, []).append(v.version)
    return {
        "name": row.name,
        "description": row.description,
        "tags": row.tags,
        "aliases": aliases,
        "version_count": len(versions),
        "latest_version": versions[-1].version if versions else None,
        "stages": stages,
        "created": row.created_at,
        "created_by": row.created_by,
        "updated": row.updated_at,
    }


def event_view(row: Any, model: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "model": model,
        "version": row.version,
        "kind": row.kind,
        "data": row.data,
        "user": row.user_name,
        "created": row.created_at,
    }

"""Where a model version's files come from: a run's saved files or an artifact version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from trailmark.errors import InvalidInput, NotFound
from trailmark.manifest import check_artifact_name, parse_version
from trailmark.store.artifact_views import versions_query as artifact_versions_query
from trailmark.store.manifests import save_manifest
from trailmark.store.run_files import files_under
from trailmark.store.runs import project_id
from trailmark.store.schema import projects, runs
from trailmark.store.schema_artifacts import (
    artifact_aliases,
    artifact_versions,
    artifacts,
    manifests,
)

LATEST = "latest"


def resolve_source(conn: Connection, source: str, project: str | None) -> dict[str, Any]:
    """Manifest and lineage of a version source: ``runs/RUN/PATH`` or ``artifact:[P/]NAME[:REF]``."""
    if not isinstance(source, str) or len(source) > 1024:
        raise InvalidInput("source must be 'runs/RUN_ID/PATH' or 'artifact:[PROJECT/]NAME[:REF]'")
    if source.startswith(("runs/", "runs:/")):
        rest = source.split("/", 1)[1].lstrip("/")
        run_id, _, path = rest.partition("/")
        if not run_id or not path:
            raise InvalidInput(f"source {source!r} should look like runs/RUN_ID/PATH")
        return _from_run(conn, source, run_id, path)
    if source.startswith("artifact:"):
        return _from_artifact(conn, source, source[len("artifact:") :], project)
    raise InvalidInput(
        f"source {source[:100]!r} is not understood: use 'runs/RUN_ID/PATH' (files the run saved) "
        "or 'artifact:[PROJECT/]NAME[:VERSION]'"
    )


def unresolved_origin(conn: Connection, source: str, run_id: str | None) -> dict[str, Any]:
    """A version of files Trailmark does not hold (MLflow's ``s3://...``, a run of another
    server): the source and run id are kept as given, as text; the version has no files."""
    if not isinstance(source, str) or not source or len(source) > 1024:
        raise InvalidInput("source must be a URI of 1 to 1024 characters")
    if run_id is not None and (not isinstance(run_id, str) or len(run_id) > 64):
        raise InvalidInput("run_id must be text of at most 64 characters")
    return _origin(source, save_manifest(conn, []), None, run_id or None, None)


def _from_run(conn: Connection, source: str, run_id: str, path: str) -> dict[str, Any]:
    run = conn.execute(
        select(runs.c.id, projects.c.name.label("project"))
        .join(projects, projects.c.id == runs.c.project_id)
        .where(runs.c.id == run_id)
    ).first()
    if run is None:
        raise NotFound(f"run {run_id!r} does not exist")
    entries = files_under(conn, run_id, path)
    if entries:
        manifest = save_manifest(conn, entries)
        return _origin(source, manifest, run.project, run_id, None)
    produced = conn.execute(
        artifact_versions_query()
        .where(artifact_versions.c.run_id == run_id, artifacts.c.name == path.strip("/"))
        .order_by(artifact_versions.c.version.desc())
        .limit(1)
    ).first()
    if produced is None:
        raise NotFound(
            f"run {run_id!r} saved no file under {path!r} and produced no artifact of that name; "
            "save it first with run.save(...) or run.log_artifact(...)"
        )
    manifest = conn.execute(select(manifests).where(manifests.c.id == produced.manifest_id)).one()
    return _origin(source, manifest, run.project, run_id, produced.id)


def _from_artifact(
    conn: Connection, source: str, text: str, default_project: str | None
) -> dict[str, Any]:
    project, _, rest = text.rpartition("/")
    project = project or default_project or ""
    if not project:
        raise InvalidInput(
            f"source {source!r} names no project: use artifact:PROJECT/NAME:VERSION or pass project"
        )
    name, _, ref = rest.partition(":")
    check_artifact_name(name)
    ref = ref or LATEST
    pid = project_id(conn, project)
    art = conn.execute(
        select(artifacts.c.id).where(artifacts.c.project_id == pid, artifacts.c.name == name)
    ).first()
    if art is None:
        raise NotFound(f"artifact {name!r} does not exist in project {project!r}")
    number = parse_version(ref)
    where = (
        artifact_versions.c.version == number
        if number is not None
        else artifact_versions.c.id
        == select(artifact_aliases.c.version_id)
        .where(artifact_aliases.c.artifact_id == art.id, artifact_aliases.c.alias == ref)
        .scalar_subquery()
    )
    version = conn.execute(
        select(artifact_versions).where(artifact_versions.c.artifact_id == art.id, where)
    ).first()
    if version is None:
        raise NotFound(f"artifact {name!r} in project {project!r} has no version {ref!r}")
    manifest = conn.execute(select(manifests).where(manifests.c.id == version.manifest_id)).one()
    return _origin(source, manifest, project, version.run_id, version.id)


def _origin(
    source: str,
    manifest: Any,
    project: str | None,
    run_id: str | None,
    artifact_version_id: int | None,
) -> dict[str, Any]:
    return {
        "manifest_id": manifest.id,
        "digest": manifest.digest,
        "size": manifest.size,
        "file_count": manifest.file_count,
        "source": source,
        "source_project": project,
        "source_run_id": run_id,
        "artifact_version_id": artifact_version_id,
    }

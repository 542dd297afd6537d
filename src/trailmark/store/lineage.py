"""Lineage: the graph of runs, artifact versions and model versions, N hops around a node.

Edges point the way data flows:

- ``run → artifact`` (*produced*: the run logged the version)
- ``artifact → run`` (*used*: the run used the version)
- ``artifact → model`` (*registered*: the model version was made from the artifact version)
- ``run → model`` (*registered*: the model version was made from the run's saved files)

Node ids name things the way people do: ``run:a1b2c3d4``, ``artifact:mnist/train-data:v3``,
``model:fraud-detector:v2`` (aliases work too: ``artifact:mnist/train-data:latest``,
``model:fraud-detector@champion``).

Example::

    graph = store.lineage.graph("model:fraud-detector@champion", direction="upstream", hops=4)
    # {"nodes": [...], "edges": [{"source": "run:...", "target": "artifact:...", "kind": ...}]}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from trailmark.errors import InvalidInput, NotFound
from trailmark.manifest import parse_artifact_ref
from trailmark.store import artifact_views, model_views
from trailmark.store.artifacts import ArtifactStore
from trailmark.store.database import Database
from trailmark.store.registry import ModelRegistry
from trailmark.store.schema import projects, runs
from trailmark.store.schema_artifacts import artifact_usage, artifact_versions, model_versions

DIRECTIONS = ("upstream", "downstream", "both")
MAX_HOPS = 10
MAX_NODES = 2000

Node = tuple[str, Any]  # ("run", run_id) | ("artifact", version_id) | ("model", version_id)
Edge = tuple[Node, Node, str]


class LineageStore:
    """Lineage queries over runs, artifacts and the registry."""

    def __init__(self, db: Database, artifacts: ArtifactStore, registry: ModelRegistry) -> None:
        self.db = db
        self.artifacts = artifacts
        self.registry = registry

    def graph(self, node: str, direction: str = "both", hops: int = 3) -> dict[str, Any]:
        """Nodes and edges within ``hops`` of ``node``, following edges ``direction``."""
        if direction not in DIRECTIONS:
            raise InvalidInput(
                f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}"
            )
        if not 1 <= hops <= MAX_HOPS:
            raise InvalidInput(f"hops must be between 1 and {MAX_HOPS}, got {hops}")
        start = self._resolve(node)
        down = direction in ("downstream", "both")
        up = direction in ("upstream", "both")
        seen: set[Node] = {start}
        edges: set[Edge] = set()
        frontier = {start}
        truncated = False
        with self.db.read() as conn:
            for _ in range(hops):
                if not frontier:
                    break
                found = _neighbours(conn, frontier, down, up)
                edges.update(found)
                fresh = {n for e in found for n in e[:2]} - seen
                if len(seen) + len(fresh) > MAX_NODES:
                    truncated = True
                    fresh = set(sorted(fresh, key=str)[: MAX_NODES - len(seen)])
                seen |= fresh
                frontier = fresh
            names = _describe(conn, seen)
        return {
            "root": names[start]["id"],
            "direction": direction,
            "hops": hops,
            "nodes": sorted(names.values(), key=lambda n: (n["kind"], n["id"])),
            "edges": sorted(
                (
                    {"source": names[a]["id"], "target": names[b]["id"], "kind": kind}
                    for a, b, kind in edges
                    if a in names and b in names
                ),
                key=lambda e: (e["source"], e["target"]),
            ),
            "truncated": truncated,
        }

    def _resolve(self, node: str) -> Node:
        kind, _, rest = node.partition(":")
        if kind == "run" and rest:
            with self.db.read() as conn:
                if conn.execute(select(runs.c.id).where(runs.c.id == rest)).first() is None:
                    raise NotFound(f"run {rest!r} does not exist")
            return ("run", rest)
        if kind == "artifact" and rest:
            project, name, ref = parse_artifact_ref(rest)
            if project is None:
                raise InvalidInput("name the artifact as artifact:PROJECT/NAME:VERSION")
            with self.db.read() as conn:
                row = self.artifacts._version_row(conn, project, name, ref)
            return ("artifact", row.id)
        if kind == "model" and rest:
            name, sep, ref = rest.partition("@")
            if not sep:
                name, _, ref = rest.partition(":")
            with self.db.read() as conn:
                model = self.registry._model(conn, name)
                row = self.registry._version_row(conn, model, ref or "latest")
            return ("model", row.id)
        raise InvalidInput(
            f"node {node[:100]!r} is not understood: use run:RUN_ID, "
            "artifact:PROJECT/NAME:VERSION or model:NAME:VERSION (or model:NAME@ALIAS)"
        )


def _ids(nodes: Iterable[Node], kind: str) -> list[Any]:
    return [key for k, key in nodes if k == kind]


def _neighbours(conn: Connection, frontier: set[Node], down: bool, up: bool) -> set[Edge]:
    run_ids, art_ids, model_ids = (_ids(frontier, k) for k in ("run", "artifact", "model"))
    edges: set[Edge] = set()
    av, au, mv = artifact_versions.c, artifact_usage.c, model_versions.c
    if run_ids:
        if down:
            for vid, rid in conn.execute(select(av.id, av.run_id).where(av.run_id.in_(run_ids))):
                edges.add((("run", rid), ("artifact", vid), "produced"))
            query = select(mv.id, mv.source_run_id).where(
                mv.source_run_id.in_(run_ids), mv.artifact_version_id.is_(None)
            )
            for mid, rid in conn.execute(query):
                edges.add((("run", rid), ("model", mid), "registered"))
        if up:
            for vid, rid in conn.execute(
                select(au.version_id, au.run_id).where(au.run_id.in_(run_ids))
            ):
                edges.add((("artifact", vid), ("run", rid), "used"))
    if art_ids:
        if down:
            for vid, rid in conn.execute(
                select(au.version_id, au.run_id).where(au.version_id.in_(art_ids))
            ):
                edges.add((("artifact", vid), ("run", rid), "used"))
            query = select(mv.id, mv.artifact_version_id).where(mv.artifact_version_id.in_(art_ids))
            for mid, vid in conn.execute(query):
                edges.add((("artifact", vid), ("model", mid), "registered"))
        if up:
            query = select(av.id, av.run_id).where(av.id.in_(art_ids), av.run_id.is_not(None))
            for vid, rid in conn.execute(query):
                edges.add((("run", rid), ("artifact", vid), "produced"))
    if model_ids and up:
        query = select(mv.id, mv.artifact_version_id, mv.source_run_id).where(mv.id.in_(model_ids))
        for mid, vid, rid in conn.execute(query):
            if vid is not None:
                edges.add((("artifact", vid), ("model", mid), "registered"))
            elif rid is not None:
                edges.add((("run", rid), ("model", mid), "registered"))
    return edges


def _describe(conn: Connection, nodes: set[Node]) -> dict[Node, dict[str, Any]]:
    out: dict[Node, dict[str, Any]] = {}
    run_ids = _ids(nodes, "run")
    if run_ids:
        query = (
            select(runs.c.id, runs.c.name, runs.c.state, projects.c.name.label("project"))
            .join(projects, projects.c.id == runs.c.project_id)
            .where(runs.c.id.in_(run_ids))
        )
        found = {r.id: r for r in conn.execute(query)}
        for rid in run_ids:
            row = found.get(rid)
            out[("run", rid)] = {
                "id": f"run:{rid}",
                "kind": "run",
                "label": row.name if row else rid,
                "project": row.project if row else None,
                "state": row.state if row else "deleted",
            }
    art_ids = _ids(nodes, "artifact")
    if art_ids:
        rows = conn.execute(
            artifact_views.versions_query().where(artifact_versions.c.id.in_(art_ids))
        ).all()
        for view, row in zip(artifact_views.version_views(conn, list(rows)), rows, strict=True):
            out[("artifact", row.id)] = {
                "id": f"artifact:{view['project']}/{view['ref']}",
                "kind": "artifact",
                "label": view["ref"],
                **view,
            }
    model_ids = _ids(nodes, "model")
    if model_ids:
        rows = conn.execute(
            model_views.versions_query().where(model_versions.c.id.in_(model_ids))
        ).all()
        for view, row in zip(model_views.version_views(conn, list(rows)), rows, strict=True):
            out[("model", row.id)] = {
                "id": f"model:{view['model']}:v{view['version']}",
                "kind": "model",
                "label": f"{view['model']} v{view['version']}",
                **view,
            }
    return out

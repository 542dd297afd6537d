"""/api/v1/lineage: the graph of runs, artifact versions and model versions around a node."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from trailmark.errors import NotFound
from trailmark.server.access.readable import may_read, readable_models, readable_projects
from trailmark.server.deps import get_store
from trailmark.store.lineage import MAX_HOPS
from trailmark.store.store import Store
from trailmark.views.lineage import LineageGraph

router = APIRouter(prefix="/api/v1", tags=["lineage"])


@router.get("/lineage", response_model=LineageGraph)
def lineage(
    node: str = Query(
        max_length=600,
        description="run:RUN_ID, artifact:PROJECT/NAME:VERSION or model:NAME:VERSION (model:NAME@ALIAS)",
    ),
    direction: str = Query(default="both", description="upstream, downstream or both"),
    hops: int = Query(default=3, ge=1, le=MAX_HOPS),
    store: Store = Depends(get_store),
    projects: set[str] | None = Depends(readable_projects),
    models: set[str] | None = Depends(readable_models),
) -> dict[str, Any]:
    """Nodes and edges (produced, used, registered) within ``hops`` of ``node``.

    Only the projects and models the caller may read: a root it may not read is not found,
    and other such nodes are left out with their edges."""
    graph = store.lineage.graph(node, direction, hops)
    if projects is None and models is None:
        return graph
    return readable_part(graph, node, projects, models)


def readable_part(
    graph: dict[str, Any], node: str, projects: set[str] | None, models: set[str] | None
) -> dict[str, Any]:
    """The graph without the nodes the caller may not read and the edges that touch them;
    an unreadable root is not found, as if it did not exist."""

    def visible(item: dict[str, Any]) -> bool:
        if item["kind"] == "model":
            return may_read(models, item.get("model"))
        return may_read(projects, item.get("project"))

    kept = [item for item in graph["nodes"] if visible(item)]
    ids = {item["id"] for item in kept}
    if graph["root"] not in ids:
        raise NotFound(_unknown(node))
    edges = [e for e in graph["edges"] if e["source"] in ids and e["target"] in ids]
    return {**graph, "nodes": kept, "edges": edges}


def _unknown(node: str) -> str:
    """What the store answers for a node that does not exist (a denial reads the same)."""
    kind, _, rest = node.partition(":")
    if kind == "model":
        name = rest.partition("@")[0] if "@" in rest else rest.partition(":")[0]
        return f"Registered Model with name={name} not found"
    if kind == "artifact":
        return f"project {rest.partition('/')[0]!r} does not exist"
    return f"run {rest!r} does not exist"

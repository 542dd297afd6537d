"""/api/v1/lineage: the graph of runs, artifact versions and model versions around a node."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

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
) -> dict[str, Any]:
    """Nodes and edges (produced, used, registered) within ``hops`` of ``node``."""
    return store.lineage.graph(node, direction, hops)

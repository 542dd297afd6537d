"""Console output of a run: pages of lines, the tail, a stream, a rank, a search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from trailmark.limits import MAX_PAGE_SIZE
from trailmark.server.deps import get_store
from trailmark.server.downloads import stored_bytes
from trailmark.server.responses import JSON
from trailmark.store.store import Store
from trailmark.views.logs import LogPage

router = APIRouter(prefix="/api/v1/projects/{project}/runs/{run_id}", tags=["logs"])

LINE_BOUND = 2**62

TEXT_PAGE = 5000
"""Lines read at a time while the plain-text download streams (each page its own read)."""


@router.get("/logs", response_model=LogPage)
def logs(
    project: str,
    run_id: str,
    after: int | None = Query(
        default=None, ge=0, le=LINE_BOUND, description="Only lines numbered above this."
    ),
    before: int | None = Query(
        default=None, ge=0, le=LINE_BOUND, description="Only lines numbered below this."
    ),
    limit: int = Query(default=1000, ge=1, le=MAX_PAGE_SIZE),
    search: str | None = Query(
        default=None, max_length=1000, description="Case-insensitive substring."
    ),
    stream: Literal["stdout", "stderr"] | None = Query(default=None),
    rank: int | None = Query(
        default=None, ge=0, description="One process of a distributed run (0: the main one)."
    ),
    tail: bool = Query(default=False, description="The last `limit` matching lines instead."),
    store: Store = Depends(get_store),
) -> JSON:
    """Console lines ``{"lines": [{"n", "time", "stream", "rank", "text"}], "next"}``, in order.

    ``next`` is the ``after`` of the following page when more lines match now, else null.
    To follow a live run, poll with ``after`` set to the last line's ``n``; ``tail=true``
    starts from the end, ``before`` pages back from there."""
    store.runs.get_run(project, run_id)
    return JSON(
        store.console.lines(
            run_id,
            after=after,
            before=before,
            limit=limit,
            search=search,
            stream=stream,
            rank=rank,
            tail=tail,
        )
    )


@router.get("/logs.txt", response_class=StreamingResponse)
def logs_text(
    project: str,
    run_id: str,
    stream: Literal["stdout", "stderr"] | None = Query(default=None),
    rank: int | None = Query(
        default=None, ge=0, description="One process of a distributed run (0: the main one)."
    ),
    store: Store = Depends(get_store),
) -> Response:
    """The whole console output as a plain-text file, a line per line, in order (for
    ``curl``, ``grep`` and the dashboard's Download button); streamed, however long.
    ``stream`` and ``rank`` keep only those lines."""
    store.runs.get_run(project, run_id)  # a missing run is a 404 before anything streams

    def text() -> Iterator[bytes]:
        after: int | None = None
        while True:
            page = store.console.lines(
                run_id, after=after, limit=TEXT_PAGE, stream=stream, rank=rank
            )
            if page["lines"]:
                yield "".join(line["text"] + "\n" for line in page["lines"]).encode()
            if page["next"] is None:
                return
            after = page["next"]

    return stored_bytes(text(), f"{run_id}-console.txt", media_type="text/plain; charset=utf-8")

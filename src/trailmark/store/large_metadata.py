"""Bulky run metadata (an uncommitted diff, the package list) kept in ``run_metadata`` rather
than in the runs row: every ingest batch rewrites that row, and run lists return it.

One run's view has these entries merged back at their dotted path
(``"git.diff"`` → ``metadata["git"]["diff"]``); run lists leave them out.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Connection, delete, select

from trailmark.store.schema import run_metadata


def merged_metadata(conn: Connection, run_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` with the run's bulky entries placed at their paths."""
    rows = conn.execute(
        select(run_metadata.c.path, run_metadata.c.value)
        .where(run_metadata.c.run_id == run_id)
        .order_by(run_metadata.c.path)
    ).all()
    if not rows:
        return metadata
    merged = copy.deepcopy(metadata)
    for row in rows:
        *parents, leaf = row.path.split(".")
        target = merged
        for part in parents:
            inner = target.get(part)
            if not isinstance(inner, dict):
                inner = target[part] = {}
            target = inner
        target[leaf] = row.value
    return merged


def delete_large_metadata(conn: Connection, run_ids: Any) -> None:
    conn.execute(delete(run_metadata).where(run_metadata.c.run_id.in_(run_ids)))

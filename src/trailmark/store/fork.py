"""Forking: a new run starts with a copy of its parent's series up to a step.

Applied by ingest, in the transaction that applies the new run's ``run`` record (see
:mod:`trailmark.sdk.fork`). Points are copied, not shared, so either run can be deleted
alone. System series are not copied: they describe the parent's machine and time. The
new run's ``metadata.fork`` names the parent, its project and the step; when the parent
does not exist, it says so in ``metadata.fork.error`` and nothing is copied (the new run
itself is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.store.metrics import chunk_rows, ensure_series, read_points, update_series
from trailmark.store.schema import chunks, projects, runs, series
from trailmark.store.series_stats import merge_stats, summary_value
from trailmark.validation import check_project_name, check_run_id


def check_fork_from(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: fork_from must be an object with run and step")
    try:
        check_run_id(value.get("run"))
        if value.get("project") is not None:
            check_project_name(value["project"])
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: fork_from: {exc.message}") from exc
    step = value.get("step")
    if type(step) is not int or not 0 <= step <= 2**62:
        raise InvalidInput(f"{where}: fork_from's step must be an integer from 0, got {step!r}")


@dataclass
class ForkCopy:
    """What the copy did: the ``metadata.fork`` entry, summary values and the last step."""

    info: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    last_step: int | None = None


def copy_history(conn: Connection, run_id: str, fork_from: dict[str, Any]) -> ForkCopy:
    """Copy the parent's non-system series up to ``fork_from["step"]`` into ``run_id``."""
    parent_id, step = fork_from["run"], int(fork_from["step"])
    info: dict[str, Any] = {"run": parent_id, "step": step}
    parent = conn.execute(
        select(runs.c.id, projects.c.name)
        .join(projects, projects.c.id == runs.c.project_id)
        .where(runs.c.id == parent_id)
    ).first()
    if parent is None or parent_id == run_id:
        info["error"] = f"run {parent_id!r} does not exist; no history was copied"
        return ForkCopy(info)
    info["project"] = parent.name
    sources = [
        row
        for row in conn.execute(
            select(series.c.id, series.c.key, series.c.summary_mode).where(
                series.c.run_id == parent_id
            )
        )
        if not rec.is_system_key(row.key)
    ]
    targets = ensure_series(conn, run_id, [row.key for row in sources])
    copy = ForkCopy(info)
    new_chunks: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for source in sources:
        points = read_points(conn, source.id, None, step)
        if not len(points):
            continue
        target = targets[source.key]
        stats = merge_stats(target.stats, points)
        pieces, partial = chunk_rows(target.id, points)
        new_chunks.extend(pieces)
        changes.append(
            {
                "sid": target.id,
                "new_stats": stats,
                "new_open": target.open_chunks + partial,
                "new_mode": source.summary_mode,
            }
        )
        if rec.is_run_series(source.key):
            copy.summary[source.key] = summary_value(stats, source.summary_mode)
            top = int(points.steps.max())
            copy.last_step = top if copy.last_step is None else max(copy.last_step, top)
    if new_chunks:
        conn.execute(chunks.insert(), new_chunks)
    update_series(conn, changes)
    return copy

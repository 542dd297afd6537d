"""``meta``: run metadata to merge (git, program, environment, host): ``d`` {key: value}
merged at the top level; optional ``large`` {path: value} for bulky entries (a diff, the
package list), kept beside the run in ``run_metadata`` and returned only with the single
run. Another rank's go under ``ranks.<rank>``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.records import json_safe
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.schema import run_metadata
from trailmark.store.upserts import upsert
from trailmark.types import Record
from trailmark.validation import check_json_object, check_no_nul


def check(record: Record, where: str, known: set[str]) -> None:
    try:
        check_json_object("metadata", record.get("d"))
        large = record.get("large")
        if large is not None:
            check_json_object("large metadata", large)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc
    for path in record.get("large") or {}:
        if not path or path.count(".") > 1 or "" in path.split("."):
            raise InvalidInput(
                f"{where}: large metadata path {path!r} must be 'key' or 'section.key'"
            )
        try:
            check_no_nul("large metadata path", path)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}") from exc


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        target = state.metadata if state.primary else state.rank_entry()
        target.update(json_safe(record["d"]))
        for path, value in (record.get("large") or {}).items():
            stored = path if batch.primary else f"ranks.{batch.rank}.{path}"
            batch.defer(rec.META, (batch.run_id, stored, value))


def write(conn: Connection, pending: list[Any]) -> None:
    """The group's large entries, in one statement (the last value of a path wins)."""
    latest = {(run_id, path): value for run_id, path, value in pending}
    rows = [
        {"run_id": run_id, "path": path, "value": json_safe(value)}
        for (run_id, path), value in latest.items()
    ]
    upsert(conn, run_metadata, rows, keys=("run_id", "path"), update=("value",))


KIND = RecordKind(rec.META, check=check, apply=apply, write=write)

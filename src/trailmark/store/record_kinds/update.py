"""``upd``: changed run fields (name, tags, notes, group, job_type); tags replace the run's."""

from __future__ import annotations

from trailmark import records as rec
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.record_kinds.run import check_fields
from trailmark.types import Record


def check(record: Record, where: str, known: set[str]) -> None:
    check_fields(record, where)


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        state.set_fields(record, add_tags=False)


KIND = RecordKind(rec.UPDATE, check=check, apply=apply)

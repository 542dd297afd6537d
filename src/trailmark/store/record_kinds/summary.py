"""``sum``: summary values the user sets; they win over the values derived from series."""

from __future__ import annotations

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.records import json_safe
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.types import Record
from trailmark.validation import check_json_object, key_problem


def check(record: Record, where: str, known: set[str]) -> None:
    check_json_object("summary", record.get("d"))
    for key in record["d"]:
        problem = key_problem(key)
        if problem:
            raise InvalidInput(f"{where}: {problem}")


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        state.user_summary.update(json_safe(record["d"]))


KIND = RecordKind(rec.SUMMARY, check=check, apply=apply)

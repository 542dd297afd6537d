"""``cfg``: config values to merge into the run's (nested objects merged key by key)."""

from __future__ import annotations

from trailmark import records as rec
from trailmark.records import json_safe
from trailmark.redact import redact
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.run_state import deep_merge
from trailmark.types import Record
from trailmark.validation import check_json_object


def check(record: Record, where: str, known: set[str]) -> None:
    check_json_object("config", record.get("d"))


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        deep_merge(state.config, redact(json_safe(record["d"])))


KIND = RecordKind(rec.CONFIG, check=check, apply=apply)

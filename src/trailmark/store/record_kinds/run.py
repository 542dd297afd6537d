"""``run``: create or resume the run: name, config, tags, notes, group, job_type, host,
metadata, created, resume, and ``fork_from`` (start with a copy of another run's history).

A new run's row is created from its first batch's ``run`` record before the group applies
anything (see :mod:`trailmark.store.ingest`); applying the record then sets what it names.
Another rank's host and metadata go to ``metadata.ranks.<rank>``, not to the run's own.
"""

from __future__ import annotations

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.records import json_safe
from trailmark.redact import redact
from trailmark.store.fork import check_fork_from, copy_history
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.run_state import deep_merge
from trailmark.types import Record
from trailmark.validation import check_run_fields

RUN_FIELDS = ("name", "tags", "notes", "config", "metadata", "group", "job_type", "host")


def check(record: Record, where: str, known: set[str]) -> None:
    check_fields(record, where)
    if record.get("fork_from") is not None:
        check_fork_from(record["fork_from"], where)


def check_fields(record: Record, where: str) -> None:
    """The run fields a ``run`` or ``upd`` record may set."""
    try:
        check_run_fields({k: record.get(k) for k in RUN_FIELDS})
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        if record.get("fork_from") and "fork" not in state.metadata:
            state.fork(copy_history(batch.conn, batch.run_id, record["fork_from"]))
        state.set_fields(record, add_tags=True)
        if record.get("config"):
            deep_merge(state.config, redact(json_safe(record["config"])))
        if not state.primary:
            entry = state.rank_entry()
            entry.update(json_safe(record.get("metadata") or {}))
            entry.update(host=record.get("host"), state="running")
            for stale in ("exit_code", "ended"):
                entry.pop(stale, None)
            continue
        if record.get("metadata"):
            state.metadata.update(json_safe(record["metadata"]))
        if record.get("host"):
            state.host = record["host"]
        if record.get("resume"):
            if state.state != "running":  # a job started again: its ranks report afresh
                for entry in state.metadata.get("ranks", {}).values():
                    if isinstance(entry, dict):
                        entry.pop("state", None)
            state.state, state.ended_at, state.exit_code, state.error = "running", None, None, None


KIND = RecordKind(rec.RUN, check=check, apply=apply)

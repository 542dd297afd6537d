"""``log``: console output: ``lines`` [[time, stream, text], ...], stream ``stdout`` or
``stderr``; the store numbers a run's lines in the order it receives them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from trailmark import records as rec
from trailmark.store.console import append_lines, check_log_record
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.types import Record


def check(record: Record, where: str, known: set[str]) -> None:
    check_log_record(record, where)


def apply(records: list[Record], batch: WriterBatch) -> None:
    lines = [line for record in records for line in record["lines"]]
    batch.defer(rec.CONSOLE, (batch.run_id, batch.rank, lines))


def write(conn: Connection, pending: list[Any]) -> None:
    """The group's lines, in the order they came: one append per run and rank in a row."""
    merged: list[tuple[str, int | None, list[Any]]] = []
    for run_id, rank, lines in pending:
        if merged and merged[-1][:2] == (run_id, rank):
            merged[-1][2].extend(lines)
        else:
            merged.append((run_id, rank, list(lines)))
    for run_id, rank, lines in merged:
        append_lines(conn, run_id, rank, lines)


KIND = RecordKind(rec.CONSOLE, check=check, apply=apply, write=write)

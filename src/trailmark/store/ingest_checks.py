"""Checks of spool records before ingest writes anything: each refusal names the record.

A batch is checked whole before any of it is applied (see :mod:`trailmark.store.ingest`),
so a malformed record refuses its batch with a message saying which record and why. The
checks common to every record (an object, a known type, increasing sequence numbers) are
here; each kind checks the rest (:mod:`trailmark.store.record_kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailmark import records as rec
from trailmark.errors import InvalidInput, PayloadTooLarge
from trailmark.limits import MAX_METRICS_PER_RECORD, MAX_RECORDS_PER_BATCH
from trailmark.store.record_kinds import KINDS, RecordKind
from trailmark.store.record_kinds import metrics as metrics_kind

_FLOATS = metrics_kind.FLOATS


def validate(records: list[Any], kinds: Mapping[str, RecordKind] = KINDS) -> list[dict[str, Any]]:
    """Check every record's shape; raise InvalidInput naming the first bad one."""
    if len(records) > MAX_RECORDS_PER_BATCH:
        raise PayloadTooLarge(
            f"a batch holds at most {MAX_RECORDS_PER_BATCH} records, got {len(records)}; send smaller batches"
        )
    last_q = 0
    known_metrics: set[str] = set()
    known: dict[str, set[str]] = {rec.METRICS: known_metrics}
    # Only where the metric records are the built-in kind's may they skip its check.
    inline = kinds.get(rec.METRICS) is metrics_kind.KIND
    for index, record in enumerate(records):
        if inline and type(record) is dict and record.get("t") == rec.METRICS:
            # The usual record, checked inline: a step's values of keys already checked.
            q, step, data = record.get("q"), record.get("s"), record.get("d")
            if (
                type(q) is int
                and q > last_q
                and type(step) is int
                and -(2**62) <= step <= 2**62
                and type(record.get("w")) is float
                and type(data) is dict
                and len(data) <= MAX_METRICS_PER_RECORD
                and known_metrics.issuperset(data)
                and _FLOATS.issuperset(map(type, data.values()))
            ):
                last_q = q
                continue
        if not isinstance(record, dict):
            raise InvalidInput(f"record {index} must be an object, got {type(record).__name__}")
        tag, q = record.get("t"), record.get("q")
        kind = kinds.get(tag) if type(tag) is str else None
        if kind is None:
            raise InvalidInput(
                f"record {index} has unknown type {tag!r}; expected one of {sorted(kinds)}"
            )
        if type(q) is not int or q < 1:
            raise InvalidInput(
                f"record {index} needs a sequence number q (an integer from 1), got {q!r}"
            )
        if q <= last_q:
            raise InvalidInput(
                f"record {index}: sequence numbers must increase, {q} follows {last_q}"
            )
        last_q = q
        memo = known.get(kind.tag)
        if memo is None:
            memo = known[kind.tag] = set()
        kind.check(record, f"record {index} (q={q})", memo)
    return records

"""Checks of spool records before ingest writes anything: each refusal names the record.

A batch is checked whole before any of it is applied (see :mod:`trailmark.store.ingest`),
so a malformed record refuses its batch with a message saying which record and why.
"""

from __future__ import annotations

from typing import Any

from trailmark import records as rec
from trailmark.errors import InvalidInput, PayloadTooLarge
from trailmark.limits import MAX_RECORDS_PER_BATCH
from trailmark.records import metric_from_json
from trailmark.store.console import check_log_record
from trailmark.store.fork import check_fork_from
from trailmark.types import RUN_STATES
from trailmark.validation import check_json_object, check_run_fields, key_problem


def validate(records: list[Any]) -> list[dict[str, Any]]:
    """Check every record's shape; raise InvalidInput naming the first bad one."""
    if len(records) > MAX_RECORDS_PER_BATCH:
        raise PayloadTooLarge(
            f"a batch holds at most {MAX_RECORDS_PER_BATCH} records, got {len(records)}; send smaller batches"
        )
    last_q = 0
    known: dict[str, set[str]] = {rec.METRICS: set(), rec.SYSTEM: set()}
    known_metrics = known[rec.METRICS]
    for index, record in enumerate(records):
        if type(record) is dict and record.get("t") == rec.METRICS:
            # The usual record, checked inline: a step's values of keys already checked.
            q, step, data = record.get("q"), record.get("s"), record.get("d")
            if (
                type(q) is int
                and q > last_q
                and type(step) is int
                and -(2**62) <= step <= 2**62
                and type(record.get("w")) is float
                and type(data) is dict
                and known_metrics.issuperset(data)
                and _FLOATS.issuperset(map(type, data.values()))
            ):
                last_q = q
                continue
        if not isinstance(record, dict):
            raise InvalidInput(f"record {index} must be an object, got {type(record).__name__}")
        kind, q = record.get("t"), record.get("q")
        if kind not in rec.RECORD_TYPES:
            raise InvalidInput(
                f"record {index} has unknown type {kind!r}; expected one of {sorted(rec.RECORD_TYPES)}"
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
        if kind == rec.METRICS:
            step = record.get("s")
            if type(step) is not int or not -(2**62) <= step <= 2**62:
                raise InvalidInput(f"record {index} (q={q}): step must be an integer, got {step!r}")
            _validate_values(record, f"record {index} (q={q})", known[kind])
        elif kind == rec.SYSTEM:
            _validate_values(record, f"record {index} (q={q})", known[kind])
        else:
            _validate_record(record, f"record {index} (q={q})")
    return records


def _validate_values(record: dict[str, Any], where: str, known: set[str]) -> None:
    """Metric values; ``known`` holds the keys of this batch already found good (a batch
    repeats the same keys at every step: each is checked once)."""
    wall, data = record.get("w"), record.get("d")
    if type(wall) is not float and type(wall) is not int:
        raise InvalidInput(f"{where}: wall time w must be a number, got {wall!r}")
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: d must be an object of metric values")
    if known.issuperset(data) and _FLOATS.issuperset(map(type, data.values())):
        return  # the usual record: keys already checked, every value a float
    system = record["t"] == rec.SYSTEM
    for key, value in data.items():
        if key not in known:
            problem = key_problem(key)
            if problem:
                raise InvalidInput(f"{where}: {problem}")
            if system and not rec.is_system_key(key):
                raise InvalidInput(
                    f"{where}: system metric {key!r} must start with {rec.SYSTEM_PREFIX!r}"
                )
            known.add(key)
        if type(value) is not float and metric_from_json(value) is None:
            raise InvalidInput(
                f"{where}: metric {key!r} has a non-numeric value {str(value)[:80]!r}; "
                'metric values are numbers or "NaN", "Infinity", "-Infinity"'
            )


_FLOATS = frozenset({float})


def _validate_meta(record: dict[str, Any], where: str) -> None:
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


def _validate_record(record: dict[str, Any], where: str) -> None:
    kind = record["t"]
    if kind == rec.CONSOLE:
        check_log_record(record, where)
    elif kind == rec.META:
        _validate_meta(record, where)
    elif kind in (rec.CONFIG, rec.SUMMARY):
        check_json_object("config" if kind == rec.CONFIG else "summary", record.get("d"))
        if kind == rec.SUMMARY:
            for key in record["d"]:
                problem = key_problem(key)
                if problem:
                    raise InvalidInput(f"{where}: {problem}")
    elif kind == rec.DEFINE:
        problem = key_problem(record.get("k"))
        if problem:
            raise InvalidInput(f"{where}: {problem}")
        if record.get("summary") not in rec.SUMMARY_MODES:
            raise InvalidInput(f"{where}: summary must be one of {', '.join(rec.SUMMARY_MODES)}")
    elif kind == rec.FINISH:
        if record.get("state") not in RUN_STATES:
            raise InvalidInput(f"{where}: state must be one of {', '.join(RUN_STATES)}")
    elif kind in (rec.RUN, rec.UPDATE):
        _validate_run_fields(record, where)


def _validate_run_fields(record: dict[str, Any], where: str) -> None:
    try:
        check_run_fields(
            {
                k: record.get(k)
                for k in (
                    "name",
                    "tags",
                    "notes",
                    "config",
                    "metadata",
                    "group",
                    "job_type",
                    "host",
                )
            }
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc
    if record.get("fork_from") is not None:
        check_fork_from(record["fork_from"], where)

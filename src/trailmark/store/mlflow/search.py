"""MLflow run searches compiled to SQLAlchemy over ``runs`` (never SQL text from the user).

The parser (:mod:`trailmark.store.mlflow.search_filter`) turns MLflow's filter and order_by
strings into :class:`Comparison` and :class:`OrderBy` items; this module compiles them with the
same typed JSON accessors the Trailmark filter language uses (:mod:`trailmark.store.filter_sql`):

- ``metrics.k`` compares the run's summary value of ``k`` (the latest value, for runs logged
  through MLflow) as a number;
- ``params.k`` compares the verbatim string MLflow logged, or, for a run that has none (a
  native run), the config value at ``k``'s path as MLflow shows it: ``params.lr = '0.001'``
  matches the config number 0.001 (shown "0.001") or the string "0.001", not ``'1e-3'``;
- ``tags.k`` compares the run's property ``k`` (``mlflow.runName`` the name, ``mlflow.note.content``
  the notes);
- ``attributes.status``, ``run_name``, ``run_id``, ``user_id``, ``start_time``, ``end_time``.

``LIKE`` is case-sensitive as in MLflow (``GLOB`` on SQLite); ``ILIKE`` is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, false, func, or_, true

from trailmark.errors import InvalidInput
from trailmark.store.filter_sql import (
    SQLITE,
    JsonRef,
    column_order_by,
    number_param,
    string_param,
)
from trailmark.store.mlflow.conventions import (
    ACTIVE_ONLY,
    DELETED_ONLY,
    MAX_PARAM_DEPTH,
    META_KEY,
    NOTE_TAG,
    RUN_NAME_TAG,
    USER_TAG,
    parse_param,
    render_param,
)
from trailmark.store.schema import runs

Value = str | int | float | tuple[str, ...] | None

STATUS_STATES: dict[str, tuple[str, ...]] = {
    "RUNNING": ("running",),
    "SCHEDULED": (),
    "FINISHED": ("finished",),
    "FAILED": ("failed", "crashed"),
    "KILLED": ("killed",),
}
"""Trailmark states behind each MLflow run status."""


@dataclass(frozen=True)
class Comparison:
    """``kind.key op value``; kind is metric, parameter, tag, attribute or dataset."""

    kind: str
    key: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class OrderBy:
    kind: str
    key: str
    ascending: bool = True


def like_to_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A SQL LIKE pattern (``%`` any run, ``_`` one character) as an anchored regex."""
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob(pattern: str) -> str:
    special = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
    return "".join(special.get(ch, ch) for ch in pattern)


def string_test(
    expr: ColumnElement[Any], op: str, value: Value, dialect: str
) -> ColumnElement[bool]:
    """``expr op value`` for MLflow's string operators."""
    if op in ("IN", "NOT IN"):
        values = [string_param(v) for v in (value if isinstance(value, tuple) else (str(value),))]
        return expr.not_in(values) if op == "NOT IN" else expr.in_(values)
    text = str(value)
    if op == "=":
        return expr == string_param(text)
    if op == "!=":
        return expr != string_param(text)
    if op == "LIKE":
        if dialect == SQLITE:
            return expr.op("GLOB", is_comparison=True)(string_param(_glob(text)))
        return expr.like(string_param(text))
    if op == "ILIKE":
        return expr.ilike(string_param(text))
    raise InvalidInput(f"operator {op} does not apply to strings")


def _json_string_test(ref: JsonRef, op: str, value: Value, dialect: str) -> ColumnElement[bool]:
    if op == "IS NULL":
        return ref.is_null()
    if op == "IS NOT NULL":
        return ~ref.is_null()
    return ref.when(ref.is_string(), string_test(ref.text, op, value, dialect))


def _column_string_test(
    column: Column[Any], op: str, value: Value, dialect: str
) -> ColumnElement[bool]:
    if op == "IS NULL":
        return column.is_(None) if column.nullable else false()
    if op == "IS NOT NULL":
        return column.is_not(None) if column.nullable else true()
    test = string_test(column, op, value, dialect)
    return column.is_not(None) & test if column.nullable else test


def _config_refs(key: str, dialect: str) -> list[JsonRef]:
    parts = key.split(".")
    refs = []
    if all(parts) and len(parts) <= MAX_PARAM_DEPTH:
        refs.append(JsonRef.of(runs.c.config, parts, dialect))
    if len(parts) > 1:
        refs.append(JsonRef.of(runs.c.config, [key], dialect))
    return refs


def _config_equals(ref: JsonRef, text: str) -> ColumnElement[bool]:
    """The config value at ``ref`` shows as the param string ``text`` (see ``render_param``)."""
    typed = parse_param(text)
    parts = [ref.compare_string("=", text)]
    if render_param(typed) != text:  # "1e-2" is how no config number is shown
        return parts[0]
    if isinstance(typed, bool):
        parts.append(ref.membership([typed], False))
    elif isinstance(typed, int | float):
        parts.append(ref.compare_number("=", typed))
    return or_(*parts)


def _param_test(key: str, op: str, value: Value, dialect: str) -> ColumnElement[bool]:
    exact = JsonRef.of(runs.c.metadata, [META_KEY, "params", key], dialect)
    configs = _config_refs(key, dialect)
    if op in ("IS NULL", "IS NOT NULL"):
        missing = and_(exact.is_null(), *(ref.is_null() for ref in configs))
        return missing if op == "IS NULL" else ~missing
    text = str(value)
    exact_test = _json_string_test(exact, op, value, dialect)
    config_tests: list[ColumnElement[bool]] = []
    for ref in configs:
        if op == "=":
            config_tests.append(_config_equals(ref, text))
        elif op == "!=":
            config_tests.append(~ref.is_null() & ~_config_equals(ref, text))
        else:
            config_tests.append(_json_string_test(ref, op, value, dialect))
    if not config_tests:
        return exact_test
    return or_(exact_test, and_(exact.is_null(), or_(*config_tests)))


def _time_test(column: Column[Any], op: str, value: Value) -> ColumnElement[bool]:
    if not isinstance(value, int | float):
        raise InvalidInput(f"expected a number of milliseconds, got {value!r}")
    millis = func.round(column * 1000)
    target = number_param(value)
    tests = {
        "=": millis == target,
        "!=": millis != target,
        "<": millis < target,
        "<=": millis <= target,
        ">": millis > target,
        ">=": millis >= target,
    }
    if op not in tests:
        raise InvalidInput(f"operator {op} does not apply to times")
    return column.is_not(None) & tests[op] if column.nullable else tests[op]


def matching_statuses(op: str, value: Value) -> list[str]:
    """The MLflow statuses a comparison on ``attributes.status`` selects."""
    if op in ("IN", "NOT IN"):
        listed = {str(v).upper() for v in (value if isinstance(value, tuple) else (value,))}
        return [s for s in STATUS_STATES if (s in listed) == (op == "IN")]
    if op in ("LIKE", "ILIKE"):
        pattern = like_to_regex(str(value), ignore_case=op == "ILIKE")
        return [s for s in STATUS_STATES if pattern.fullmatch(s)]
    if op in ("=", "!="):
        return [s for s in STATUS_STATES if (s == str(value)) == (op == "=")]
    raise InvalidInput(f"operator {op} does not apply to status")


def _attribute_test(key: str, op: str, value: Value, dialect: str) -> ColumnElement[bool]:
    if key == "status":
        states = [st for status in matching_statuses(op, value) for st in STATUS_STATES[status]]
        return runs.c.state.in_(states) if states else false()
    if key == "run_name":
        return _column_string_test(runs.c.name, op, value, dialect)
    if key == "run_id":
        return _column_string_test(runs.c.id, op, value, dialect)
    if key == "user_id":
        return _json_string_test(
            JsonRef.of(runs.c.properties, [USER_TAG], dialect), op, value, dialect
        )
    if key == "start_time":
        return _time_test(runs.c.created_at, op, value)
    if key == "end_time":
        return _time_test(runs.c.ended_at, op, value)
    raise InvalidInput(f"Trailmark cannot search runs by attributes.{key}")


def comparison_sql(item: Comparison, dialect: str) -> ColumnElement[bool]:
    if item.kind == "metric":
        if not isinstance(item.value, int | float):
            raise InvalidInput(f"metrics.{item.key} needs a number, got {item.value!r}")
        ref = JsonRef.of(runs.c.summary, [item.key], dialect)
        return ref.compare_number(item.op, item.value)
    if item.kind == "parameter":
        return _param_test(item.key, item.op, item.value, dialect)
    if item.kind == "tag":
        if item.key == RUN_NAME_TAG:
            return _column_string_test(runs.c.name, item.op, item.value, dialect)
        if item.key == NOTE_TAG:
            if item.op in ("IS NULL", "IS NOT NULL"):
                empty = runs.c.notes == ""
                return empty if item.op == "IS NULL" else ~empty
            return _column_string_test(runs.c.notes, item.op, item.value, dialect)
        ref = JsonRef.of(runs.c.properties, [item.key], dialect)
        return _json_string_test(ref, item.op, item.value, dialect)
    if item.kind == "attribute":
        return _attribute_test(item.key, item.op, item.value, dialect)
    raise InvalidInput(
        f"Trailmark does not search runs by {item.kind}s yet; filter on metrics, params, "
        "tags or attributes"
    )


def in_view(deleted_at: Column[Any], view_type: str) -> ColumnElement[bool]:
    """Rows a view type shows: live ones (ACTIVE_ONLY), deleted ones, or all."""
    if view_type == ACTIVE_ONLY:
        return deleted_at.is_(None)
    if view_type == DELETED_ONLY:
        return deleted_at.is_not(None)
    return true()


def run_filter_sql(items: Sequence[Comparison], dialect: str) -> ColumnElement[bool] | None:
    """The AND of every comparison, or ``None`` when there is none."""
    if not items:
        return None
    return and_(*(comparison_sql(item, dialect) for item in items))


def run_order_sql(items: Sequence[OrderBy], dialect: str) -> list[ColumnElement[Any]]:
    """ORDER BY clauses; MLflow's natural order (start time descending, run id) breaks ties."""
    clauses: list[ColumnElement[Any]] = []
    for item in items:
        descending = not item.ascending
        if item.kind == "metric":
            clauses += JsonRef.of(runs.c.summary, [item.key], dialect).order_by(descending)
        elif item.kind == "parameter":
            exact = JsonRef.of(runs.c.metadata, [META_KEY, "params", item.key], dialect)
            clauses += exact.order_by(descending)
            for ref in _config_refs(item.key, dialect):
                clauses += ref.order_by(descending)
        elif item.kind == "tag" and item.key == RUN_NAME_TAG:
            clauses.append(column_order_by(runs.c.name, descending, dialect))
        elif item.kind == "tag":
            clauses += JsonRef.of(runs.c.properties, [item.key], dialect).order_by(descending)
        elif item.kind == "attribute" and item.key == "user_id":
            clauses += JsonRef.of(runs.c.properties, [USER_TAG], dialect).order_by(descending)
        elif item.kind == "attribute" and item.key in _ORDER_COLUMNS:
            clauses.append(column_order_by(_ORDER_COLUMNS[item.key], descending, dialect))
        else:
            raise InvalidInput(f"Trailmark cannot order runs by {item.kind} {item.key!r}")
    clauses += [runs.c.created_at.desc(), runs.c.id.asc()]
    return clauses


_ORDER_COLUMNS: dict[str, Column[Any]] = {
    "start_time": runs.c.created_at,
    "end_time": runs.c.ended_at,
    "run_name": runs.c.name,
    "status": runs.c.state,
    "run_id": runs.c.id,
    "artifact_uri": runs.c.id,
}

"""MLflow searches of experiments, logged models, registered models and versions, in SQL.

Runs have their own compiler (:mod:`.search`). These entities are searched on a few
attributes and their tags (logged models: params too), so one small compiler serves them
all: a :class:`Searchable` names the SQL expression behind each attribute and the JSON
column behind each entity, and :func:`filter_sql` and :func:`order_sql` compile the parsed
filter (:mod:`.search_filter`) and order with the same string tests as the run search.

Two of MLflow's rules carried over: a value that is missing never matches a comparison,
except that the registry's searches treat it as different from any value (``missing_differs``:
MLflow clients add ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every model search); and
in an ordering, items without the value come last in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, false, func, or_, true

from trailmark.errors import InvalidInput
from trailmark.store.filter_sql import JsonRef, number_param, text_collated
from trailmark.store.mlflow.search import Comparison, string_test
from trailmark.store.nul import NulSafeText

STRING, NUMBER, MILLIS = "string", "number", "millis"


@dataclass(frozen=True)
class Attribute:
    """An attribute's SQL expression; ``MILLIS`` columns hold seconds, MLflow speaks ms."""

    expr: ColumnElement[Any]
    kind: str = STRING
    nullable: bool = False
    sort: ColumnElement[Any] | None = None
    """What orders it, where that is not ``expr`` (experiment ids sort as numbers)."""


@dataclass(frozen=True)
class Searchable:
    """What one MLflow entity is searched and ordered by."""

    attributes: dict[str, Attribute]
    entities: dict[str, ColumnElement[Any]] = field(default_factory=dict)
    """JSON object columns by entity kind (``tag``, ``parameter``)."""
    special: dict[tuple[str, str], Attribute] = field(default_factory=dict)
    """Entity keys kept in a column of their own (an experiment's note is its description)."""
    missing_differs: bool = False
    always_missing: frozenset[str] = frozenset()
    """Entity kinds the filter syntax accepts that never have a value (logged models' metrics)."""


def _present(attr: Attribute, test: ColumnElement[bool], op: str, differs: bool) -> Any:
    if not attr.nullable:
        return test
    if differs and op in ("!=", "NOT IN"):
        return or_(attr.expr.is_(None), test)
    return and_(attr.expr.is_not(None), test)


def _number_test(attr: Attribute, op: str, value: Any) -> ColumnElement[bool]:
    if not isinstance(value, int | float):
        raise InvalidInput(f"expected a number, got {value!r}")
    expr = func.round(attr.expr * 1000) if attr.kind == MILLIS else attr.expr
    target = number_param(value)
    tests = {
        "=": expr == target,
        "!=": expr != target,
        "<": expr < target,
        "<=": expr <= target,
        ">": expr > target,
        ">=": expr >= target,
    }
    if op not in tests:
        raise InvalidInput(f"operator {op} does not apply to numbers")
    return tests[op]


def _attribute_test(
    attr: Attribute, item: Comparison, dialect: str, differs: bool
) -> ColumnElement[bool]:
    if item.op == "IS NULL":
        return attr.expr.is_(None) if attr.nullable else false()
    if item.op == "IS NOT NULL":
        return attr.expr.is_not(None) if attr.nullable else true()
    if attr.kind == STRING:
        test = string_test(attr.expr, item.op, item.value, dialect)
    else:
        test = _number_test(attr, item.op, item.value)
    result: ColumnElement[bool] = _present(attr, test, item.op, differs)
    return result


def _json_test(ref: JsonRef, item: Comparison, dialect: str, differs: bool) -> ColumnElement[bool]:
    if item.op == "IS NULL":
        return ref.is_null()
    if item.op == "IS NOT NULL":
        return ~ref.is_null()
    test = ref.when(ref.is_string(), string_test(ref.text, item.op, item.value, dialect))
    if differs and item.op in ("!=", "NOT IN"):
        return or_(ref.is_null(), test)
    return test


def comparison_sql(item: Comparison, searchable: Searchable, dialect: str) -> ColumnElement[bool]:
    differs = searchable.missing_differs
    if item.kind == "attribute":
        attr = searchable.attributes.get(item.key)
        if attr is None:
            raise InvalidInput(f"cannot search by attribute {item.key!r} here")
        return _attribute_test(attr, item, dialect, differs)
    special = searchable.special.get((item.kind, item.key))
    if special is not None:
        return _attribute_test(special, item, dialect, differs)
    if item.kind in searchable.always_missing:
        if item.op == "IS NULL":
            return true()
        return true() if differs and item.op in ("!=", "NOT IN") else false()
    column = searchable.entities.get(item.kind)
    if column is None:
        raise InvalidInput(f"cannot filter on {item.kind}s here")
    return _json_test(JsonRef.of(column, [item.key], dialect), item, dialect, differs)


def filter_sql(
    items: Sequence[Comparison], searchable: Searchable, dialect: str
) -> ColumnElement[bool] | None:
    """The AND of every comparison, or ``None`` when there is none."""
    if not items:
        return None
    return and_(*(comparison_sql(item, searchable, dialect) for item in items))


def order_sql(
    kind: str, key: str, ascending: bool, searchable: Searchable, dialect: str
) -> list[ColumnElement[Any]]:
    """ORDER BY clauses for one key, missing values last; an unknown key orders nothing."""
    attr = searchable.attributes.get(key) if kind == "attribute" else None
    if kind != "attribute":
        attr = searchable.special.get((kind, key))
    if attr is not None and attr.sort is not None:
        return [attr.sort.asc() if ascending else attr.sort.desc()]
    if attr is not None:
        expr = attr.expr
        if attr.kind == STRING:
            is_text = isinstance(expr.type, String | NulSafeText)
            expr = text_collated(expr, dialect) if is_text else expr
        ordered = expr.asc() if ascending else expr.desc()
        return [ordered.nulls_last()] if attr.nullable else [ordered]
    column = searchable.entities.get(kind)
    if column is None:
        return []
    return JsonRef.of(column, [key], dialect).order_by(not ascending)

"""The dialect-specific SQL behind :mod:`trailmark.store.filters`.

Every user value and every JSON key reaches the database as a bound parameter; the
only SQL text written here is fixed. Each predicate built here is two-valued (never
SQL NULL), so ``not`` in a filter always selects exactly the runs the inner part does not.

JSON values are typed: a number literal only ever meets JSON numbers, a string only
JSON strings, and so on. On PostgreSQL (JSONB) the cast to ``numeric`` sits in a
``CASE`` branch that only runs for JSON numbers, so a value such as the string "NaN"
never reaches the cast. ``numeric`` rather than ``float8``: it takes any JSON number
(``1e400`` would overflow ``float8``) and compares exactly with the literal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Float,
    Numeric,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from trailmark.errors import InvalidInput
from trailmark.store.nul import NulSafeText
from trailmark.store.schema import runs

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DIALECTS = (SQLITE, POSTGRESQL)

_INT64_MAX = 2**63 - 1
# SQLite parses ``a OR b OR c ...`` into a left-deep tree and refuses trees deeper than
# 1000; long and/or chains are split into parenthesised groups of this size.
_GROUP_SIZE = 64

Number = int | float
Scalar = int | float | str | bool | None

JSON_FIELDS = {"config": True, "summary": False, "properties": False}
"""JSON fields, and whether their keys nest (``config.a.b``) or are flat (``summary.a/b``)."""

COLUMNS: dict[str, Column[Any]] = {
    "id": runs.c.id,
    "name": runs.c.name,
    "state": runs.c.state,
    "notes": runs.c.notes,
    "group": runs.c.group_name,
    "job_type": runs.c.job_type,
    "host": runs.c.host,
    "created": runs.c.created_at,
    "updated": runs.c.updated_at,
    "ended": runs.c.ended_at,
    "tags": runs.c.tags,
    "last_step": runs.c.last_step,
}
"""The plain fields of the filter language and their ``runs`` columns."""


def check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise InvalidInput(f"unsupported SQL dialect {dialect!r}; expected one of {DIALECTS}")


def sqlite_json_path(path: Sequence[str]) -> str:
    """The SQLite JSON path ``$."a"."b"`` for ``path``.

    Labels are written JSON-escaped (``é`` as ``\\u00e9``): SQLite before 3.45 compares a
    label with the key's text as stored, and the store writes JSON with Python's default
    ``json.dumps`` (ASCII-only); SQLite 3.45 and later decode escapes on both sides, so
    this matches there whatever the stored form. A ``"`` cannot appear in a label at all; the parser refuses such keys.
    """
    labels = []
    for key in path:
        if '"' in key:
            raise InvalidInput(f"JSON key {key!r} contains a double quote")
        labels.append('."' + json.dumps(key)[1:-1] + '"')
    return "$" + "".join(labels)


def combine(items: Sequence[ColumnElement[bool]], conjunction: bool) -> ColumnElement[bool]:
    """``and_``/``or_`` of ``items``, nested in groups so SQLite's parse depth stays small."""
    join = and_ if conjunction else or_
    if len(items) <= _GROUP_SIZE:
        return join(*items)
    groups = [
        combine(items[i : i + _GROUP_SIZE], conjunction) for i in range(0, len(items), _GROUP_SIZE)
    ]
    # A function call is the one wrapper SQLAlchemy does not flatten back into the list;
    # coalesce(x, false) is x itself because every x here is two-valued.
    return combine([func.coalesce(g, false(), type_=Boolean) for g in groups], conjunction)


def compare(left: ColumnElement[Any], op: str, right: ColumnElement[Any]) -> ColumnElement[bool]:
    """``left <op> right`` for the filter operators ``= != < <= > >=``."""
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    raise ValueError(f"not a comparison operator: {op!r}")


def membership(
    left: ColumnElement[Any], params: Sequence[ColumnElement[Any]], negated: bool
) -> ColumnElement[bool]:
    """``left = p`` / ``left IN (...)``, or their negations."""
    if len(params) == 1:
        return left != params[0] if negated else left == params[0]
    return left.not_in(params) if negated else left.in_(params)


def number_param(value: Number) -> ColumnElement[Any]:
    """A number bound for comparison with a column (``int`` stays exact where it fits)."""
    if isinstance(value, int) and -_INT64_MAX <= value <= _INT64_MAX:
        return literal(value, BigInteger())
    return literal(float(value), Float())


def json_number_param(value: Number, dialect: str) -> ColumnElement[Any]:
    """A number bound for comparison with a JSON number (``numeric`` on PostgreSQL)."""
    if dialect == POSTGRESQL:
        exact = Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))
        return literal(exact, Numeric())
    return number_param(value)


def string_param(value: str) -> ColumnElement[Any]:
    return literal(value, String())


def text_collated(expr: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Order strings by code point on both databases (SQLite's binary order)."""
    return expr.collate("C") if dialect == POSTGRESQL else expr


def contains_pattern(value: str) -> str:
    """A LIKE pattern matching ``value`` anywhere, with ``\\``, ``%`` and ``_`` escaped."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def icontains(expr: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """Case-insensitive substring match (ASCII-only case folding on SQLite)."""
    return expr.ilike(string_param(contains_pattern(value)), escape="\\")


@dataclass(frozen=True)
class JsonRef:
    """One path inside a JSON column, with the typed accessors the filters need.

    ``number`` and ``text`` are only meaningful where ``is_number``/``is_string`` hold;
    callers guard them with ``CASE`` so PostgreSQL never casts a non-number.
    """

    kind: ColumnElement[Any]
    number: ColumnElement[Any]
    text: ColumnElement[Any]
    dialect: str

    @classmethod
    def of(cls, column: ColumnElement[Any], path: Sequence[str], dialect: str) -> JsonRef:
        check_dialect(dialect)
        if not path:
            raise InvalidInput("a JSON path needs at least one key")
        if dialect == SQLITE:
            path_param = string_param(sqlite_json_path(path))
            return cls(
                kind=func.json_type(column, path_param, type_=String),
                number=func.json_extract(column, path_param, type_=Float),
                text=func.json_extract(column, path_param, type_=Text),
                dialect=dialect,
            )
        # Chained ``->`` rather than ``#>``: with a text key ``->`` never indexes an
        # array, so `config.layers.`0`` means the key "0" on both databases.
        parent: ColumnElement[Any] = column
        for key in path[:-1]:
            parent = parent.op("->", return_type=JSONB)(string_param(key))
        last = string_param(path[-1])
        value = parent.op("->", return_type=JSONB)(last)
        text = parent.op("->>", return_type=Text)(last)
        return cls(
            kind=func.jsonb_typeof(value, type_=String),
            number=cast(text, Numeric),
            text=text,
            dialect=dialect,
        )

    def _kinds(self, *kinds: str) -> ColumnElement[bool]:
        return self.kind.in_(kinds) if len(kinds) > 1 else self.kind == kinds[0]

    def is_number(self) -> ColumnElement[bool]:
        return self._kinds("integer", "real") if self.dialect == SQLITE else self._kinds("number")

    def is_string(self) -> ColumnElement[bool]:
        return self._kinds("text" if self.dialect == SQLITE else "string")

    def is_bool(self) -> ColumnElement[bool]:
        return self._kinds("true", "false") if self.dialect == SQLITE else self._kinds("boolean")

    def is_null(self) -> ColumnElement[bool]:
        """Missing, or JSON ``null``."""
        return func.coalesce(self.kind, "null", type_=String) == "null"

    def bool_text(self) -> ColumnElement[Any]:
        """``'true'``/``'false'`` for a JSON boolean."""
        return self.kind if self.dialect == SQLITE else self.text

    def when(self, guard: ColumnElement[bool], test: ColumnElement[bool]) -> ColumnElement[bool]:
        """``test`` where ``guard`` holds, false elsewhere; ``test`` only runs under ``guard``."""
        return case((guard, test), else_=false())

    def compare_number(self, op: str, value: Number) -> ColumnElement[bool]:
        return self.when(
            self.is_number(), compare(self.number, op, json_number_param(value, self.dialect))
        )

    def compare_string(self, op: str, value: str) -> ColumnElement[bool]:
        text = text_collated(self.text, self.dialect) if op not in ("=", "!=") else self.text
        return self.when(self.is_string(), compare(text, op, string_param(value)))

    def icontains(self, value: str) -> ColumnElement[bool]:
        return self.when(self.is_string(), icontains(self.text, value))

    def membership(self, values: Sequence[Scalar], negated: bool) -> ColumnElement[bool]:
        """Typed ``in``/``not in``: each value only meets JSON values of its own type.

        ``not in`` holds for a value of one of the listed types equal to none of them
        (so ``x != 1`` needs ``x`` to be a number); ``null`` in a ``not in`` list only
        adds "present and not null", which the typed parts already imply.
        """
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        strings = [v for v in values if isinstance(v, str)]
        bools = {"true" if v else "false" for v in values if isinstance(v, bool)}
        has_null = any(v is None for v in values)
        parts: list[ColumnElement[bool]] = []
        if numbers:
            params = [json_number_param(v, self.dialect) for v in numbers]
            parts.append(self.when(self.is_number(), membership(self.number, params, negated)))
        if strings:
            params = [string_param(v) for v in strings]
            parts.append(self.when(self.is_string(), membership(self.text, params, negated)))
        if bools:
            wanted = sorted({"true", "false"} - bools if negated else bools)
            if wanted:
                params = [string_param(v) for v in wanted]
                parts.append(self.when(self.is_bool(), membership(self.bool_text(), params, False)))
        if has_null and not negated:
            parts.append(self.is_null())
        if has_null and negated and not (numbers or strings or bools):
            parts.append(~self.is_null())
        if not parts:
            return false()
        return or_(*parts) if len(parts) > 1 else parts[0]

    def order_by(self, descending: bool) -> list[ColumnElement[Any]]:
        """Numbers by value, then strings, then booleans, then the rest (missing, null...).

        The rank always sorts ascending, so missing values come last in both directions;
        within one rank the number and text keys are all set or all NULL.
        """
        rank = case((self.is_number(), 0), (self.is_string(), 1), (self.is_bool(), 2), else_=3)
        number = case((self.is_number(), self.number))
        text = case((self.is_string(), self.text), (self.is_bool(), self.bool_text()))
        keys = [number, text_collated(text, self.dialect)]
        return [rank.asc(), *(key.desc() if descending else key.asc() for key in keys)]


def column_param(value: int | float | str) -> ColumnElement[Any]:
    return string_param(value) if isinstance(value, str) else number_param(value)


def column_membership(
    column: Column[Any], values: Sequence[Scalar], negated: bool, dialect: str
) -> ColumnElement[bool]:
    """``in``/``not in`` (and ``=``/``!=``) on a plain column; ``None`` means SQL NULL."""
    params = [column_param(v) for v in values if v is not None and not isinstance(v, bool)]
    if not params:
        return column.is_not(None) if negated else column.is_(None)
    test = membership(column, params, negated)
    if column.nullable:
        test = column.is_not(None) & test  # two-valued, so `not` keeps its meaning
    if None in values and not negated:
        test = test | column.is_(None)
    return test


def column_compare(
    column: Column[Any], op: str, value: int | float | str, dialect: str
) -> ColumnElement[bool]:
    """``column op value`` for ``< <= > >= ~``, false where the column is NULL."""
    if op == "~":
        test = icontains(column, str(value))
    elif isinstance(value, str):
        test = compare(text_collated(column, dialect), op, string_param(value))
    else:
        test = compare(column, op, number_param(value))
    return column.is_not(None) & test if column.nullable else test


def column_order_by(column: Column[Any], descending: bool, dialect: str) -> ColumnElement[Any]:
    """One ORDER BY clause; strings by code point, NULLs last in both directions."""
    is_text = isinstance(column.type, String | NulSafeText)
    key = text_collated(column, dialect) if is_text else column
    ordered = key.desc() if descending else key.asc()
    # NULLS LAST only where needed: a plain `created_at DESC` can use the index.
    return ordered.nulls_last() if column.nullable else ordered


def field_membership(
    name: str, path: Sequence[str], values: Sequence[Scalar], negated: bool, dialect: str
) -> ColumnElement[bool]:
    """``in``/``not in``/``=``/``!=`` on a field (a JSON path when ``name`` is a JSON field)."""
    if name in JSON_FIELDS:
        return JsonRef.of(runs.c[name], path, dialect).membership(values, negated)
    return column_membership(COLUMNS[name], values, negated, dialect)


def field_compare(
    name: str, path: Sequence[str], op: str, value: int | float | str, dialect: str
) -> ColumnElement[bool]:
    """``< <= > >= ~`` on a field."""
    if name not in JSON_FIELDS:
        return column_compare(COLUMNS[name], op, value, dialect)
    ref = JsonRef.of(runs.c[name], path, dialect)
    if op == "~":
        return ref.icontains(str(value))
    if isinstance(value, str):
        return ref.compare_string(op, value)
    return ref.compare_number(op, value)


def field_order_by(
    name: str, path: Sequence[str], descending: bool, dialect: str
) -> list[ColumnElement[Any]]:
    """The ORDER BY clauses for one field."""
    check_dialect(dialect)
    if name in JSON_FIELDS:
        return JsonRef.of(runs.c[name], path, dialect).order_by(descending)
    return [column_order_by(COLUMNS[name], descending, dialect)]


def tags_contain(tags: ColumnElement[Any], tag: str, dialect: str) -> ColumnElement[bool]:
    """True where the JSON list ``tags`` holds the string ``tag``."""
    check_dialect(dialect)
    if dialect == SQLITE:
        each = func.json_each(tags).table_valued("value", "type")
        matches = (each.c.type == "text") & (each.c.value == string_param(tag))
        return exists(select(literal(1)).select_from(each).where(matches))
    wanted = func.jsonb_build_array(string_param(tag), type_=JSONB)
    return tags.op("@>", return_type=Boolean, is_comparison=True)(wanted)

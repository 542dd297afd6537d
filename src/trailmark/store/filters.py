"""The run filter and order language: parse user text, compile it to SQLAlchemy Core.

A filter such as ``config.lr < 1e-3 and summary.`train/acc` > 0.9`` is parsed into a
small AST (:func:`parse_filter`), checked field by field, then compiled for one SQL
dialect (:func:`compile_filter`); the dialect-specific SQL is in
:mod:`trailmark.store.filter_sql`. An order such as ``summary.val/loss,-created`` becomes
ORDER BY clauses (:func:`run_order`). Every mistake raises :class:`InvalidFilter` with
the 0-based position of the offending token; nothing else escapes for any input text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, not_

from trailmark.errors import InvalidFilter
from trailmark.limits import MAX_FILTER_LENGTH
from trailmark.store import filter_sql as sql
from trailmark.store.nul import NulSafeText
from trailmark.store.schema import runs

FILTER_HELP = """\
Filter runs with comparisons joined by `and`, `or`, `not` and parentheses:
  config.lr < 1e-3 and summary.`train/acc` > 0.9
  state in ("running", "failed") or not tags contains "baseline"
Fields: config.<path> (nested keys joined by '.'), summary.<key>, properties.<key>,
  id, name, state, notes, group, job_type, host, created, updated, ended, tags, last_step.
  Keys are letters, digits, _, / and -, starting with a letter or _; quote any other key in
  backticks (summary.`val loss`, `` for a backtick). Keys with a double quote cannot be used.
Operators: = (or ==), !=, <, <=, >, >=, ~ (case-insensitive substring), in (v, ...),
  not in (v, ...), is null, is not null. Tags: tags contains "x", "x" in tags, "x" not in tags.
Values: numbers (-1, 2.5, 1e-3), 'strings' or "strings" (backslash escapes), true, false,
  null. created, updated and ended take epoch seconds or ISO dates ("2026-01-01",
  "2026-01-01T12:00:00Z"; no zone means UTC).
Values are typed: config.lr < 0.1 only matches runs whose config.lr is a JSON number, and
  config.opt = "adam" only a JSON string; `= null` matches a missing key or a JSON null.
  `!=` and `not in` also need a value of the literal's type; use `not (...)` for
  "anything else, missing included".
Order: comma-separated fields, `-` for descending: summary.val/loss,-created.
  JSON fields sort numbers, then strings, then booleans; missing values always come last.
Keywords are case-insensitive."""

MAX_DEPTH = 64
"""Deepest nesting of parentheses and ``not`` a filter may use."""

DEFAULT_ORDER = "-created"

JSON_FIELDS = sql.JSON_FIELDS
_COLUMNS = sql.COLUMNS
_TIME_FIELDS = frozenset({"created", "updated", "ended"})
FIELD_NAMES = tuple(f"{name}.<key>" for name in JSON_FIELDS) + tuple(_COLUMNS)
_FIELDS_TEXT = ", ".join(FIELD_NAMES)
_TAGS_USAGE = 'tags supports only: tags contains "x", "x" in tags, "x" not in tags'

# ----------------------------------------------------------------------------- AST

ValueKind = Literal["number", "string", "bool", "null"]


@dataclass(frozen=True)
class Field:
    """A field: ``name`` is a column field or ``config``/``summary``/``properties``.

    ``path`` holds the keys inside a JSON field: every segment for ``config``, one key
    (the segments joined by ``.``) for the flat ``summary`` and ``properties``.
    """

    name: str
    path: tuple[str, ...] = ()
    position: int = 0


@dataclass(frozen=True)
class Value:
    """A literal; ISO dates compared with a time field are already epoch seconds."""

    kind: ValueKind
    value: int | float | str | bool | None
    position: int = 0


@dataclass(frozen=True)
class Compare:
    """``field op value``; op is one of ``= != < <= > >= ~`` (``is null`` is ``= null``)."""

    field: Field
    op: str
    value: Value
    position: int = 0


@dataclass(frozen=True)
class In:
    """``field in (values)``, or ``not in`` when ``negated``."""

    field: Field
    values: tuple[Value, ...]
    negated: bool = False
    position: int = 0


@dataclass(frozen=True)
class HasTag:
    """``tags contains "x"`` (and ``"x" in tags``)."""

    tag: str
    position: int = 0


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | In | HasTag | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    field: Field
    descending: bool = False


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Token:
    kind: str  # ident qident string number op sign ( ) , . end
    text: str
    position: int
    value: int | float | str | None = None


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_/\-]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]*")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "~")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r"}
_INT64_MAX = 2**63 - 1
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_QUOTED_KEY = re.compile(r"`((?:[^`]|``)*)`(?!`)", re.DOTALL)


def _check_chars(text: str, position: int, what: str) -> None:
    for char in text:
        if char == "\0" or "\ud800" <= char <= "\udfff":
            raise InvalidFilter(f"{what} contains the invalid character {char!r}", position)


def _join_utf16(text: str, start: int) -> str:
    """Join \\u escapes of UTF-16 surrogate pairs; refuse lone surrogates and NUL."""
    try:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        raise InvalidFilter("string contains a lone UTF-16 surrogate", start) from None
    _check_chars(text, start, "string")
    return text


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.last = "start"

    def next(self) -> _Token:
        token = self._scan()
        self.last = token.kind
        return token

    def _scan(self) -> _Token:
        text, n = self.text, len(self.text)
        while self.pos < n and text[self.pos].isspace():
            self.pos += 1
        start = self.pos
        if start >= n:
            return _Token("end", "", n)
        char = text[start]
        after_dot = self.last == "."
        if after_dot and char.isdigit():
            raise InvalidFilter("a key starting with a digit must be quoted in backticks", start)
        if char in "'\"":
            return self._string(start, char)
        if char == "`":
            return self._quoted_key(start)
        next_char = text[start + 1 : start + 2]
        if char == "-":
            starts_number = next_char.isdigit() or (
                next_char == "." and text[start + 2 : start + 3].isdigit()
            )
        elif char == ".":
            starts_number = next_char.isdigit() and self.last not in ("ident", "qident")
        else:
            starts_number = char.isdigit()
        if starts_number:
            return self._number(start)
        if char in "(),.":
            self.pos += 1
            return _Token(char, char, start)
        if char in "+-":
            self.pos += 1
            return _Token("sign", char, start)
        for op in ("==", *_OPERATORS):
            if text.startswith(op, start):
                self.pos += len(op)
                return _Token("op", "=" if op == "==" else op, start)
        match = _IDENT.match(text, start)
        if match:
            self.pos = match.end()
            return _Token("ident", match.group(), start, match.group())
        hint = "; quote keys in backticks" if char.isalpha() else ""
        raise InvalidFilter(f"unexpected character {char!r}{hint}", start)

    def _number(self, start: int) -> _Token:
        match = _NUMBER.match(self.text, start)
        tail = _NUMBER_TAIL.match(self.text, match.end() if match else start)
        end = tail.end() if tail else start
        word = self.text[start:end]
        if not match or match.end() != end:
            raise InvalidFilter(f"bad number {word!r}", start)
        self.pos = end
        digits = word.lstrip("-")
        value: int | float
        if digits.isdigit() and len(digits) <= 19 and int(word) <= _INT64_MAX:
            value = int(word)
        else:
            value = float(word)
            if not math.isfinite(value):
                raise InvalidFilter(f"number {word!r} is out of range", start)
        return _Token("number", word, start, value)

    def _string(self, start: int, quote: str) -> _Token:
        text, i, out = self.text, start + 1, list[str]()
        while i < len(text):
            char = text[i]
            if char == quote:
                self.pos = i + 1
                value = _join_utf16("".join(out), start)
                return _Token("string", text[start : i + 1], start, value)
            if char == "\\":
                code = text[i + 1 : i + 2]
                if code == "u" and _HEX4.fullmatch(text, i + 2, i + 6):
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                if not code:
                    break
                if code not in _ESCAPES:
                    raise InvalidFilter(
                        "bad escape in string (use \\\\, \\', \\\", \\n, \\t, \\r or \\uXXXX)", i
                    )
                out.append(_ESCAPES[code])
                i += 2
                continue
            out.append(char)
            i += 1
        raise InvalidFilter(f"unterminated string (no closing {quote})", start)

    def _quoted_key(self, start: int) -> _Token:
        match = _QUOTED_KEY.match(self.text, start)
        if not match:
            raise InvalidFilter("unterminated backtick-quoted key (no closing `)", start)
        self.pos = match.end()
        value = match.group(1).replace("``", "`")
        _check_chars(value, start, "key")
        return _Token("qident", match.group(), start, value)


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the text"
    shown = token.text if len(token.text) <= 30 else token.text[:27] + "..."
    return repr(shown)


# -------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise InvalidFilter(
                f"text is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}",
                MAX_FILTER_LENGTH,
            )
        self.lexer = _Lexer(text)
        self.token = self.lexer.next()
        self.depth = 0

    def advance(self) -> _Token:
        token = self.token
        self.token = self.lexer.next()
        return token

    def keyword(self, word: str) -> bool:
        return self.token.kind == "ident" and self.token.text.lower() == word

    def fail(self, message: str, token: _Token | None = None) -> InvalidFilter:
        token = token or self.token
        return InvalidFilter(message, token.position)

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression nested deeper than {MAX_DEPTH} levels", token)

    def expect_end(self) -> None:
        if self.token.kind == ")":
            raise self.fail("unmatched ')'")
        if self.token.kind != "end":
            raise self.fail(f"expected 'and', 'or' or the end, found {_describe(self.token)}")

    # filter := or ; or := and ("or" and)* ; and := unary ("and" unary)*
    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.keyword("or"):
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self.keyword("and"):
            self.advance()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        if self.keyword("not"):
            token = self.advance()
            self.enter(token)
            node = Not(self.parse_unary())
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.token
        if token.kind == "(":
            self.enter(self.advance())
            node = self.parse_or()
            if self.token.kind != ")":
                raise self.fail(
                    f"missing ')' to close the '(' at position {token.position}; "
                    f"found {_describe(self.token)}"
                )
            self.advance()
            self.depth -= 1
            return node
        if token.kind == "string":
            return self.parse_tag_in()
        if token.kind in ("ident", "qident") and token.text.lower() not in _KEYWORDS:
            return self.parse_predicate(self.parse_field())
        raise self.fail(f"expected a field, 'not' or '(', found {_describe(token)}")

    def parse_field(self) -> Field:
        token = self.advance()
        if token.kind not in ("ident", "qident"):
            raise self.fail(f"expected a field, found {_describe(token)}", token)
        name = str(token.value).lower() if token.kind == "ident" else str(token.value)
        if name in JSON_FIELDS:
            if self.token.kind != ".":
                raise self.fail(f"{name} needs a key, like {name}.lr")
            keys = []
            while self.token.kind == ".":
                self.advance()
                key = self.advance()
                if key.kind not in ("ident", "qident"):
                    raise self.fail(f"expected a key after '.', found {_describe(key)}", key)
                keys.append(self.check_key(key))
            path = tuple(keys) if JSON_FIELDS[name] else (".".join(keys),)
            return Field(name, path, token.position)
        if name in _COLUMNS:
            if self.token.kind == ".":
                raise self.fail(f"{name} has no keys")
            return Field(name, (), token.position)
        raise self.fail(f"unknown field {name!r}; valid fields are {_FIELDS_TEXT}", token)

    def check_key(self, token: _Token) -> str:
        key = str(token.value)
        if not key:
            raise self.fail("empty key", token)
        if '"' in key:
            raise self.fail(
                'keys containing a double quote (") cannot be used in filters or orders', token
            )
        return key

    def parse_predicate(self, field: Field) -> Node:
        token = self.token
        if field.name == "tags" and not self.keyword("contains"):
            raise self.fail(_TAGS_USAGE, token)
        if token.kind == "op":
            self.advance()
            return _check_compare(Compare(field, token.text, self.parse_value(), token.position))
        if self.keyword("is"):
            self.advance()
            negated = self.keyword("not")
            if negated:
                self.advance()
            if not self.keyword("null"):
                raise self.fail(f"expected 'null' after 'is', found {_describe(self.token)}")
            null = Value("null", None, self.advance().position)
            return Compare(field, "!=" if negated else "=", null, token.position)
        negated = self.keyword("not")
        if negated:
            self.advance()
            if not self.keyword("in"):
                raise self.fail(f"expected 'in' after 'not', found {_describe(self.token)}")
        if self.keyword("in"):
            self.advance()
            return _check_in(In(field, self.parse_list(), negated, token.position))
        if self.keyword("contains"):
            self.advance()
            if field.name != "tags":
                raise self.fail("'contains' is for tags; use ~ for a substring match", token)
            value = self.parse_value()
            if value.kind != "string":
                raise self.fail('tags contains needs a string, like tags contains "x"', token)
            return HasTag(str(value.value), token.position)
        raise self.fail(
            "expected an operator (=, !=, <, <=, >, >=, ~, in, not in, is null, contains) "
            f"after the field, found {_describe(token)}"
        )

    def parse_tag_in(self) -> Node:
        tag = self.advance()
        negated = self.keyword("not")
        if negated:
            self.advance()
        if not self.keyword("in"):
            raise self.fail(
                'a string can only start "x" in tags or "x" not in tags; '
                f"found {_describe(self.token)} after it"
            )
        self.advance()
        field = self.parse_field()
        if field.name != "tags":
            raise InvalidFilter(
                f'"x" in FIELD only works for tags; write {field.name} = "x" instead',
                field.position,
            )
        node: Node = HasTag(str(tag.value), tag.position)
        return Not(node) if negated else node

    def parse_list(self) -> tuple[Value, ...]:
        if self.token.kind != "(":
            raise self.fail(f"expected '(' after 'in', found {_describe(self.token)}")
        opening = self.advance()
        if self.token.kind == ")":
            raise self.fail("empty list: 'in ()' needs at least one value")
        values = [self.parse_value()]
        while self.token.kind == ",":
            self.advance()
            values.append(self.parse_value())
        if self.token.kind != ")":
            raise self.fail(
                f"missing ')' to close the list at position {opening.position}; "
                f"found {_describe(self.token)}"
            )
        self.advance()
        return tuple(values)

    def parse_value(self) -> Value:
        token = self.token
        if token.kind == "number":
            self.advance()
            assert isinstance(token.value, int | float)
            return Value("number", token.value, token.position)
        if token.kind == "string":
            self.advance()
            return Value("string", token.value, token.position)
        if token.kind == "ident" and token.text.lower() in ("true", "false", "null"):
            self.advance()
            word = token.text.lower()
            if word == "null":
                return Value("null", None, token.position)
            return Value("bool", word == "true", token.position)
        raise self.fail(
            f"expected a value (number, string, true, false or null), found {_describe(token)}"
        )

    def parse_order(self) -> list[OrderItem]:
        items = []
        while True:
            descending = self.token.kind == "sign" and self.token.text == "-"
            if self.token.kind == "sign":
                self.advance()
            field = self.parse_field()
            if field.name == "tags":
                raise InvalidFilter("cannot order by tags", field.position)
            items.append(OrderItem(field, descending))
            if self.token.kind != ",":
                break
            self.advance()
        if self.token.kind != "end":
            raise self.fail(f"expected ',' or the end, found {_describe(self.token)}")
        return items


_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false", "contains"})


# ---------------------------------------------------------------------- validation


def _check_value(field: Field, op: str, value: Value, op_position: int) -> Value:
    """Refuse an operator or value a field cannot take; turn ISO dates into epoch seconds."""
    label = field.name + "".join("." + key for key in field.path)
    if field.name not in _COLUMNS and not (field.name in JSON_FIELDS and field.path):
        raise InvalidFilter(f"unknown field {label!r}", field.position)
    if op not in _OPERATORS:
        raise InvalidFilter(f"unknown operator {op!r}", op_position)
    if field.name == "tags":
        raise InvalidFilter(_TAGS_USAGE, op_position)
    if op == "~" and value.kind != "string":
        raise InvalidFilter('~ needs a string, like name ~ "bert"', value.position)
    if value.kind in ("null", "bool") and op not in ("=", "!="):
        raise InvalidFilter(f"{value.kind} only works with = and !=", op_position)
    if field.name in JSON_FIELDS:
        return value
    text_field = isinstance(_COLUMNS[field.name].type, String | NulSafeText)
    if value.kind == "null":
        return value
    if text_field:
        if value.kind != "string":
            raise InvalidFilter(
                f'{label} is text: quote the value, like {label} = "x"', value.position
            )
        return value
    if op == "~":
        raise InvalidFilter(f"~ only works on text fields, not {label}", op_position)
    if value.kind == "bool":
        raise InvalidFilter(f"{label} is a number, not a boolean", value.position)
    if value.kind == "string" and field.name in _TIME_FIELDS:
        return Value("number", _parse_time(str(value.value), value.position), value.position)
    if value.kind == "string":
        raise InvalidFilter(f"{label} is a number: drop the quotes", value.position)
    return value


def _check_compare(node: Compare) -> Compare:
    checked = _check_value(node.field, node.op, node.value, node.position)
    return node if checked is node.value else Compare(node.field, node.op, checked, node.position)


def _check_in(node: In) -> In:
    if not node.values:
        raise InvalidFilter("empty list: 'in ()' needs at least one value", node.position)
    checked = tuple(_check_value(node.field, "=", v, node.position) for v in node.values)
    return In(node.field, checked, node.negated, node.position)


def _parse_time(text: str, position: int) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidFilter(
            f'{text!r} is not an ISO date; write "2026-01-01" or "2026-01-01T12:00:00Z"', position
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# ---------------------------------------------------------------------- public API


def parse_filter(text: str) -> Node:
    """Parse a filter into its AST; raise :class:`InvalidFilter` (with a position) if invalid.

    Operators and values are checked against their field here (``tags < 3`` fails), and
    ISO dates compared with ``created``/``updated``/``ended`` become epoch seconds.
    """
    parser = _Parser(text)
    node = parser.parse_or()
    parser.expect_end()
    return node


def parse_order(text: str) -> list[OrderItem]:
    """Parse ``field,-field,...`` into order items; raise :class:`InvalidFilter` if invalid."""
    return _Parser(text).parse_order()


def compile_filter(node: Node, dialect: str) -> ColumnElement[bool]:
    """Compile a filter AST into a boolean SQLAlchemy expression over ``schema.runs``.

    ``dialect`` is ``"sqlite"`` or ``"postgresql"`` (:attr:`Database.dialect`). Values and
    JSON keys are bound parameters. The result is never SQL NULL for any row.
    """
    sql.check_dialect(dialect)
    if isinstance(node, And | Or):
        if not node.items:
            raise InvalidFilter("empty and/or", 0)
        parts = [compile_filter(item, dialect) for item in node.items]
        return sql.combine(parts, conjunction=isinstance(node, And))
    if isinstance(node, Not):
        return not_(compile_filter(node.item, dialect))
    if isinstance(node, HasTag):
        return sql.tags_contain(runs.c.tags, node.tag, dialect)
    if isinstance(node, In):
        node = _check_in(node)
        values = [v.value for v in node.values]
        return sql.field_membership(node.field.name, node.field.path, values, node.negated, dialect)
    node = _check_compare(node)
    name, path, op, value = node.field.name, node.field.path, node.op, node.value.value
    if op in ("=", "!="):
        return sql.field_membership(name, path, [value], op == "!=", dialect)
    if value is None or isinstance(value, bool):  # refused by _check_compare already
        raise InvalidFilter(f"{node.value.kind} only works with = and !=", node.position)
    return sql.field_compare(name, path, op, value, dialect)


def run_filter(text: str | None, dialect: str) -> ColumnElement[bool] | None:
    """Parse and compile a user's filter; ``None`` for no filter (``None`` or blank text)."""
    if text is None or not text.strip():
        return None
    return compile_filter(parse_filter(text), dialect)


def run_order(text: str | None, dialect: str) -> list[ColumnElement[Any]]:
    """ORDER BY clauses for a user's order (default ``-created``), ending with ``runs.id``.

    JSON fields sort numbers (by value), then strings, then booleans; missing keys, JSON
    nulls and other values come last, as do NULL columns, in both directions.
    """
    sql.check_dialect(dialect)
    items = parse_order(text if text is not None and text.strip() else DEFAULT_ORDER)
    clauses: list[ColumnElement[Any]] = []
    for item in items:
        clauses.extend(
            sql.field_order_by(item.field.name, item.field.path, item.descending, dialect)
        )
    clauses.append(runs.c.id.asc())
    return clauses

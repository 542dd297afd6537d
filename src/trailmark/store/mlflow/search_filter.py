"""MLflow's search syntax, parsed by hand: ``metrics.x > 1 and params.y = 'a'``.

A filter is comparisons joined by ``AND`` (MLflow has no ``OR``); a comparison is
``<entity>.<key> <op> <value>`` where entity is metric(s), param(s)/parameter(s), tag(s),
attribute(s)/attr/run or dataset(s), and a bare identifier is an attribute. Keys with special
characters go in backticks or double quotes (``metrics.`val loss```). Operators: ``= != < <=
> >= LIKE ILIKE IN NOT IN IS NULL IS NOT NULL``; values are numbers, 'strings' or "strings"
(a doubled quote escapes itself) and parenthesised lists of strings.

A pure module (no SQL): the result is a list of :class:`~trailmark.store.mlflow.search.Comparison`,
compiled to SQL for runs by :mod:`trailmark.store.mlflow.search` and for experiments, logged
models and the registry by :mod:`trailmark.store.mlflow.entity_search`; :func:`matches`
evaluates one in Python. Every mistake is an ``INVALID_PARAMETER_VALUE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from trailmark.errors import InvalidInput
from trailmark.limits import MAX_FILTER_LENGTH
from trailmark.store.mlflow.search import Comparison, OrderBy, Value, like_to_regex

ENTITIES = {
    "metric": "metric",
    "metrics": "metric",
    "param": "parameter",
    "params": "parameter",
    "parameter": "parameter",
    "parameters": "parameter",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}
ATTRIBUTE_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}
NUMBER_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
NULL_OPS = frozenset({"IS NULL", "IS NOT NULL"})
LIST_OPS = frozenset({"IN", "NOT IN"})

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<quoted>`[^`]*`)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][\w./:\-]*)
  )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _fail(message: str) -> InvalidInput:
    return InvalidInput(
        f"{message}. MLflow filters look like: metrics.acc > 0.9 and params.opt = 'adam'"
    )


def _tokens(text: str) -> list[_Token]:
    if len(text) > MAX_FILTER_LENGTH:
        raise _fail(f"the filter is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}")
    out: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise _fail(
                f"unexpected text {text[position : position + 20].strip()!r} at position {position}"
            )
        out.append(
            _Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup))
        )
        position = match.end()
    return out


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote) if quote in "'\"" else text[1:-1]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self, offset: int = 0) -> _Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _fail("the filter ends too early")
        self.index += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.upper() in words

    def identifier(self) -> tuple[str, str]:
        token = self.take()
        if token.kind == "quoted" or (token.kind == "string" and token.text[0] == '"'):
            return "attribute", _unquote(token.text)
        if token.kind != "word":
            raise _fail(f"expected a name such as metrics.loss, found {token.text!r}")
        head, dot, rest = token.text.partition(".")
        if not dot:
            return "attribute", head
        entity = ENTITIES.get(head.strip("`"))
        if entity is None:
            raise _fail(
                f"unknown entity {head!r}; use metrics, params, tags, attributes or datasets"
            )
        if not rest:  # the key is quoted: metrics.`my key` or metrics."my key"
            key_token = self.take()
            if key_token.kind not in ("quoted", "string"):
                raise _fail(f"expected a key after {token.text!r}")
            return entity, _unquote(key_token.text)
        return entity, rest

    def value(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "number":
            number = float(token.text)
            return int(token.text) if re.fullmatch(r"[-+]?\d+", token.text) else number
        if token.text == "(":
            items: list[str] = []
            while True:
                item = self.take()
                if item.kind != "string":
                    raise _fail(f"lists hold quoted strings, found {item.text!r}")
                items.append(_unquote(item.text))
                close = self.take()
                if close.text == ")":
                    return tuple(items)
                if close.text != ",":
                    raise _fail(f"expected ',' or ')' in a list, found {close.text!r}")
        raise _fail(f"expected a value (a number or a quoted string), found {token.text!r}")

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return {"==": "=", "<>": "!="}.get(token.text, token.text)
        word = token.text.upper() if token.kind == "word" else ""
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        if word == "NOT" and self.keyword("IN"):
            self.take()
            return "NOT IN"
        if word == "IS":
            negated = self.keyword("NOT")
            if negated:
                self.take()
            if not self.keyword("NULL"):
                raise _fail("expected NULL after IS")
            self.take()
            return "IS NOT NULL" if negated else "IS NULL"
        raise _fail(
            f"expected an operator (=, !=, <, >, LIKE, IN, IS NULL, ...), found {token.text!r}"
        )

    def comparison(self) -> Comparison:
        kind, key = self.identifier()
        op = self.operator()
        value = None if op in NULL_OPS else self.value()
        if op in LIST_OPS and not isinstance(value, tuple):
            raise _fail(f"{op} needs a list such as ('a', 'b')")
        if op not in LIST_OPS and isinstance(value, tuple):
            raise _fail(f"a list needs IN or NOT IN, not {op}")
        if kind == "attribute":
            key = ATTRIBUTE_ALIASES.get(key, key)
        return Comparison(kind, key, op, value)

    def filter(self) -> list[Comparison]:
        items = [self.comparison()]
        while self.peek() is not None:
            if self.keyword("OR"):
                raise _fail("MLflow filters join comparisons with AND only; OR is not supported")
            if not self.keyword("AND"):
                raise _fail(f"expected AND between comparisons, found {self.take().text!r}")
            self.take()
            items.append(self.comparison())
        return items


def parse_filter(text: str | None) -> list[Comparison]:
    """The comparisons of a filter (none for an empty one), not yet checked per resource."""
    if text is None or not text.strip():
        return []
    return _Parser(text).filter()


def parse_order_by(text: str) -> OrderBy:
    """``metrics.loss DESC``, ``start_time``, ``params.`my key` asc``."""
    parser = _Parser(text)
    kind, key = parser.identifier()
    ascending = True
    if parser.keyword("ASC", "DESC"):
        ascending = parser.take().text.upper() == "ASC"
    if parser.peek() is not None:
        raise _fail(f"cannot parse order_by {text!r}; write e.g. 'metrics.loss DESC'")
    if kind == "attribute":
        key = ATTRIBUTE_ALIASES.get(key, key)
    return OrderBy(kind, key, ascending)


RUN_ATTRIBUTES = {
    "artifact_uri",
    "end_time",
    "run_id",
    "run_name",
    "start_time",
    "status",
    "user_id",
}
RUN_NUMERIC_ATTRIBUTES = {"start_time", "end_time"}


def _check_ops(item: Comparison, allowed: frozenset[str], number: bool) -> None:
    label = f"{item.kind}.{item.key}"
    if item.op not in allowed:
        raise _fail(f"operator {item.op} does not apply to {label}; use one of {sorted(allowed)}")
    if item.op in NULL_OPS or item.op in LIST_OPS:
        return
    if number and not isinstance(item.value, int | float):
        raise _fail(f"{label} is compared with a number, got {item.value!r}")
    if not number and not isinstance(item.value, str):
        raise _fail(f"{label} is compared with a quoted string, got {item.value!r}")


def check_run_filter(items: list[Comparison]) -> list[Comparison]:
    """Refuse what MLflow refuses in a run search (an unknown attribute, a metric vs a string...)."""
    for item in items:
        if item.kind == "metric":
            _check_ops(item, NUMBER_OPS, number=True)
        elif item.kind in ("parameter", "tag"):
            _check_ops(item, STRING_OPS | NULL_OPS, number=False)
        elif item.kind == "dataset":
            raise _fail("Trailmark does not search runs by dataset yet")
        elif item.key not in RUN_ATTRIBUTES:
            raise _fail(
                f"invalid attribute key {item.key!r}; valid keys are {sorted(RUN_ATTRIBUTES)}"
            )
        elif item.key in RUN_NUMERIC_ATTRIBUTES:
            _check_ops(item, NUMBER_OPS, number=True)
        else:
            allowed = (
                STRING_OPS | LIST_OPS
                if item.key in ("run_id", "status", "run_name")
                else STRING_OPS
            )
            _check_ops(item, allowed, number=False)
    return items


def check_order(item: OrderBy, attributes: Collection[str], entities: Collection[str]) -> OrderBy:
    if item.kind == "attribute" and item.key not in attributes:
        raise _fail(f"cannot order by {item.key!r}; valid attributes are {sorted(attributes)}")
    if item.kind != "attribute" and item.kind not in entities:
        raise _fail(f"cannot order by {item.kind}s here")
    return item


def check_simple_filter(
    items: list[Comparison], attributes: dict[str, bool], entities: Collection[str] = ("tag",)
) -> list[Comparison]:
    """Check a filter over a few attributes (name: is it numeric?) and tags."""
    for item in items:
        if item.kind == "attribute":
            if item.key not in attributes:
                raise _fail(f"invalid attribute {item.key!r}; valid ones are {sorted(attributes)}")
            numeric = attributes[item.key]
            _check_ops(item, NUMBER_OPS if numeric else STRING_OPS | LIST_OPS, number=numeric)
        elif item.kind in entities:
            ops = NUMBER_OPS if item.kind == "metric" else STRING_OPS | NULL_OPS
            _check_ops(item, ops, number=item.kind == "metric")
        else:
            raise _fail(f"cannot filter on {item.kind}s here")
    return items


def compare(
    item: Comparison, actual: str | int | float | None, missing_differs: bool = False
) -> bool:
    """Whether one comparison holds for a value (``None``: the key is missing).

    With ``missing_differs``, a missing value is ``!=`` any value: MLflow's registry searches
    rely on it (clients add ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every search)."""
    if item.op == "IS NULL":
        return actual is None
    if item.op == "IS NOT NULL":
        return actual is not None
    if actual is None:
        return missing_differs and item.op in ("!=", "NOT IN")
    expected = item.value
    if item.op in LIST_OPS:
        inside = str(actual) in (expected if isinstance(expected, tuple) else ())
        return inside if item.op == "IN" else not inside
    if item.op in ("LIKE", "ILIKE"):
        return like_to_regex(str(expected), item.op == "ILIKE").fullmatch(str(actual)) is not None
    if isinstance(expected, int | float) and not isinstance(actual, int | float):
        try:
            actual = float(actual)
        except ValueError:
            return False
    if isinstance(actual, int | float) and not isinstance(expected, int | float):
        actual = str(actual)
    tests: dict[str, Callable[[object, object], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,  # type: ignore[operator]
        "<=": lambda a, b: a <= b,  # type: ignore[operator]
        ">": lambda a, b: a > b,  # type: ignore[operator]
        ">=": lambda a, b: a >= b,  # type: ignore[operator]
    }
    return tests[item.op](actual, expected)


def matches(
    items: list[Comparison],
    lookup: Callable[[str, str], str | int | float | None],
    missing_differs: bool = False,
) -> bool:
    """Whether every comparison holds; ``lookup(kind, key)`` gives the value compared."""
    return all(compare(item, lookup(item.kind, item.key), missing_differs) for item in items)

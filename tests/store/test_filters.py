"""The run filter & order language: parser units, and behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from trailmark.errors import InvalidFilter, InvalidInput
from trailmark.limits import MAX_FILTER_LENGTH
from trailmark.store.database import Database
from trailmark.store.filters import (
    FILTER_HELP,
    And,
    Compare,
    Field,
    HasTag,
    In,
    Not,
    Or,
    OrderItem,
    Value,
    compile_filter,
    parse_filter,
    parse_order,
    run_filter,
    run_order,
)
from trailmark.store.schema import projects, runs

T0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0

# ------------------------------------------------------------------------ parser


def test_parses_the_documented_example() -> None:
    assert parse_filter("config.lr < 1e-3 and summary.`train/acc` > 0.9") == And(
        (
            Compare(Field("config", ("lr",), 0), "<", Value("number", 0.001, 12), 10),
            Compare(Field("summary", ("train/acc",), 21), ">", Value("number", 0.9, 43), 41),
        )
    )


def test_field_paths() -> None:
    def field(text: str) -> Field:
        node = parse_filter(text + " = 1")
        assert isinstance(node, Compare)
        return node.field

    assert field("config.model.layers") == Field("config", ("model", "layers"), 0)
    assert field("summary.train/acc") == Field("summary", ("train/acc",), 0)
    assert field("summary.val.loss") == Field("summary", ("val.loss",), 0)  # flat key
    assert field("summary.`val loss`") == Field("summary", ("val loss",), 0)
    assert field("config.`back``tick`.x-y_z") == Field("config", ("back`tick", "x-y_z"), 0)
    assert field("config.`é`") == Field("config", ("é",), 0)
    assert field("properties.`a b`") == Field("properties", ("a b",), 0)
    assert field("Config.lr") == Field("config", ("lr",), 0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Value("number", 1, 11)),
        ("-1", Value("number", -1, 11)),
        ("2.5", Value("number", 2.5, 11)),
        ("1E3", Value("number", 1000.0, 11)),
        ("-1e-3", Value("number", -0.001, 11)),
        (".5", Value("number", 0.5, 11)),
        ("-.5", Value("number", -0.5, 11)),
        ("123456789012345678901234567890", Value("number", 1.2345678901234568e29, 11)),
        ("'it\\'s'", Value("string", "it's", 11)),
        ('"a\\"b\\\\c\\n"', Value("string", 'a"b\\c\n', 11)),
        ('"\\u00e9 \\ud83d\\ude00"', Value("string", "é 😀", 11)),
        ("'ré ☃'", Value("string", "ré ☃", 11)),
        ("TRUE", Value("bool", True, 11)),
        ("false", Value("bool", False, 11)),
        ("Null", Value("null", None, 11)),
    ],
)
def test_literals(text: str, value: Value) -> None:
    node = parse_filter(f"config.x = {text}")
    assert isinstance(node, Compare)
    assert node.value == value


def test_operators_and_keywords() -> None:
    x = Field("config", ("x",), 0)
    assert parse_filter("config.x == 1") == Compare(x, "=", Value("number", 1, 12), 9)
    assert parse_filter("config.x IS NULL") == Compare(x, "=", Value("null", None, 12), 9)
    assert parse_filter("config.x is not null") == Compare(x, "!=", Value("null", None, 16), 9)
    assert parse_filter("config.x in (1, 'a')") == In(
        x, (Value("number", 1, 13), Value("string", "a", 16)), False, 9
    )
    assert parse_filter("config.x NOT IN (1)") == In(x, (Value("number", 1, 17),), True, 9)
    assert parse_filter('tags CONTAINS "a"') == HasTag("a", 5)
    assert parse_filter('"a" in tags') == HasTag("a", 0)
    assert parse_filter('"a" not in tags') == Not(HasTag("a", 0))
    assert parse_filter('not (name = "a" OR name ~ "b") and state != "x"') == And(
        (
            Not(
                Or(
                    (
                        Compare(Field("name", (), 5), "=", Value("string", "a", 12), 10),
                        Compare(Field("name", (), 19), "~", Value("string", "b", 26), 24),
                    )
                )
            ),
            Compare(Field("state", (), 35), "!=", Value("string", "x", 44), 41),
        )
    )


def test_and_binds_tighter_than_or() -> None:
    node = parse_filter("name = 'a' or name = 'b' and name = 'c'")
    assert isinstance(node, Or)
    assert isinstance(node.items[1], And)


def test_iso_dates_become_epoch_seconds() -> None:
    for text, expected in [
        ('"2026-01-01"', T0),
        ('"2026-01-01T12:00:00Z"', T0 + 12 * 3600),
        ('"2026-01-01T12:00:00"', T0 + 12 * 3600),  # naive means UTC
        ('"2026-01-01T12:00:00+02:00"', T0 + 10 * 3600),
    ]:
        node = parse_filter(f"created >= {text}")
        assert isinstance(node, Compare)
        assert node.value == Value("number", expected, 11)
    node = parse_filter('ended in ("2026-01-01", null)')
    assert isinstance(node, In)
    assert [v.value for v in node.values] == [T0, None]


def test_nesting_up_to_the_limit_parses() -> None:
    parse_filter("(" * 64 + "name = 'a'" + ")" * 64)
    parse_filter("not " * 64 + "name = 'a'")


def test_order_parsing() -> None:
    assert parse_order("summary.val/loss,-created") == [
        OrderItem(Field("summary", ("val/loss",), 0), False),
        OrderItem(Field("created", (), 18), True),
    ]
    assert parse_order(" +name , - config.a.b ") == [
        OrderItem(Field("name", (), 2), False),
        OrderItem(Field("config", ("a", "b"), 11), True),
    ]


LONG = "name = 'a' or " * (MAX_FILTER_LENGTH // 14) + "name = 'abcdefghijklmnop'"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("foo = 1", 0, "unknown field 'foo'; valid fields are config.<key>"),
        ("config.lr <", 11, "expected a value"),
        ("config.lr < and", 12, "expected a value"),
        ('config.lr = "abc', 12, "unterminated string"),
        ("name = 'abc\\", 7, "unterminated string"),
        ("config.lr = 1e", 12, "bad number '1e'"),
        ("config.lr = 1.2.3", 12, "bad number"),
        ("config.lr = 12abc", 12, "bad number"),
        ("config.lr = 1e999", 12, "out of range"),
        ("(config.lr = 1", 14, "missing ')'"),
        ("((name = 'a') or (name = 'b')", 29, "missing ')' to close the '(' at position 0"),
        ("config.lr = 1 )", 14, "unmatched ')'"),
        ('config.lr = 1 state = "x"', 14, "expected 'and', 'or' or the end"),
        ("config.lr in ()", 14, "empty list"),
        ("config.lr in (1, 2", 18, "missing ')' to close the list"),
        ("config.lr in (1,)", 16, "expected a value"),
        ('name in ("a" "b")', 13, "missing ')'"),
        ('name in "a"', 8, "expected '(' after 'in'"),
        ("tags < 3", 5, "tags supports only"),
        ('tags = "x"', 5, "tags supports only"),
        ("tags is null", 5, "tags supports only"),
        ('tags in ("x")', 5, "tags supports only"),
        ("tags contains 3", 5, "tags contains needs a string"),
        ('name contains "x"', 5, "'contains' is for tags"),
        ('"x" in name', 7, "only works for tags"),
        ('"x" = 1', 4, 'a string can only start "x" in tags'),
        ("name = 3", 7, "name is text"),
        ("name = true", 7, "name is text"),
        ("name in ('a', 1)", 14, "name is text"),
        ('last_step = "x"', 12, "last_step is a number"),
        ("last_step = true", 12, "not a boolean"),
        ('created > "yesterday"', 10, "not an ISO date"),
        ('created ~ "2026"', 8, "~ only works on text fields"),
        ("name ~ 3", 7, "~ needs a string"),
        ("config.lr ~ null", 12, "~ needs a string"),
        ("config.lr < true", 10, "bool only works with = and !="),
        ("name > null", 5, "null only works with = and !="),
        ("config = 1", 7, "config needs a key"),
        ("summary", 7, "summary needs a key"),
        ("name.x = 1", 4, "name has no keys"),
        ('config."x" = 1', 7, "expected a key after '.'"),
        ("config. = 1", 8, "expected a key after '.'"),
        ("config.2x = 1", 7, "must be quoted in backticks"),
        ('summary.`a"b` = 1', 8, "double quote"),
        ("config.`` = 1", 7, "empty key"),
        ("config.`abc = 1", 7, "unterminated backtick"),
        ("config.lr = 1 and", 17, "expected a field"),
        ("name = 'a' and or name = 'b'", 15, "expected a field"),
        ("true = 1", 0, "expected a field"),
        ("", 0, "expected a field"),
        ("name is 3", 8, "expected 'null' after 'is'"),
        ("name not like 'a'", 9, "expected 'in' after 'not'"),
        ("name", 4, "expected an operator"),
        ("name 'a'", 5, "expected an operator"),
        ("config.lr = -", 12, "expected a value"),
        ("config.lr = +1", 12, "expected a value"),
        ("name = é", 7, "unexpected character 'é'"),
        ("name ! 'a'", 5, "unexpected character '!'"),
        ("name = '\\q'", 8, "bad escape"),
        ("name = '\\u0000'", 7, "invalid character"),
        ("name = '\\ud800'", 7, "lone UTF-16 surrogate"),
        ("config.`a\x00b` = 1", 7, "invalid character"),
        ("(" * 65 + "name = 'a'" + ")" * 65, 64, "nested deeper than 64"),
        ("not " * 65 + "name = 'a'", 256, "nested deeper than 64"),
        (LONG, MAX_FILTER_LENGTH, f"the limit is {MAX_FILTER_LENGTH}"),
    ],
)
def test_filter_errors(text: str, position: int, message: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text)
    assert caught.value.position == position
    assert message in caught.value.message
    assert caught.value.message.endswith(f"at position {position}")


def test_deep_nesting_never_recurses_without_bound() -> None:
    with pytest.raises(InvalidFilter, match="nested deeper"):
        parse_filter("(" * 4000 + "name = 'a'" + ")" * 4000)
    with pytest.raises(InvalidFilter, match="nested deeper"):
        parse_filter("not " * 2400 + "name = 'a'")


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("created,", 8, "expected a field"),
        ("-", 1, "expected a field"),
        ("tags", 0, "cannot order by tags"),
        ("created name", 8, "expected ',' or the end"),
        ("foo", 0, "unknown field 'foo'"),
        ("config", 6, "config needs a key"),
        ('config.`a"b`', 7, "double quote"),
        ("-created desc", 9, "expected ',' or the end"),
    ],
)
def test_order_errors(text: str, position: int, message: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        run_order(text, "sqlite")
    assert caught.value.position == position
    assert message in caught.value.message


def test_blank_filter_is_no_filter() -> None:
    assert run_filter(None, "sqlite") is None
    assert run_filter("  \n", "postgresql") is None


def test_help_mentions_every_field() -> None:
    for name in ("config.", "summary.", "properties.", "job_type", "last_step", "tags"):
        assert name in FILTER_HELP


def test_user_text_only_reaches_sql_as_parameters() -> None:
    evil = "x); DROP TABLE runs; --"
    text = (
        f"config.`{evil}`.b = '{evil}' or summary.`{evil}` ~ '{evil}' or name < '{evil}' "
        f"or tags contains '{evil}' or properties.`{evil}` in ('{evil}', 1)"
    )
    for dialect, compiler in (
        ("sqlite", sqlite.dialect()),
        ("postgresql", postgresql.psycopg.dialect()),
    ):
        where = run_filter(text, dialect)
        assert where is not None
        order = run_order(f"config.`{evil}`.b,-summary.`{evil}`", dialect)
        statement = select(runs.c.id).where(where).order_by(*order)
        assert "DROP" not in str(statement.compile(dialect=compiler))


# -------------------------------------------------------------------- behaviour


def _run(run_id: str, name: str, created: float, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": run_id,
        "project_id": 1,
        "name": name,
        "state": "finished",
        "config": {},
        "summary": {},
        "tags": [],
        "properties": {},
        "notes": "",
        "group_name": None,
        "job_type": None,
        "host": None,
        "metadata": {},
        "created_at": created,
        "updated_at": created + 60,
        "ended_at": None,
        "last_step": None,
    }
    row.update(fields)
    return row


ROWS = [
    _run(
        "r01",
        "alpha",
        T0 - DAY,
        config={"lr": 0.001, "opt": "adam", "model": {"layers": 4, "act": "relu"}, "amp": True},
        summary={"train/acc": 0.95, "val/loss": 0.2},
        tags=["baseline", "gpu"],
        properties={"dataset": "mnist"},
        group_name="g1",
        job_type="train",
        host="h1",
        ended_at=T0 - DAY + 400,
        last_step=100,
    ),
    _run(
        "r02",
        "beta",
        T0 + 3600,
        state="running",
        config={"lr": 0.01, "opt": "sgd", "model": {"layers": 8}},
        summary={"train/acc": "NaN", "val/loss": 0.5},
        tags=["gpu"],
        properties={"dataset": "cifar"},
        group_name="g1",
        last_step=50,
    ),
    _run(
        "r03",
        "gamma",
        T0 + 2 * DAY,
        state="failed",
        config={"lr": "0.001", "opt": "Adam"},
        summary={"val/loss": "Infinity"},
        ended_at=T0 + 2 * DAY + 100,
    ),
    _run(
        "r04",
        "delta",
        T0 + 3 * DAY,
        config={"opt": None, "model": {"layers": "8"}},
        summary={"train/acc": 0.5, "val/loss": 0.1},
        tags=["baseline"],
        group_name="g2",
    ),
    _run(
        "r05",
        "Résumé ☃",
        T0 + 4 * DAY,
        config={"lr": None, "flag": False},
        summary={"train/acc": 0.9},
        notes='he said "hi" and it\'s 50% done_now \\o/',
        tags=["naïve tag", 'quote"tag'],
    ),
    _run(
        "r06",
        'quote"name',
        T0 + 5 * DAY,
        state="crashed",
        config={"lr": True, "weird key": 1, "a.b": 2, "back`tick": 3, "ré": "unicode key"},
        summary={"val loss": 3, "train/acc": 1},
    ),
    _run(
        "r07",
        "100% sure_thing",
        T0 + 6 * DAY,
        state="running",
        config={"lr": 1},
        summary={"train/acc": 0.99},
    ),
    _run(
        "r08",
        "eta",
        T0 + 7 * DAY,
        config={"lr": 1e-5, "model": {"layers": 2, "act": "gelu"}},
        summary={"val/loss": "NaN"},
    ),
    _run("r09", "theta", T0 + 8 * DAY, state="running", tags=["GPU"]),
    _run(
        "r10",
        "iota",
        T0 + 9 * DAY,
        config={"lr": [0.1, 0.2], "model": "resnet"},
        summary={"train/acc": "0.97"},
        last_step=10**12,
    ),
]
ALL = [row["id"] for row in ROWS]


def _seed(db: Database) -> Database:
    with db.write() as conn:
        conn.execute(
            insert(projects).values(id=1, name="p", description="", created_at=T0, updated_at=T0)
        )
        conn.execute(insert(runs), ROWS)
    return db


@pytest.fixture
def seeded(database: Database) -> Database:
    return _seed(database)


def _ids(db: Database, text: str | None, order: str | None = None) -> list[str]:
    statement = select(runs.c.id).order_by(*run_order(order, db.dialect))
    where = run_filter(text, db.dialect)
    if where is not None:
        statement = statement.where(where)
    with db.read() as conn:
        return list(conn.execute(statement).scalars())


def _but(*ids: str) -> list[str]:
    return [i for i in ALL if i not in ids]


FILTER_CASES: list[tuple[str, Sequence[str]]] = [
    # numbers only meet JSON numbers; strings, booleans, null and missing never match
    ("config.lr < 1e-3", ["r08"]),
    ("config.lr <= 1e-3", ["r01", "r08"]),
    ("config.lr = 0.001", ["r01"]),
    ("config.lr = 1", ["r07"]),
    ("config.lr == 1.0", ["r07"]),
    ("config.lr > 0", ["r01", "r02", "r07", "r08"]),
    ("config.lr >= -1e10", ["r01", "r02", "r07", "r08"]),
    ("config.lr != 0.01", ["r01", "r07", "r08"]),
    ("not config.lr = 0.01", _but("r02")),
    ("config.lr = '0.001'", ["r03"]),
    ("config.lr > '0'", ["r03"]),
    ("config.lr = true", ["r06"]),
    ("config.lr != false", ["r06"]),
    ("config.lr is null", ["r04", "r05", "r09"]),
    ("config.lr = null", ["r04", "r05", "r09"]),
    ("config.lr is not null", _but("r04", "r05", "r09")),
    ("config.lr in (0.001, '0.001', true)", ["r01", "r03", "r06"]),
    ("config.lr in (null, 1)", ["r04", "r05", "r07", "r09"]),
    ("config.lr not in (0.001, 1)", ["r02", "r08"]),
    ("config.lr not in (0.001, 'x')", ["r02", "r03", "r07", "r08"]),
    ("config.lr not in (null)", _but("r04", "r05", "r09")),
    ("not config.lr in (0.001, 1)", _but("r01", "r07")),
    # nested config, keys that need quoting
    ("config.model.layers >= 4", ["r01", "r02"]),
    ("config.model.layers = '8'", ["r04"]),
    ("config.model.layers is null", ["r03", "r05", "r06", "r07", "r09", "r10"]),
    ("config.model = 'resnet'", ["r10"]),
    ("config.model.act ~ 'EL'", ["r01", "r08"]),
    ("config.opt = 'adam'", ["r01"]),
    ("config.opt ~ 'ADAM'", ["r01", "r03"]),
    ("config.opt is null", _but("r01", "r02", "r03")),
    ("config.flag = false", ["r05"]),
    ("config.flag != true", ["r05"]),
    ("config.amp != false", ["r01"]),
    ("config.flag in (true, false)", ["r05"]),
    ("config.flag not in (true, false)", []),
    ("config.`weird key` = 1", ["r06"]),
    ("config.`a.b` = 2", ["r06"]),
    ("config.`back``tick` = 3", ["r06"]),
    ("config.`ré` = 'unicode key'", ["r06"]),
    ("config.lr.`0` is not null", []),  # a text key never indexes an array
    # summary: "NaN"/"Infinity" strings never meet numbers and never raise
    ("summary.train/acc > 0.9", ["r01", "r06", "r07"]),
    ("summary.`train/acc` >= 0.9", ["r01", "r05", "r06", "r07"]),
    ("summary.train/acc < 1", ["r01", "r04", "r05", "r07"]),
    ("summary.train/acc != 0.9", ["r01", "r04", "r06", "r07"]),
    ("summary.train/acc = 'NaN'", ["r02"]),
    ("summary.train/acc ~ 'nan'", ["r02"]),
    ("summary.val/loss < 0.3", ["r01", "r04"]),
    ("summary.val/loss > 0", ["r01", "r02", "r04"]),
    ("summary.val/loss in ('NaN', 'Infinity')", ["r03", "r08"]),
    ("summary.`val loss` = 3", ["r06"]),
    ("properties.dataset = 'mnist'", ["r01"]),
    ("properties.dataset in ('mnist', 'cifar')", ["r01", "r02"]),
    ("properties.dataset is null", _but("r01", "r02")),
    # columns
    ("id in ('r01', 'r02', 'nope')", ["r01", "r02"]),
    ("state = 'finished'", ["r01", "r04", "r05", "r08", "r10"]),
    ("state in ('running', 'failed')", ["r02", "r03", "r07", "r09"]),
    ("state not in ('running', 'failed')", ["r01", "r04", "r05", "r06", "r08", "r10"]),
    ("state > 'g'", ["r02", "r07", "r09"]),
    ("name = 'Résumé ☃'", ["r05"]),
    ("name ~ 'résumé'", ["r05"]),
    ("name = 'quote\"name'", ["r06"]),
    ('name = "quote\\"name"', ["r06"]),
    ("name ~ '%'", ["r07"]),
    ("name ~ '_'", ["r07"]),
    ("name ~ 'e_t'", ["r07"]),
    ("name ~ 'TA'", ["r02", "r04", "r08", "r09", "r10"]),
    ("notes ~ '50% done_'", ["r05"]),
    ("notes ~ '\"hi\" and it\\'s'", ["r05"]),
    ("notes ~ '\\\\o/'", ["r05"]),
    ("notes = ''", _but("r05")),
    ("group = 'g1'", ["r01", "r02"]),
    ("group != 'g1'", ["r04"]),
    ("not group = 'g1'", _but("r01", "r02")),
    ("group is null", _but("r01", "r02", "r04")),
    ("group in ('g1', null)", _but("r04")),
    ("group not in ('g2')", ["r01", "r02"]),
    ("group < 'g2'", ["r01", "r02"]),
    ("not group < 'g2'", _but("r01", "r02")),
    ("group ~ 'G'", ["r01", "r02", "r04"]),
    ("job_type = 'train' and host = 'h1'", ["r01"]),
    ("host is not null", ["r01"]),
    ("last_step > 60", ["r01", "r10"]),
    ("last_step >= 1e12", ["r10"]),
    ("last_step < 99.5", ["r02"]),
    ("last_step in (50, 100)", ["r01", "r02"]),
    ("last_step = null", _but("r01", "r02", "r10")),
    ("not last_step > 60", _but("r01", "r10")),
    # tags
    ("tags contains 'gpu'", ["r01", "r02"]),
    ("'baseline' in tags", ["r01", "r04"]),
    ("'gpu' not in tags", _but("r01", "r02")),
    ("tags contains 'quote\"tag' and tags contains 'naïve tag'", ["r05"]),
    ("tags contains ''", []),
    # times: epoch seconds or ISO dates (naive = UTC)
    ("created < '2026-01-01'", ["r01"]),
    ("created >= '2026-01-01T00:00:00Z'", _but("r01")),
    ("created < '2026-01-01T02:00:00+02:00'", ["r01"]),
    ("created <= '2026-01-01 01:00'", ["r01", "r02"]),
    (f"created = {T0 + 3600}", ["r02"]),
    (f"created < {T0}", ["r01"]),
    ("updated > '2026-01-10T00:00:30Z'", ["r10"]),
    ("ended > '2025-01-01'", ["r01", "r03"]),
    ("ended is null", _but("r01", "r03")),
    ("not ended > '2026-01-02'", _but("r03")),
    ("created in ('2025-12-31', '2026-01-01T01:00:00Z')", ["r01", "r02"]),
    # boolean structure
    (
        "(config.lr < 0.005 or summary.train/acc > 0.98) and not tags contains 'baseline'",
        ["r06", "r07", "r08"],
    ),
    ("NOT (config.lr > 0) AND state = 'finished'", ["r04", "r05", "r10"]),
    ("not not config.lr > 0", ["r01", "r02", "r07", "r08"]),
    ("Tags Contains 'gpu' Or Name Is Null", ["r01", "r02"]),
]


def test_filters_select_the_right_runs(seeded: Database) -> None:
    wrong = {}
    for text, expected in FILTER_CASES:
        got = _ids(seeded, text, "id")
        if got != sorted(expected):
            wrong[text] = (got, sorted(expected))
    assert not wrong, f"{seeded.dialect}: {wrong}"


ORDER_CASES: list[tuple[str | None, list[str]]] = [
    (None, ALL[::-1]),
    ("", ALL[::-1]),
    ("-created", ALL[::-1]),
    ("created", ALL),
    # numbers by value, then strings, then booleans, then missing/null/other (by id)
    ("config.lr", ["r08", "r01", "r02", "r07", "r03", "r06", "r04", "r05", "r09", "r10"]),
    ("-config.lr", ["r07", "r02", "r01", "r08", "r03", "r06", "r04", "r05", "r09", "r10"]),
    (
        "summary.train/acc",
        ["r04", "r05", "r01", "r07", "r06", "r10", "r02", "r03", "r08", "r09"],
    ),
    (
        "-summary.`train/acc`",
        ["r06", "r07", "r01", "r05", "r04", "r02", "r10", "r03", "r08", "r09"],
    ),
    ("config.model.layers", ["r08", "r01", "r02", "r04", "r03", "r05", "r06", "r07", "r09", "r10"]),
    # NULL columns last in both directions
    ("group,-created", ["r02", "r01", "r04", "r10", "r09", "r08", "r07", "r06", "r05", "r03"]),
    ("-group,created", ["r04", "r01", "r02", "r03", "r05", "r06", "r07", "r08", "r09", "r10"]),
    ("-ended", ["r03", "r01", "r02", "r04", "r05", "r06", "r07", "r08", "r09", "r10"]),
    ("ended", ["r01", "r03", "r02", "r04", "r05", "r06", "r07", "r08", "r09", "r10"]),
    ("last_step", ["r02", "r01", "r10", "r03", "r04", "r05", "r06", "r07", "r08", "r09"]),
    ("-last_step", ["r10", "r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09"]),
    # strings by code point on both databases; ties broken by id
    ("+name", ["r07", "r05", "r01", "r02", "r04", "r08", "r03", "r10", "r06", "r09"]),
    ("state", ["r06", "r03", "r01", "r04", "r05", "r08", "r10", "r02", "r07", "r09"]),
    ("-state,-id", ["r09", "r07", "r02", "r10", "r08", "r05", "r04", "r01", "r03", "r06"]),
    ("properties.dataset", ["r02", "r01", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10"]),
]


def test_orders(seeded: Database) -> None:
    wrong = {}
    for text, expected in ORDER_CASES:
        got = _ids(seeded, None, text)
        if got != expected:
            wrong[text] = (got, expected)
    assert not wrong, f"{seeded.dialect}: {wrong}"


def test_filter_and_order_together(seeded: Database) -> None:
    assert _ids(seeded, "config.lr > 0", "-config.lr") == ["r07", "r02", "r01", "r08"]


def test_order_ends_with_the_id_tiebreaker() -> None:
    for dialect in ("sqlite", "postgresql"):
        clauses = run_order("state", dialect)
        assert str(clauses[-1]) == str(runs.c.id.asc())
        assert len(run_order(None, dialect)) == 2


def test_long_filters_run(seeded: Database) -> None:
    # ~1250 terms: deeper than SQLite's expression limit of 1000 unless grouped.
    text = " ".join(["id=''or"] * ((MAX_FILTER_LENGTH - 20) // 8)) + " id = 'r03'"
    assert _ids(seeded, text) == ["r03"]
    text = "config.lr in (" + ",".join(["1"] * 4900) + ")"
    assert _ids(seeded, text) == ["r07"]
    text = " and ".join(["not config.lr = 5"] * 450)
    assert len(_ids(seeded, text)) == len(ALL)


def test_compile_rejects_hand_built_nonsense() -> None:
    with pytest.raises(InvalidFilter):
        compile_filter(Compare(Field("tags"), "<", Value("number", 3)), "sqlite")
    with pytest.raises(InvalidFilter):
        compile_filter(In(Field("name"), ()), "sqlite")
    with pytest.raises(InvalidFilter):
        compile_filter(Compare(Field("name"), "=", Value("number", 3)), "sqlite")
    with pytest.raises(InvalidFilter):
        compile_filter(Compare(Field("name"), "like", Value("string", "a")), "sqlite")
    with pytest.raises(InvalidFilter):
        compile_filter(Compare(Field("nope"), "=", Value("string", "a")), "sqlite")
    with pytest.raises(InvalidFilter):
        compile_filter(Compare(Field("config"), "=", Value("string", "a")), "sqlite")
    with pytest.raises(InvalidInput):
        compile_filter(Compare(Field("name"), "=", Value("string", "a")), "mysql")
    with pytest.raises(InvalidInput):
        run_order("name", "oracle")


# ------------------------------------------------------------------- properties

FRAGMENTS = [
    "config.lr",
    "config.model.layers",
    "summary.train/acc",
    "summary.`val loss`",
    "properties.dataset",
    "tags",
    "name",
    "created",
    "ended",
    "last_step",
    "group",
    "id",
    "=",
    "!=",
    "<",
    ">=",
    "~",
    "in",
    "not",
    "and",
    "or",
    "is",
    "null",
    "true",
    "contains",
    "(",
    ")",
    ",",
    "1",
    "-2.5e3",
    "1e400",
    "'NaN'",
    '"2026-01-01"',
    '"x%_\\\\"',
    "'\\u00e9'",
    "`",
    '"',
    "\\",
    ".",
    "-",
    "+",
]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


FIELDS = st.sampled_from(FRAGMENTS[:12]) | st.text(min_size=1, max_size=6).map(
    lambda key: "config.`" + key.replace("`", "``") + "`"
)
LITERALS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(_quoted),
    st.sampled_from(["true", "false", "null", "'NaN'", "'2026-01-01T00:00:00Z'"]),
)
COMPARISONS = st.one_of(
    st.tuples(FIELDS, st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "~"]), LITERALS).map(
        " ".join
    ),
    st.tuples(FIELDS, st.sampled_from(["in", "not in"]), st.lists(LITERALS, min_size=1)).map(
        lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"
    ),
    st.tuples(FIELDS, st.sampled_from(["is null", "is not null"])).map(" ".join),
    st.text(max_size=8).map(lambda tag: "tags contains " + _quoted(tag)),
)
GRAMMAR = st.recursive(
    COMPARISONS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
        inner.map(lambda text: f"not ({text})"),
    ),
    max_leaves=6,
)
TEXTS = st.one_of(
    GRAMMAR,
    st.text(max_size=40),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=8).map("".join),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXTS)
def test_any_text_runs_or_raises_invalid_filter(seeded: Database, text: str) -> None:
    """Random text either runs (as filter and as order) or raises InvalidFilter; never more."""
    for as_filter in (True, False):
        position = 0
        try:
            if as_filter:
                _ids(seeded, text)
            else:
                _ids(seeded, None, text)
        except InvalidFilter as exc:
            position = exc.position
        assert 0 <= position <= max(len(text), MAX_FILTER_LENGTH)

"""The hand-written MLflow filter parser agrees with MLflow's own (sqlparse-based) one."""

from __future__ import annotations

import pytest

from trailmark.errors import InvalidInput
from trailmark.store.mlflow.search import Comparison, OrderBy
from trailmark.store.mlflow.search_filter import (
    check_run_filter,
    compare,
    parse_filter,
    parse_order_by,
)

FILTERS = [
    "metrics.x > 1 and params.y = 'a' and tags.z != 'b' and attributes.status = 'FINISHED'",
    "metrics.`val loss` <= -1e-3",
    'metrics."my metric" >= 2.5',
    "params.model.lr = '0.01' AND tags.mlflow.runName LIKE 'bert%'",
    "tags.`a b` ILIKE '%X%'",
    "attributes.run_id IN ('a1', 'b2')",
    "attribute.run_id NOT IN ('a1')",
    "run_name = 'r'",
    "attributes.start_time > 1700000000000",
    "created < 5",
    "tags.t IS NULL and params.p IS NOT NULL",
    'param.x = "double quoted"',
    "metric.m = 3",
]


@pytest.mark.parametrize("text", FILTERS)
def test_parses_like_mlflow(text: str) -> None:
    from mlflow.utils.search_utils import SearchUtils

    theirs = SearchUtils.parse_search_filter(text)
    ours = parse_filter(text)
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        key = other["key"]
        if other["type"] == "attribute":
            key = SearchUtils.translate_key_alias(key)
        assert (mine.kind, mine.key, mine.op.upper()) == (
            other["type"],
            key,
            other["comparator"].upper(),
        )
        expected = other["value"]
        if other["type"] == "metric":
            expected = float(expected)
        assert mine.value == expected or (mine.value, expected) == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.loss DESC", OrderBy("metric", "loss", False)),
        ("start_time", OrderBy("attribute", "start_time", True)),
        ("params.`my key` asc", OrderBy("parameter", "my key", True)),
        ("tags.mlflow.runName", OrderBy("tag", "mlflow.runName", True)),
    ],
)
def test_order_by(text: str, expected: OrderBy) -> None:
    from mlflow.utils.search_utils import SearchUtils

    assert parse_order_by(text) == expected
    kind, key, ascending = SearchUtils.parse_order_by_for_search_runs(text)
    assert (kind, key, ascending) == (expected.kind, expected.key, expected.ascending)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("metrics.x > 1 or metrics.y > 2", "AND only"),
        ("metrics.x >", "ends too early"),
        ("metrics.x > 'a'", "number"),
        ("params.x = 1", "quoted string"),
        ("bogus.x = 'a'", "unknown entity"),
        ("metrics.x ~ 1", "unexpected text"),
        ("attributes.nope = 'a'", "invalid attribute"),
        ("params.x IN ('a')", "operator IN"),
        ("metrics.x = 1 metrics.y = 2", "expected AND"),
        ("run_id IN 'a'", "needs a list"),
    ],
)
def test_mistakes_are_explained(text: str, hint: str) -> None:
    with pytest.raises(InvalidInput, match=hint):
        check_run_filter(parse_filter(text))


def test_python_comparisons() -> None:
    like = Comparison("attribute", "name", "LIKE", "ab%")
    assert compare(like, "abc") and not compare(like, "ABC") and not compare(like, None)
    assert compare(Comparison("attribute", "name", "ILIKE", "ab_"), "ABC")
    assert compare(Comparison("attribute", "t", ">", 3), 4)
    assert compare(Comparison("tag", "k", "IS NULL"), None)
    ne = Comparison("tag", "k", "!=", "true")
    assert not compare(ne, None) and compare(ne, None, missing_differs=True)

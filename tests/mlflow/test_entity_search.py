"""Experiment and registry searches compiled to SQL select what MLflow's rules select, on
SQLite and PostgreSQL: each filter's SQL answer equals :func:`matches` over every item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trailmark.store.mlflow.paging import PageRequest
from trailmark.store.mlflow.search_filter import matches, parse_filter
from trailmark.store.store import Store

FILTERS = [
    "",
    "name = 'm-1'",
    "name != 'm-1'",
    "name LIKE 'm-%'",
    "name LIKE 'M-%'",
    "name ILIKE 'M-_'",
    "name IN ('m-1', 'm-3')",
    "name NOT IN ('m-1', 'm-3')",
    "tags.team = 'a'",
    "tags.team != 'a'",
    "tags.team IS NULL",
    "tags.team IS NOT NULL",
    "tags.team LIKE '%b%'",
    "tags.`mlflow.prompt.is_prompt` != 'true'",
    "tags.team = 'a' AND name != 'm-0'",
    "creation_timestamp > 0",
    "creation_timestamp < 0",
]


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Any:
    opened = Store.open(database_url, tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def _models_lookup(view: dict[str, Any]) -> Any:
    def lookup(kind: str, key: str) -> Any:
        if kind == "tag":
            return view["tags"].get(key)
        return {"name": view["name"], "creation_timestamp": round(view["created"] * 1000)}.get(key)

    return lookup


def test_registered_model_filters_select_what_mlflow_selects(store: Store) -> None:
    teams = ["a", "b", None, "ab", "a"]
    for i, team in enumerate(teams):
        store.registry.create_model(f"m-{i}", tags={} if team is None else {"team": team})
    every = store.registry.list_models()
    for text in FILTERS:
        expected = sorted(
            v["name"]
            for v in every
            if matches(parse_filter(text), _models_lookup(v), missing_differs=True)
        )
        page = store.mlflow.registry.search_models(text, [], PageRequest(1000))
        assert [v["name"] for v in page.items] == expected, text


def test_experiment_filters_select_what_mlflow_selects(store: Store) -> None:
    experiments = store.mlflow.experiments
    for i, team in enumerate(["a", "b", None, "ab"]):
        tags = {} if team is None else {"team": team}
        if i == 1:
            tags["mlflow.note.content"] = "notes"
        experiments.create(f"m-{i}", tags)
    every = [experiments.by_name(f"m-{i}") for i in range(4)] + [experiments.ensure_default()]

    def lookup(exp: Any) -> Any:
        def value(kind: str, key: str) -> Any:
            if kind == "tag":
                return exp.tags.get(key)
            return {"name": exp.name, "creation_timestamp": round(exp.created_at * 1000)}.get(key)

        return value

    for text in [
        *(f for f in FILTERS if "creation" not in f and "prompt" not in f),
        "tags.`mlflow.note.content` = 'notes'",
        "tags.`mlflow.note.content` IS NULL",
    ]:
        expected = sorted(e.name for e in every if matches(parse_filter(text), lookup(e)))
        page = experiments.search(text, ["name ASC"], "ALL", PageRequest(1000))
        assert [e.name for e in page.items] == expected, text


def test_orders_put_missing_values_last_both_ways(store: Store) -> None:
    for name, team in [("x", "b"), ("y", None), ("z", "a")]:
        store.registry.create_model(name, tags={} if team is None else {"team": team})
    search = store.mlflow.registry.search_models
    assert [v["name"] for v in search(None, ["tag.team ASC"], PageRequest(10)).items] == [
        "z",
        "x",
        "y",
    ]
    assert [v["name"] for v in search(None, ["tag.team DESC"], PageRequest(10)).items] == [
        "x",
        "z",
        "y",
    ]

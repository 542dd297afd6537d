"""The NUL encoding of stored values (:mod:`trailmark.store.nul`): exact, invisible for the
strings that need none, and the same rows read back on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from trailmark.store.database import Database, json_text, json_value
from trailmark.store.nul import MARK, decode_text, encode_text
from trailmark.store.runs import RunStore
from trailmark.store.schema import projects, runs

TRICKY = [
    "",
    "plain",
    "\x00",
    "a\x00b",
    "%00",
    "%2500\x00%",
    "\x00%00%25%",
    MARK,
    MARK + "%00",
    "x" + MARK + "\x00",
    "ünï\x00cødé ✓",
]


@pytest.mark.parametrize("value", TRICKY)
def test_text_round_trips_exactly(value: str) -> None:
    assert decode_text(encode_text(value)) == value
    assert "\x00" not in encode_text(value)


def test_strings_without_nul_or_mark_are_stored_as_they_are() -> None:
    for value in ("plain", "%00", "50% done", "x" + MARK):
        assert encode_text(value) == value
    document = {"lr": 0.1, "name": "bert", "tags": ["a", "%00"], "nested": {"k": None}}
    assert json_text(document) == json.dumps(document, separators=(",", ":"))


def test_json_documents_round_trip_with_nul_in_keys_and_values() -> None:
    document: dict[str, Any] = {
        "values": TRICKY,
        "a\x00key": {"deep": ["\x00", 1, 2.5, None, True]},
        MARK: MARK,
    }
    text = json_text(document)
    assert "\\u0000" not in text  # PostgreSQL's jsonb refuses the escape
    assert json_value(text) == document
    assert json_value(text.encode()) == document


def test_stored_rows_read_back_equal_on_both_databases(database: Database) -> None:
    store = RunStore(database)
    store.create_project("p", "a\x00description")
    run = store.create_run("p", {"name": "r", "config": {"v": TRICKY}, "notes": "n\x00"})
    with database.write() as conn:
        conn.execute(update(runs).where(runs.c.id == run["id"]).values(error="e\x00"))
    with database.read() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run["id"])).one()
        description = conn.execute(select(projects.c.description)).scalar_one()
    assert (row.config, row.notes, row.error) == ({"v": TRICKY}, "n\x00", "e\x00")
    assert description == "a\x00description"

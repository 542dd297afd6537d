"""Console lines in the store: numbered per run, paged, tailed, filtered and searched (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from trailmark.errors import InvalidInput, NotFound
from trailmark.limits import MAX_CONSOLE_LINE_CHARS
from trailmark.store.database import Database
from trailmark.store.ingest import Envelope, validate
from trailmark.store.migrations import MIGRATIONS, migrate
from trailmark.store.store import Store

ENV = Envelope(run_id="run1", project="proj", writer="w1")


def log(q: int, *lines: tuple[str, str]) -> dict[str, Any]:
    return {"t": "log", "q": q, "lines": [[1000.0 + q, s, text] for s, text in lines]}


def texts(page: dict[str, Any]) -> list[str]:
    return [line["text"] for line in page["lines"]]


def test_lines_are_numbered_in_order_across_batches_and_writers(store: Store) -> None:
    store.ingestor.ingest(ENV, [log(1, ("stdout", "a"), ("stderr", "b")), log(2, ("stdout", "c"))])
    other = Envelope(run_id="run1", project="proj", writer="w2", rank=1)
    store.ingestor.ingest(other, [log(1, ("stdout", "from rank 1"))])
    store.ingestor.ingest(ENV, [log(3, ("stdout", "d"))])
    page = store.console.lines("run1")
    assert page["next"] is None
    assert [(x["n"], x["stream"], x["rank"], x["text"]) for x in page["lines"]] == [
        (1, "stdout", None, "a"),
        (2, "stderr", None, "b"),
        (3, "stdout", None, "c"),
        (4, "stdout", 1, "from rank 1"),
        (5, "stdout", None, "d"),
    ]
    assert page["lines"][0]["time"] == 1001.0
    assert texts(store.console.lines("run1", rank=1)) == ["from rank 1"]
    assert texts(store.console.lines("run1", rank=0)) == ["a", "b", "c", "d"]


def test_a_replayed_batch_adds_no_lines(store: Store) -> None:
    batch = [log(1, ("stdout", "once"))]
    store.ingestor.ingest(ENV, batch)
    store.ingestor.ingest(ENV, batch)
    assert texts(store.console.lines("run1")) == ["once"]


def test_pages_follow_the_tail(store: Store) -> None:
    store.ingestor.ingest(ENV, [log(q, ("stdout", f"line {q}")) for q in range(1, 26)])
    first = store.console.lines("run1", limit=10)
    assert texts(first) == [f"line {q}" for q in range(1, 11)] and first["next"] == 10
    second = store.console.lines("run1", after=first["next"], limit=10)
    third = store.console.lines("run1", after=second["next"], limit=10)
    assert texts(third) == [f"line {q}" for q in range(21, 26)] and third["next"] is None
    store.ingestor.ingest(ENV, [log(26, ("stdout", "new"))])
    assert texts(store.console.lines("run1", after=25)) == ["new"]
    tail = store.console.lines("run1", limit=3, tail=True)
    assert texts(tail) == ["line 24", "line 25", "new"] and tail["next"] is None
    back = store.console.lines("run1", before=24, limit=2, tail=True)
    assert texts(back) == ["line 22", "line 23"]


def test_stream_and_search(store: Store) -> None:
    store.ingestor.ingest(
        ENV,
        [
            log(1, ("stdout", "Epoch 1 LOSS 0.5"), ("stderr", "Warning: 100% sure")),
            log(2, ("stdout", "epoch 2 loss 0.4"), ("stdout", "done_now")),
        ],
    )
    assert texts(store.console.lines("run1", stream="stderr")) == ["Warning: 100% sure"]
    assert texts(store.console.lines("run1", search="loss")) == [
        "Epoch 1 LOSS 0.5",
        "epoch 2 loss 0.4",
    ]
    assert texts(store.console.lines("run1", search="100%")) == ["Warning: 100% sure"]
    assert texts(store.console.lines("run1", search="e_n")) == ["done_now"]
    assert texts(store.console.lines("run1", search="%")) == ["Warning: 100% sure"]


def test_nul_characters_and_overlong_lines_are_stored_safely(store: Store) -> None:
    store.ingestor.ingest(
        ENV, [log(1, ("stdout", "a\x00b"), ("stdout", "x" * (MAX_CONSOLE_LINE_CHARS + 5)))]
    )
    nul, long = texts(store.console.lines("run1"))
    assert nul == "a\ufffdb"
    assert long.startswith("x" * MAX_CONSOLE_LINE_CHARS) and long.endswith("characters]")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("text", "list of"),
        ([[1.0, "stdout"]], "time, stream, text"),
        ([["now", "stdout", "x"]], "not a number"),
        ([[1.0, "stdin", "x"]], "stdout"),
        ([[1.0, "stdout", 5]], "not a string"),
    ],
)
def test_malformed_log_records_are_refused(lines: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate([{"t": "log", "q": 1, "lines": lines}])


def test_reading_checks_the_run_and_the_arguments_and_deleting_the_run_deletes_its_lines(
    store: Store,
) -> None:
    with pytest.raises(NotFound):
        store.console.lines("nope")
    store.ingestor.ingest(ENV, [log(1, ("stdout", "x"))])
    with pytest.raises(InvalidInput, match="stream"):
        store.console.lines("run1", stream="stdin")
    with pytest.raises(InvalidInput, match="limit"):
        store.console.lines("run1", limit=0)
    store.runs.delete_run("proj", "run1")
    store.ingestor.ingest(ENV, [{"t": "m", "q": 1, "s": 0, "w": 0.0, "d": {"a": 1.0}}])
    assert texts(store.console.lines("run1")) == []


def test_the_migration_is_idempotent(database: Database) -> None:
    console = dict(MIGRATIONS)["0002_console"]
    with database.write() as conn:
        console(conn)  # the tables exist already: every step is idempotent
    assert migrate(database) == []

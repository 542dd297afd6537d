"""Pipelined writes: applied like any others, and a failure raised as SQLAlchemy's error."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from trailmark.store.database import Database, json_value
from trailmark.store.dialect import execute_many, pipelined
from trailmark.store.schema import projects


def _add_projects(database: Database, names: list[str]) -> None:
    with database.write() as conn, pipelined(conn):
        execute_many(
            conn,
            "INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, '', 0, 0)",
            [(name,) for name in names],
        )
        execute_many(
            conn, "UPDATE projects SET description = ? WHERE name = ?", [("first", names[0])]
        )


def test_pipelined_writes_are_applied_in_order(database: Database) -> None:
    _add_projects(database, ["a", "b"])
    with database.read() as conn:
        rows = conn.execute(select(projects.c.name, projects.c.description)).all()
    assert sorted(rows) == [("a", "first"), ("b", "")]


def test_a_failing_pipelined_write_raises_sqlalchemys_error_and_keeps_nothing(
    database: Database,
) -> None:
    _add_projects(database, ["a"])
    with pytest.raises(DBAPIError) as raised:
        _add_projects(database, ["c", "a"])  # "a" exists: a unique violation, found at sync
    assert isinstance(raised.value, IntegrityError)
    with database.read() as conn:
        assert conn.execute(select(projects.c.name)).scalars().all() == ["a"]


def test_driver_level_statements_raise_sqlalchemys_errors(database: Database) -> None:
    from trailmark.store.dialect import fetch_all

    _add_projects(database, ["a"])
    with pytest.raises(IntegrityError), database.write() as conn:
        execute_many(
            conn,
            "INSERT INTO projects (name, description, created_at, updated_at) VALUES (?, '', 0, 0)",
            [("a",)],
        )
    with pytest.raises(DBAPIError), database.read() as conn:
        fetch_all(conn, "SELECT no_such_column FROM projects WHERE name = ?", ("a",))
    with database.read() as conn:
        assert fetch_all(conn, "SELECT name FROM projects WHERE name = ?", ("a",)) == [("a",)]


def test_insert_many_and_update_many_write_every_row(database: Database) -> None:
    from trailmark.store.dialect import insert_many, update_many

    names = ["a", "b", 'quote " and \\ back', "ünïcode ✓"]
    columns = [("name", "text"), ("description", "text"), ("created_at", "float8")]
    columns += [("updated_at", "float8")]
    with database.write() as conn:
        insert_many(conn, "projects", columns, [(n, "", 1.5, 0.0) for n in names])
    with database.read() as conn:
        ids = {n: i for n, i in conn.execute(select(projects.c.name, projects.c.id))}
    assert sorted(ids) == sorted(names)
    with database.write() as conn:
        update_many(
            conn,
            "projects",
            ("id", "bigint"),
            [("description", "text"), ("properties", "jsonb"), ("updated_at", "float8")],
            [(f"about {n}", f'{{"k": "{i}"}}', 2.0 + i, ids[n]) for i, n in enumerate(names)],
        )
    with database.read() as conn:
        rows = conn.execute(
            select(projects.c.name, projects.c.description, projects.c.properties)
        ).all()
    assert sorted(rows) == sorted((n, f"about {n}", {"k": str(i)}) for i, n in enumerate(names))


def test_insert_many_raises_sqlalchemys_error_and_keeps_nothing(database: Database) -> None:
    from trailmark.store.dialect import insert_many

    _add_projects(database, ["a"])
    columns = [("name", "text"), ("description", "text"), ("created_at", "float8")]
    columns += [("updated_at", "float8")]
    with pytest.raises(IntegrityError), database.write() as conn:
        insert_many(conn, "projects", columns, [("b", "", 0.0, 0.0), ("a", "", 0.0, 0.0)])
    with database.read() as conn:
        assert conn.execute(select(projects.c.name)).scalars().all() == ["a"]


def test_fetch_together_answers_each_query_as_fetch_all_does(database: Database) -> None:
    from trailmark.store.dialect import fetch_all, fetch_together

    _add_projects(database, ["a", "b", "c"])
    queries = [
        ("SELECT name FROM projects WHERE name IN (?, ?) ORDER BY name", ("a", "c")),
        ("SELECT description FROM projects WHERE name = ?", ("a",)),
        ("SELECT name FROM projects WHERE name = ?", ("nobody",)),
    ]
    with database.read() as conn:
        together = fetch_together(conn, queries)
        one_by_one = [fetch_all(conn, sql, params) for sql, params in queries]
    assert together == one_by_one == [[("a",), ("c",)], [("first",)], []]
    with pytest.raises(DBAPIError), database.read() as conn:
        fetch_together(conn, [queries[0], ("SELECT no_such_column FROM projects", ())])


def test_insert_new_returns_what_it_inserted_and_skips_what_exists(database: Database) -> None:
    from trailmark.store import dialect

    _add_projects(database, ["a"])
    columns = [("name", "text"), ("description", "text"), ("properties", "jsonb")]
    columns += [("created_at", "float8"), ("updated_at", "float8")]
    names = ["a", "b", 'quote " and \\ back', "ünïcode ✓"]
    rows = [(n, f"about {n}", orjson.dumps({"n": n}).decode(), 1.5, 0.0) for n in names]
    with database.write() as conn:
        created = dialect.insert_new(conn, "projects", columns, rows, ["name", "properties"])
    back = {name: json_value(p) if isinstance(p, str) else p for name, p in created}
    assert back == {n: {"n": n} for n in names[1:]}, "the existing row is skipped, not returned"
    with database.read() as conn:
        descriptions = dict(conn.execute(select(projects.c.name, projects.c.description)).all())
    assert descriptions["a"] == "first" and descriptions["b"] == "about b"


def test_insert_new_splits_many_rows_into_statements_sqlite_accepts(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trailmark.store import dialect

    monkeypatch.setattr(dialect, "_SQLITE_MAX_VALUES", 12)
    columns = [("name", "text"), ("description", "text"), ("created_at", "float8")]
    columns += [("updated_at", "float8")]
    rows = [(f"p{i}", "", 0.0, 0.0) for i in range(25)]
    with database.write() as conn:
        created = dialect.insert_new(conn, "projects", columns, rows, ["name"])
        assert dialect.insert_new(conn, "projects", columns, [], ["name"]) == []
    assert sorted(name for (name,) in created) == sorted(r[0] for r in rows)

"""Migrations replay: a database upgraded from any earlier migration has exactly the declared
schema (``schema.metadata.create_all``) and keeps its rows, on SQLite and PostgreSQL.

The schemas are compared through SQLAlchemy's inspector: tables, columns (in order, with
type, nullability, default and autoincrement), primary keys, indexes, unique, check and
foreign-key constraints, and on PostgreSQL each column's storage (what 0006 changes).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Integer, LargeBinary, column, inspect, select, table, text
from sqlalchemy.types import TypeEngine

from trailmark.store import migrations, schema
from trailmark.store.database import Database
from trailmark.store.ingest import Envelope
from trailmark.store.migrations import MIGRATIONS, migrate
from trailmark.store.store import Store

NAMES = [name for name, _ in MIGRATIONS]
T = 1_790_000_000.5
DIGEST = "ab" * 32


def schema_of(db: Database) -> dict[str, Any]:
    """Everything the inspector tells of ``db``'s tables, in a form that compares with ==."""
    with db.read() as conn:
        inspector = inspect(conn)
        # one query per kind for all tables (get_multi_*), not one per table and kind
        columns = inspector.get_multi_columns()
        primary_keys = inspector.get_multi_pk_constraint()
        indexes = inspector.get_multi_indexes()
        uniques = inspector.get_multi_unique_constraints()
        checks = inspector.get_multi_check_constraints()
        foreign_keys = inspector.get_multi_foreign_keys()
        found: dict[str, Any] = {}
        for key in sorted(columns, key=repr):
            pk = primary_keys[key]
            found[key[1]] = {
                "columns": [
                    (
                        c["name"],
                        str(c["type"].compile(dialect=conn.dialect)),
                        c["nullable"],
                        c["default"],
                        c.get("autoincrement"),
                    )
                    for c in columns[key]
                ],
                "primary_key": (pk["name"], pk["constrained_columns"]),
                "indexes": sorted(
                    ((i["name"], i["column_names"], i["unique"]) for i in indexes[key]), key=repr
                ),
                "unique": sorted(((u["name"], u["column_names"]) for u in uniques[key]), key=repr),
                "checks": sorted(((c["name"], c["sqltext"]) for c in checks[key]), key=repr),
                "foreign_keys": sorted(
                    (
                        (
                            f["name"],
                            f["constrained_columns"],
                            f["referred_table"],
                            f["referred_columns"],
                            sorted(f["options"].items()),
                        )
                        for f in foreign_keys[key]
                    ),
                    key=repr,
                ),
            }
        if not db.is_sqlite:
            storage = conn.execute(
                text(
                    "SELECT c.relname, a.attname, a.attstorage FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                    "AND a.attnum > 0 AND NOT a.attisdropped"
                )
            )
            for relname, attname, attstorage in storage:
                found[relname].setdefault("storage", {})[attname] = attstorage
    return found


def assert_same_schema(found: dict[str, Any], declared: dict[str, Any]) -> None:
    assert sorted(found) == sorted(declared), "the same tables"
    for name, tables in declared.items():
        assert found[name] == tables, f"table {name} differs from its declaration"


def declared_schema(url: str) -> dict[str, Any]:
    """The schema of a fresh database made from ``schema.py`` (all of its tables)."""
    db = Database(url)
    try:
        with db.write() as conn:
            schema.metadata.create_all(conn)
        return schema_of(db)
    finally:
        db.dispose()


def _type_of(value: Any) -> TypeEngine[Any] | None:
    if isinstance(value, dict | list):
        return schema.Json
    return LargeBinary() if isinstance(value, bytes) else None


class Seeds:
    """Rows written as the code of each migration's time wrote them, kept to check after."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.ids: dict[str, Any] = {}

    def insert(self, conn: Connection, table_name: str, /, **values: Any) -> Any:
        """Insert one row into table ``table_name``; return its new ``id`` where the table numbers
        its rows. Only the columns given are named, as the code of that time named them."""
        columns = [column(key, _type_of(value)) for key, value in values.items()]
        numbered = "id" not in values and "id" in schema.metadata.tables[table_name].c
        target = table(table_name, *columns, *([column("id", Integer)] if numbered else []))
        statement = target.insert().values(**values)
        if numbered:
            values["id"] = conn.execute(statement.returning(target.c.id)).scalar_one()
        else:
            conn.execute(statement)
        self.rows.setdefault(table_name, []).append(values)
        return values.get("id")

    def check(self, db: Database) -> None:
        """Every seeded row is still there, read through today's tables."""
        with db.read() as conn:
            for name, expected in self.rows.items():
                current = schema.metadata.tables[name]
                stored = [dict(r._mapping) for r in conn.execute(select(current))]
                for row in expected:
                    matches = [s for s in stored if all(s[k] == v for k, v in row.items())]
                    assert len(matches) == 1, (name, row, stored)


def seed_initial(conn: Connection, seeds: Seeds) -> None:
    project = seeds.insert(conn, "projects", name="old", description="", created_at=T, updated_at=T)
    seeds.ids["project"] = project
    seeds.insert(
        conn,
        "runs",
        id="r1",
        project_id=project,
        name="first",
        state="running",
        config={"lr": 0.1, "layers": [64, 32]},
        summary={"loss": 0.25},
        tags=["baseline"],
        properties={"owner": "ana"},
        notes="",
        group_name="g",
        job_type=None,
        host="gpu1",
        metadata={"git": {"commit": "abc123"}},
        created_at=T,
        updated_at=T,
        heartbeat_at=T,
        last_step=9,
    )
    series = seeds.insert(
        conn,
        "series",
        run_id="r1",
        key="loss",
        summary_mode="min",
        stats={"n": 10},
        open_chunks=0,
    )
    seeds.insert(
        conn,
        "chunks",
        series_id=series,
        npoints=10,
        step_min=0,
        step_max=9,
        steps=b"\x00steps",
        times=b"\x00times",
        vals=b"\x00vals",
    )
    seeds.insert(
        conn,
        "writers",
        run_id="r1",
        writer_id="w1",
        last_seq=3,
        rank=0,
        host="gpu1",
        created_at=T,
        updated_at=T,
    )


def seed_console(conn: Connection, seeds: Seeds) -> None:
    seeds.insert(
        conn, "console_lines", run_id="r1", n=1, time=T, stream="stdout", rank=None, text="hi"
    )
    seeds.insert(conn, "run_metadata", run_id="r1", path="environment", value=["numpy==2"])


def seed_artifacts(conn: Connection, seeds: Seeds) -> None:
    project = seeds.ids["project"]
    seeds.insert(conn, "blobs", digest=DIGEST, size=3, created_at=T, touched_at=T)
    seeds.insert(
        conn,
        "upload_sessions",
        id="u1",
        project_id=project,
        digest=DIGEST,
        size=3,
        received=0,
        parts=[],
        handle="h",
        created_at=T,
        updated_at=T,
    )
    manifest = seeds.insert(conn, "manifests", digest=DIGEST, file_count=1, size=3, created_at=T)
    seeds.insert(
        conn, "manifest_entries", manifest_id=manifest, path="a.txt", size=3, digest=DIGEST
    )
    artifact = seeds.insert(
        conn,
        "artifacts",
        project_id=project,
        name="data",
        type="dataset",
        description="",
        created_at=T,
        updated_at=T,
    )
    version = seeds.insert(
        conn,
        "artifact_versions",
        artifact_id=artifact,
        version=0,
        manifest_id=manifest,
        digest=DIGEST,
        size=3,
        file_count=1,
        metadata={"rows": 3},
        description="",
        run_id="r1",
        created_by="ana",
        created_at=T,
    )
    seeds.insert(
        conn,
        "artifact_aliases",
        artifact_id=artifact,
        alias="latest",
        version_id=version,
        updated_at=T,
    )
    seeds.insert(conn, "artifact_usage", run_id="r1", version_id=version, created_at=T)
    seeds.insert(
        conn,
        "run_files",
        run_id="r1",
        path="out.log",
        size=3,
        digest=DIGEST,
        created_at=T,
        updated_at=T,
    )
    model = seeds.insert(
        conn,
        "registered_models",
        name="clf",
        description="",
        tags={"team": "x"},
        created_by="ana",
        created_at=T,
        updated_at=T,
    )
    model_version = seeds.insert(
        conn,
        "model_versions",
        model_id=model,
        version=1,
        stage="None",
        description="",
        tags={},
        manifest_id=manifest,
        digest=DIGEST,
        size=3,
        file_count=1,
        source="runs:/r1/model",
        source_project="old",
        source_run_id="r1",
        artifact_version_id=version,
        created_by="ana",
        created_at=T,
        updated_at=T,
    )
    seeds.insert(
        conn,
        "model_aliases",
        model_id=model,
        alias="champion",
        version_id=model_version,
        updated_by="ana",
        updated_at=T,
    )
    seeds.insert(
        conn,
        "model_events",
        model_id=model,
        version=1,
        kind="version_created",
        data={},
        user_name="ana",
        created_at=T,
    )
    hook = seeds.insert(
        conn,
        "webhooks",
        url="http://127.0.0.1:9/hook",
        secret="s",
        events=["version_created"],
        model=None,
        description="",
        active=True,
        created_by="ana",
        created_at=T,
        updated_at=T,
    )
    seeds.insert(
        conn,
        "webhook_deliveries",
        webhook_id=hook,
        event="version_created",
        payload="{}",
        status="pending",
        attempts=0,
        next_attempt_at=T,
        log=[],
        created_at=T,
    )


def seed_mlflow(conn: Connection, seeds: Seeds) -> None:
    gone = seeds.insert(
        conn,
        "projects",
        name="gone",
        description="",
        created_at=T,
        updated_at=T,
        deleted_at=T + 1,
        properties={"mlflow.note": "x"},
    )
    seeds.insert(
        conn,
        "logged_models",
        id="m-1",
        project_id=gone,
        run_id=None,
        name="model",
        status="READY",
        tags={},
        params={"alpha": "1"},
        files={},
        created_at=T,
        updated_at=T,
    )


def seed_chunk_sketches(conn: Connection, seeds: Seeds) -> None:
    seeds.insert(
        conn,
        "chunks",
        series_id=seeds.rows["series"][0]["id"],
        npoints=1,
        step_min=10,
        step_max=10,
        steps=b"s",
        times=b"t",
        vals=b"v",
        sketch=b"sketch",
    )


SEEDS: dict[str, Callable[[Connection, Seeds], None]] = {
    "0001_initial": seed_initial,
    "0002_console": seed_console,
    "0003_artifacts": seed_artifacts,
    "0004_mlflow": seed_mlflow,
    "0005_chunk_sketches": seed_chunk_sketches,
}


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_a_fresh_database_has_the_declared_schema(database_url: str, fresh_url: str) -> None:
    """The drift test: a change to schema.py without a migration fails here."""
    db = Database(database_url)
    try:
        assert migrate(db) == NAMES
        assert_same_schema(schema_of(db), declared_schema(fresh_url))
    finally:
        db.dispose()


@pytest.mark.parametrize("last", NAMES)
def test_an_upgrade_from_every_earlier_migration_equals_a_fresh_database(
    database_url: str, fresh_url: str, last: str
) -> None:
    db = Database(database_url)
    seeds = Seeds()
    try:
        for name in NAMES[: NAMES.index(last) + 1]:
            assert migrate(db, upto=name) == [name]
            if name in SEEDS:
                with db.write() as conn:
                    SEEDS[name](conn, seeds)
        assert migrate(db) == NAMES[NAMES.index(last) + 1 :]
        assert migrate(db) == []
        assert_same_schema(schema_of(db), declared_schema(fresh_url))
        seeds.check(db)

        store = Store(db)
        assert store.runs.get_run("old", "r1")["config"] == {"lr": 0.1, "layers": [64, 32]}
        writer = Envelope(run_id="r1", project="old", writer="w2")
        store.ingestor.ingest(writer, [{"t": "m", "q": 1, "s": 10, "w": T, "d": {"acc": 0.5}}])
        assert store.metrics.points("r1", "acc").steps.tolist() == [10]
    finally:
        db.dispose()


def test_a_database_made_before_the_migrations_were_frozen_upgrades(
    database_url: str, fresh_url: str
) -> None:
    """The old 0001 created every table of its day at once; the later steps then found
    their tables there. Such a database (here at its most: today's tables with only 0001
    recorded) still upgrades to the declared schema."""
    db = Database(database_url)
    try:
        with db.write() as conn:
            schema.metadata.create_all(conn)
            conn.execute(schema.migrations_table.insert().values(name=NAMES[0], applied_at=T))
        assert migrate(db) == NAMES[1:]
        assert_same_schema(schema_of(db), declared_schema(fresh_url))
    finally:
        db.dispose()


def test_every_migration_module_is_listed_in_order_and_frozen() -> None:
    modules = sorted(Path(migrations.__file__).parent.glob("m[0-9]*.py"))
    assert [path.stem.removeprefix("m") for path in modules] == NAMES
    for path in modules:  # today's declarations would change what an old migration creates
        imports = re.findall(r"^(?:from|import) (\S+)", path.read_text(), re.MULTILINE)
        assert not [m for m in imports if m.startswith("trailmark.store.schema")], path.name


def test_upto_names_a_migration(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(ValueError, match="0001_initial"):
            migrate(db, upto="0001")
        assert migrate(db, upto=NAMES[1]) == NAMES[:2]
        assert migrate(db, upto=NAMES[0]) == []
        assert migrate(db) == NAMES[2:]
    finally:
        db.dispose()


CHILD = """
import json, sys
from trailmark.store.database import Database
from trailmark.store.migrations import migrate
db = Database(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(migrate(db)), flush=True)
db.dispose()
"""


def test_two_processes_migrating_an_empty_database_apply_each_migration_once(
    database_url: str,
) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        for child in children:  # both are past their imports: released together
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=120)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [child.returncode for child in children] == [0, 0]
    applied = [json.loads(out) for out in outputs]
    assert sorted(applied[0] + applied[1]) == NAMES, "each migration applied by one of them"
    db = Database(database_url)
    try:
        with db.read() as conn:
            recorded = conn.execute(select(schema.migrations_table.c.name)).scalars().all()
    finally:
        db.dispose()
    assert sorted(recorded) == NAMES

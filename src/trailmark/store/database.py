"""Engine creation and transaction helpers; the dialect-specific wiring lives here."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError

from trailmark.errors import InvalidInput, StorageFull
from trailmark.private_files import create_private_file, make_private_dir
from trailmark.redact import display_url
from trailmark.store import nul

SQLITE_FILE_NAME = "trailmark.db"


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``sqlite:///path``; pick the drivers we ship with."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    raise InvalidInput(
        f"unsupported database URL {display_url(url)!r}: "
        "use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def sqlite_url_for_dir(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / SQLITE_FILE_NAME}"


def json_text(value: Any) -> str:
    """JSON columns' serializer: orjson (several times faster: 10,000 series stats per
    wide step), else the standard library, whose output is ASCII-only: text holding other
    characters, and what orjson refuses (subclasses, odd keys). Stored JSON stays escaped
    as filters expect it (see :func:`trailmark.store.filter_sql.sqlite_json_path`).
    Strings holding NUL are encoded (:mod:`trailmark.store.nul`): PostgreSQL refuses them."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(nul.encode_json(value))
    if nul.json_needs_encoding(text):
        value = nul.encode_json(value)
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    return text.decode() if text.isascii() else json.dumps(value)


def json_value(text: str | bytes) -> Any:
    """JSON columns' deserializer: orjson, or the standard library for its extensions."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = json.loads(text)
    return nul.decode_json(value) if nul.json_may_hold_encoded(text) else value


_JSON_CODEC: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": json_value}


class Database:
    """An engine plus the two kinds of transaction the store uses: read and write."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                # 0700 folders, a 0600 file: SQLite gives -wal and -shm the file's mode
                make_private_dir(Path(database).parent)
                create_private_file(Path(database))
            self.engine = create_engine(self.url, echo=echo, **_JSON_CODEC)
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                self.url,
                echo=echo,
                pool_pre_ping=True,
                pool_size=8,
                max_overflow=16,
                **_JSON_CODEC,
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _nul_refused(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, so writers queue, never deadlock."""
        try:
            with (
                _nul_refused(),
                self.engine.connect().execution_options(trailmark_write=True) as conn,
                conn.begin(),
            ):
                yield conn
        except OperationalError as exc:
            if _is_disk_full(exc):
                raise StorageFull(
                    "the database's disk is full; nothing of this request was written. "
                    "Free space on the server and retry."
                ) from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _nul_refused() -> Iterator[None]:
    """PostgreSQL's refusal of a NUL character as a 400, not a 500. Values are stored
    losslessly (:mod:`trailmark.store.nul`) and names with one are refused before they get
    here (:mod:`trailmark.validation`): this is the net under a name no check has seen."""
    try:
        yield
    except DataError as exc:
        if "NUL" not in str(exc.orig) and "\\u0000" not in str(exc.orig):
            raise
        raise InvalidInput(
            "a name or key in this request contains a NUL character (U+0000); remove it"
        ) from exc


def _is_disk_full(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database or disk is full" in text or "no space left" in text


BUSY_TIMEOUT = 60.0
"""Seconds a SQLite connection waits for another's lock before it reports the database busy."""


def enable_wal(cursor: Any, timeout: float = BUSY_TIMEOUT) -> None:
    """``PRAGMA journal_mode = WAL``, waiting while another process holds the file.

    Switching a new database to WAL needs the file to itself, and SQLite reports "database is
    locked" at once, without waiting the busy timeout, when another connection is creating
    or switching the same file: two ranks of a job starting on a new data dir made ``init``
    fail that way (seen once in CI). So the switch is tried again, a little later each time,
    for as long as the busy timeout.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(0.25, delay * 2)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's own handling is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("trailmark_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def database_for(url: str | None, data_dir: Path) -> Database:
    """The database named by ``url``, or the SQLite file in ``data_dir``."""
    return Database(url or sqlite_url_for_dir(data_dir))

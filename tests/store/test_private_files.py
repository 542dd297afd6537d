"""The data dir and the SQLite database are private to their owner: folders Trailmark makes
are 0700, the database and its -wal and -shm files 0600, whatever the umask allows others
(issue 16 item 5: ``trailmark.db`` was created 0644)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import trailmark as tm
from trailmark.store.database import Database, sqlite_url_for_dir
from trailmark.store.migrations import migrate
from trailmark.store.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask, which lets everyone read what a process creates."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_data_dir_and_its_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    store = Store.open(None, data_dir)
    try:
        store.runs.create_project("p")  # a write: the -wal and -shm files exist now
        assert {p.name for p in data_dir.glob("trailmark.db*")} == {
            "trailmark.db",
            "trailmark.db-wal",
            "trailmark.db-shm",
        }
        for path in data_dir.glob("trailmark.db*"):
            assert mode(path) == 0o600, path
        assert mode(data_dir) == 0o700
        assert mode(data_dir.parent) == 0o700
    finally:
        store.close()


def test_an_existing_folder_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    shared = tmp_path / "team"
    shared.mkdir(mode=0o750)
    db = Database(sqlite_url_for_dir(shared))
    try:
        migrate(db)
    finally:
        db.dispose()
    assert mode(shared) == 0o750
    assert mode(shared / "trailmark.db") == 0o600


def test_a_local_run_leaves_nothing_readable_by_others(tmp_path: Path) -> None:
    data_dir = tmp_path / "runs"
    run = tm.init(project="private", id="r1", dir=data_dir, config={"lr": 0.1})
    run.log({"loss": 1.0})
    report = run.finish()
    assert report is not None and report.complete
    assert mode(data_dir) == 0o700
    readable = [
        p for p in [data_dir, *data_dir.rglob("*")] if mode(p) & 0o077 and not p.is_symlink()
    ]
    assert readable == []

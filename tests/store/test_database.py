"""Opening the SQLite database: what a connection sets up, under contention."""

from __future__ import annotations

import sqlite3

import pytest

from trailmark.store.database import enable_wal


def test_switching_to_wal_waits_while_another_process_holds_the_new_file() -> None:
    class Busy:
        """A cursor whose first switches find the file locked, as a second rank's did."""

        def __init__(self, refusals: int, message: str = "database is locked") -> None:
            self.refusals, self.message, self.calls = refusals, message, 0

        def execute(self, sql: str) -> None:
            assert sql == "PRAGMA journal_mode = WAL"
            self.calls += 1
            if self.calls <= self.refusals:
                raise sqlite3.OperationalError(self.message)

    patient = Busy(3)
    enable_wal(patient)
    assert patient.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(Busy(1000), timeout=0.05)
    other = Busy(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        enable_wal(other)
    assert other.calls == 1, "only a lock is waited for"

"""The store: one object bundling the per-concern stores over one database."""

from __future__ import annotations

from pathlib import Path

from trailmark.store.database import Database, database_for
from trailmark.store.ingest import Ingestor
from trailmark.store.metrics import MetricStore
from trailmark.store.migrations import migrate
from trailmark.store.runs import RunStore


class Store:
    """Runs, metrics and ingest over one migrated database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.runs = RunStore(db)
        self.metrics = MetricStore(db)
        self.ingestor = Ingestor(db)

    @classmethod
    def open(cls, url: str | None = None, data_dir: Path | None = None) -> Store:
        """Open (and migrate) the database at ``url``, or the SQLite file in ``data_dir``."""
        if url is None and data_dir is None:
            raise ValueError("give a database URL or a data dir")
        db = database_for(url, data_dir or Path("."))
        migrate(db)
        return cls(db)

    def close(self) -> None:
        self.db.dispose()

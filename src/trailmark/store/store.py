"""The store: one object bundling the per-concern stores over one database."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from trailmark.blobs.location import UnconfiguredBlobStore, open_blob_store
from trailmark.blobs.protocol import BlobStore
from trailmark.store.artifacts import ArtifactStore
from trailmark.store.console import ConsoleStore
from trailmark.store.database import Database, database_for
from trailmark.store.ingest import Ingestor
from trailmark.store.lineage import LineageStore
from trailmark.store.metrics import MetricStore
from trailmark.store.migrations import migrate
from trailmark.store.registry import ModelRegistry
from trailmark.store.run_files import RunFileStore
from trailmark.store.runs import RunStore
from trailmark.store.secret_box import KEY_FILE_NAME, SecretBox
from trailmark.store.uploads import UploadStore
from trailmark.store.webhooks import WebhookStore

if TYPE_CHECKING:
    from trailmark.store.accounts import AccountStore
    from trailmark.store.mlflow.facade import MlflowStore


class Store:
    """Runs, metrics and ingest over one migrated database; artifacts, run files, the model
    registry and webhooks over it and a blob store."""

    def __init__(
        self, db: Database, blobs: BlobStore | None = None, secrets: SecretBox | None = None
    ) -> None:
        self.db = db
        self.runs = RunStore(db)
        self.metrics = MetricStore(db)
        self.ingestor = Ingestor(db)
        self.console = ConsoleStore(db)
        self.blobs: BlobStore = blobs if blobs is not None else UnconfiguredBlobStore()
        self.uploads = UploadStore(db, self.blobs)
        self.artifacts = ArtifactStore(db)
        self.run_files = RunFileStore(db)
        self.registry = ModelRegistry(db)
        self.webhooks = WebhookStore(db, secrets or _default_secrets(db))
        self.lineage = LineageStore(db, self.artifacts, self.registry)

    @cached_property
    def mlflow(self) -> MlflowStore:
        """Storage for the MLflow-compatible API (built on first use: the SDK's local store
        never pays for importing it)."""
        from trailmark.store.mlflow.facade import MlflowStore

        return MlflowStore(self.db, self.registry)

    @cached_property
    def accounts(self) -> AccountStore:
        """Users, API keys, sessions, teams, grants and the audit log (built on first use,
        like :attr:`mlflow`)."""
        from trailmark.store.accounts import AccountStore

        return AccountStore(self.db)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        data_dir: Path | None = None,
        blobs: BlobStore | None = None,
        secrets: SecretBox | None = None,
    ) -> Store:
        """Open (and migrate) the database at ``url``, or the SQLite file in ``data_dir``.

        Blobs go to ``blobs``, or by default to the folder ``<data_dir>/blobs``; secrets
        are sealed with ``secrets``, or by default with the key file in ``data_dir``.
        """
        if url is None and data_dir is None:
            raise ValueError("give a database URL or a data dir")
        db = database_for(url, data_dir or Path("."))
        migrate(db)
        if blobs is None and data_dir is not None:
            blobs = open_blob_store(None, data_dir)
        if secrets is None and data_dir is not None:
            secrets = SecretBox.for_server(None, data_dir)
        return cls(db, blobs, secrets)

    def close(self) -> None:
        self.db.dispose()


def _default_secrets(db: Database) -> SecretBox:
    """The key file beside a SQLite database (its data dir); none for a PostgreSQL store
    opened without a data dir, until one is given (the server gives its own)."""
    database = make_url(db.url).database if db.is_sqlite else None
    if database and database != ":memory:":
        return SecretBox.from_key_file(Path(database).parent / KEY_FILE_NAME)
    return SecretBox.unconfigured()

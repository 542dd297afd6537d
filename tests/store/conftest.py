"""The store fixture of the store tests: one :class:`Store`, on SQLite and on PostgreSQL.

A test module that needs data in it first overrides ``store`` by asking for this one
(``def store(store: Store) -> Store``) and seeding it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trailmark.blobs.folder import FolderBlobStore
from trailmark.store.database import Database
from trailmark.store.secret_box import SecretBox
from trailmark.store.store import Store


@pytest.fixture
def store(database: Database, tmp_path: Path) -> Store:
    """A :class:`Store` over the migrated ``database``, its blobs in a temporary folder."""
    secrets = SecretBox.from_key_file(tmp_path / "secret.key")
    return Store(database, FolderBlobStore(tmp_path / "blobs"), secrets)

"""Helpers for artifact and registry store tests: a store with a blob folder, uploaded files."""

from __future__ import annotations

import hashlib
import io

from trailmark.manifest import Entry
from trailmark.store.store import Store


def upload(store: Store, path: str, content: bytes) -> Entry:
    """Store ``content`` as a blob and return the manifest entry naming it ``path``."""
    digest = hashlib.sha256(content).hexdigest()
    store.uploads.put(digest, io.BytesIO(content))
    return Entry(path, len(content), digest)


def files(store: Store, **contents: bytes) -> list[Entry]:
    return [upload(store, name.replace("__", "/"), data) for name, data in contents.items()]

"""Open the blob store a setting names: a folder (the default) or ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trailmark.blobs.folder import FolderBlobStore
from trailmark.blobs.protocol import BlobStore
from trailmark.errors import Unavailable

BLOBS_DIR_NAME = "blobs"


def open_blob_store(spec: str | None, data_dir: Path) -> BlobStore:
    """``None`` or ``""``: ``<data dir>/blobs``; ``s3://bucket/prefix``; ``file:///path`` or a path.

    Example::

        open_blob_store("s3://ml-artifacts/trailmark", data_dir)   # credentials from AWS settings
    """
    if not spec:
        return FolderBlobStore(data_dir / BLOBS_DIR_NAME)
    if spec.startswith("s3://"):
        from trailmark.blobs.s3 import S3BlobStore

        return S3BlobStore(spec)
    if spec.startswith("file://"):
        spec = spec[len("file://") :]
    return FolderBlobStore(Path(spec).expanduser())


class UnconfiguredBlobStore:
    """Stands in when a store was opened without blob storage: every use says how to fix it."""

    description = "no blob store"

    def __getattr__(self, name: str) -> Any:
        raise Unavailable(
            "this store was opened without blob storage; open it with "
            "Store.open(..., blobs=open_blob_store(spec, data_dir))"
        )

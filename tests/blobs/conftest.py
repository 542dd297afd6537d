"""Blob store tests run on the local folder and on a real S3-compatible server (moto)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.moto_s3 import moto_endpoint, s3_client, s3_url
from trailmark.blobs.folder import FolderBlobStore
from trailmark.blobs.protocol import BlobStore
from trailmark.blobs.s3 import S3BlobStore

__all__ = ["blob_store", "moto_endpoint", "s3_url"]


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """A fresh blob store: once a folder, once a bucket on the moto S3 server."""
    if request.param == "folder":
        return FolderBlobStore(tmp_path / "blobs")
    url = request.getfixturevalue("s3_url")
    return S3BlobStore(url, client=s3_client(request.getfixturevalue("moto_endpoint")))

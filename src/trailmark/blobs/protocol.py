"""The blob store Protocol: content-addressed storage of file contents, named by sha256.

Nothing here takes a path from a client: a blob is named by its digest (validated as 64
hex digits) and an upload session by a handle the server generated. Every way in verifies
the content against the digest before it becomes visible; every way out can be verified
with :func:`verified_chunks`.

Uploads come whole (:meth:`BlobStore.put`, for small files) or in resumable sessions:
``begin_upload`` gives a handle, ``open_part`` receives each chunk (numbered from 1, at
increasing offsets, each at least :data:`MIN_PART_SIZE` except the last, so S3 multipart
uploads work), and ``complete_upload`` assembles, hashes and publishes the blob, or
discards it when the digest does not match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from trailmark.errors import CorruptBlob

MiB = 1024 * 1024
READ_CHUNK = 1 * MiB
MIN_PART_SIZE = 5 * MiB
"""Smallest chunk of an upload session except the last (S3's multipart minimum)."""
MAX_PART_SIZE = 32 * MiB
"""Largest chunk of an upload session (well under the server's 64 MiB request limit)."""
MAX_SINGLE_PUT = 32 * MiB
"""Largest blob sent whole in one request; larger ones go through an upload session."""
DEFAULT_PART_SIZE = 16 * MiB


@dataclass(frozen=True)
class StoredBlob:
    digest: str
    size: int
    modified: float


@dataclass(frozen=True)
class Part:
    """A received chunk of an upload session."""

    number: int
    offset: int
    size: int
    etag: str

    def to_json(self) -> dict[str, object]:
        return {"number": self.number, "offset": self.offset, "size": self.size, "etag": self.etag}


class PartSink(Protocol):
    """Where the bytes of one chunk go while they arrive; nothing counts until ``commit``."""

    def write(self, data: bytes) -> None: ...
    def commit(self) -> str:
        """Make the chunk durable; return its etag (S3) or an empty string."""
        ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed storage. ``description`` says where, for messages and ``gc``."""

    description: str

    def exists(self, digest: str) -> bool: ...

    def put(self, digest: str, source: BinaryIO) -> int:
        """Store what ``source`` holds (read to its end) as ``digest``; return its size.

        Raises :class:`~trailmark.errors.DigestMismatch` (and stores nothing) when the
        content does not hash to ``digest``; :class:`~trailmark.errors.StorageFull` when
        the storage is full.
        """
        ...

    def read(self, digest: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """The content in chunks; :class:`~trailmark.errors.NotFound` if it is not stored."""
        ...

    def delete(self, digest: str) -> None: ...

    def list(self) -> Iterator[StoredBlob]:
        """Every stored blob (for garbage collection)."""
        ...

    def begin_upload(self) -> str:
        """Start an upload session; return its handle."""
        ...

    def open_part(self, handle: str, number: int, offset: int) -> PartSink: ...

    def complete_upload(self, handle: str, parts: Sequence[Part], digest: str, size: int) -> None:
        """Assemble the parts, check size and digest, publish the blob; discard on mismatch."""
        ...

    def abort_upload(self, handle: str) -> None: ...

    def list_uploads(self) -> Iterator[tuple[str, float]]:
        """(handle, start time) of every upload session's data (for garbage collection)."""
        ...


def verified_chunks(chunks: Iterable[bytes], digest: str, what: str) -> Iterator[bytes]:
    """Pass ``chunks`` through, raising :class:`CorruptBlob` at the end if they do not hash
    to ``digest`` (a streamed response is then cut short, so the client sees the failure)."""
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
    actual = hasher.hexdigest()
    if actual != digest:
        raise CorruptBlob(
            f"{what} is damaged: its content hashes to {actual}, not {digest}. "
            "It was not used; upload it again or restore the blob store from a backup."
        )


def hash_source(source: BinaryIO) -> tuple[str, int]:
    """(sha256, size) of what remains in ``source``, read in chunks."""
    hasher = hashlib.sha256()
    size = 0
    while chunk := source.read(READ_CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size

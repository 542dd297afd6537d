"""Both blob stores (folder and S3 via moto) keep content by digest and verify it both ways."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from trailmark.blobs.protocol import MIN_PART_SIZE, BlobStore, Part, verified_chunks
from trailmark.errors import CorruptBlob, DigestMismatch, InvalidInput, NotFound


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(store: BlobStore, digest: str) -> bytes:
    return b"".join(store.read(digest))


def test_put_read_list_delete(blob_store: BlobStore) -> None:
    data = os.urandom(3000)
    digest = sha(data)
    assert not blob_store.exists(digest)
    assert blob_store.put(digest, io.BytesIO(data)) == 3000
    assert blob_store.exists(digest)
    assert read_all(blob_store, digest) == data
    assert [(b.digest, b.size) for b in blob_store.list()] == [(digest, 3000)]
    blob_store.put(digest, io.BytesIO(data))  # the same content again is harmless
    blob_store.delete(digest)
    assert not blob_store.exists(digest)
    with pytest.raises(NotFound):
        read_all(blob_store, digest)


def test_content_that_does_not_match_its_digest_is_refused(blob_store: BlobStore) -> None:
    claimed = sha(b"what the client said")
    with pytest.raises(DigestMismatch, match="hashes to"):
        blob_store.put(claimed, io.BytesIO(b"what the client sent"))
    assert not blob_store.exists(claimed)
    assert list(blob_store.list()) == []


def test_digests_are_validated_so_no_path_comes_from_outside(blob_store: BlobStore) -> None:
    for bad in ["../../etc/passwd", "A" * 64, "ab" * 31, "ab" * 32 + "/x"]:
        with pytest.raises(InvalidInput):
            blob_store.exists(bad)


def upload_in_parts(store: BlobStore, data: bytes, digest: str, part_size: int) -> None:
    handle = store.begin_upload()
    parts = []
    for number, offset in enumerate(range(0, len(data), part_size), start=1):
        piece = data[offset : offset + part_size]
        sink = store.open_part(handle, number, offset)
        for start in range(0, len(piece), 1 << 20):
            sink.write(piece[start : start + (1 << 20)])
        parts.append(Part(number, offset, len(piece), sink.commit()))
    store.complete_upload(handle, parts, digest, len(data))


def test_a_session_assembles_parts_and_checks_the_digest(blob_store: BlobStore) -> None:
    data = os.urandom(MIN_PART_SIZE + 12345)
    upload_in_parts(blob_store, data, sha(data), MIN_PART_SIZE)
    assert read_all(blob_store, sha(data)) == data

    other = os.urandom(MIN_PART_SIZE + 10)
    wrong = sha(b"something else")
    with pytest.raises(DigestMismatch):
        upload_in_parts(blob_store, other, wrong, MIN_PART_SIZE)
    assert not blob_store.exists(wrong)


def test_an_interrupted_part_is_sent_again(blob_store: BlobStore) -> None:
    data = os.urandom(MIN_PART_SIZE + 100)
    handle = blob_store.begin_upload()
    first = blob_store.open_part(handle, 1, 0)
    first.write(data[:MIN_PART_SIZE])
    part1 = Part(1, 0, MIN_PART_SIZE, first.commit())
    broken = blob_store.open_part(handle, 2, MIN_PART_SIZE)
    broken.write(b"\0" * 50)  # the connection dropped here
    broken.abort()
    again = blob_store.open_part(handle, 2, MIN_PART_SIZE)
    again.write(data[MIN_PART_SIZE:])
    part2 = Part(2, MIN_PART_SIZE, 100, again.commit())
    blob_store.complete_upload(handle, [part1, part2], sha(data), len(data))
    assert read_all(blob_store, sha(data)) == data


def test_an_empty_file_uploads(blob_store: BlobStore) -> None:
    handle = blob_store.begin_upload()
    blob_store.complete_upload(handle, [], sha(b""), 0)
    assert read_all(blob_store, sha(b"")) == b""


def test_damaged_content_is_detected_on_the_way_out(blob_store: BlobStore) -> None:
    data = b"weights" * 1000
    digest = sha(data)
    blob_store.put(digest, io.BytesIO(data))
    damage(blob_store, digest, b"WEIGHTS" + data[7:])
    with pytest.raises(CorruptBlob, match="damaged"):
        b"".join(verified_chunks(blob_store.read(digest), digest, "the blob"))


def damage(store: BlobStore, digest: str, content: bytes) -> None:
    """Overwrite a stored blob behind the store's back (bit rot, a bad disk, a bad actor)."""
    from trailmark.blobs.folder import FolderBlobStore
    from trailmark.blobs.s3 import S3BlobStore

    if isinstance(store, FolderBlobStore):
        path = store.path_of(digest)
        path.chmod(0o644)
        path.write_bytes(content)
    else:
        assert isinstance(store, S3BlobStore)
        store.client.put_object(Bucket=store.bucket, Key=store.key_of(digest), Body=content)


def test_upload_data_is_listed_until_aborted(blob_store: BlobStore) -> None:
    handle = blob_store.begin_upload()
    assert [h for h, _ in blob_store.list_uploads()] == [handle]
    blob_store.abort_upload(handle)
    assert list(blob_store.list_uploads()) == []

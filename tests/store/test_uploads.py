"""Upload sessions: chunks at the right offsets, resumable, verified on completion (both databases)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from trailmark.blobs.protocol import MIN_PART_SIZE
from trailmark.errors import Conflict, DigestMismatch, InvalidInput, NotFound
from trailmark.store.store import Store


def send(store: Store, upload_id: str, offset: int, data: bytes) -> dict[str, object]:
    sink, ticket = store.uploads.open_part("p", upload_id, offset, len(data))
    sink.write(data)
    return store.uploads.finish_part(ticket, sink.commit())


def test_an_interrupted_upload_resumes_where_the_server_says(store: Store) -> None:
    data = os.urandom(MIN_PART_SIZE * 2 + 7)
    digest = hashlib.sha256(data).hexdigest()
    session = store.uploads.begin("p", digest, len(data))
    assert session["offset"] == 0
    send(store, session["id"], 0, data[:MIN_PART_SIZE])
    sink, _ = store.uploads.open_part("p", session["id"], MIN_PART_SIZE, MIN_PART_SIZE)
    sink.write(data[MIN_PART_SIZE : MIN_PART_SIZE + 1000])  # ... and the connection drops
    sink.abort()

    resumed = store.uploads.get("p", session["id"])
    assert resumed["offset"] == MIN_PART_SIZE
    with pytest.raises(Conflict, match=f"continues at offset {MIN_PART_SIZE}"):
        store.uploads.open_part("p", session["id"], 0, MIN_PART_SIZE)
    send(store, session["id"], MIN_PART_SIZE, data[MIN_PART_SIZE : 2 * MIN_PART_SIZE])
    send(store, session["id"], 2 * MIN_PART_SIZE, data[2 * MIN_PART_SIZE :])
    assert store.uploads.complete("p", session["id"])["complete"] is True
    assert b"".join(store.blobs.read(digest)) == data
    assert store.uploads.missing([digest]) == []
    with pytest.raises(NotFound):
        store.uploads.get("p", session["id"])
    again = store.uploads.begin("p", digest, len(data))
    assert again["complete"] is True and again["id"] is None


def test_bad_uploads_are_refused(store: Store) -> None:
    data = os.urandom(MIN_PART_SIZE + 10)
    session = store.uploads.begin("p", hashlib.sha256(data).hexdigest(), len(data))
    with pytest.raises(InvalidInput, match="at least"):
        store.uploads.open_part("p", session["id"], 0, 1000)
    with pytest.raises(InvalidInput, match="may not pass"):
        store.uploads.open_part("p", session["id"], 0, MIN_PART_SIZE + 11)
    with pytest.raises(Conflict, match="before completing"):
        store.uploads.complete("p", session["id"])
    with pytest.raises(NotFound):
        store.uploads.get("other-project", session["id"])

    claimed = hashlib.sha256(b"the real thing").hexdigest()
    session = store.uploads.begin("p", claimed, 5)
    send(store, session["id"], 0, b"a lie")
    with pytest.raises(DigestMismatch):
        store.uploads.complete("p", session["id"])
    assert store.uploads.missing([claimed]) == [claimed]
    with pytest.raises(NotFound):
        store.uploads.get("p", session["id"])

    digest = hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(DigestMismatch):
        store.uploads.put(digest, io.BytesIO(b"abd"))
    assert store.uploads.missing([digest]) == [digest]
    store.uploads.put(digest, io.BytesIO(b"abc"))
    assert store.uploads.missing([digest, digest]) == []

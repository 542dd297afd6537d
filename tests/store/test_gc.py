"""Garbage collection frees only what nothing references, and a dry run frees nothing."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import update

from tests.store.artifact_helpers import files, upload
from trailmark.store.gc import collect_garbage
from trailmark.store.schema_artifacts import blobs, manifests
from trailmark.store.store import Store


def age_everything(store: Store) -> None:
    with store.db.write() as conn:
        conn.execute(update(blobs).values(touched_at=0.0))
        conn.execute(update(manifests).values(created_at=0.0))


def test_only_unreferenced_old_blobs_are_freed(store: Store) -> None:
    kept = files(store, a=b"kept by an artifact")
    store.artifacts.create_version("p", "d", type="dataset", entries=kept)
    store.run_files.add("p", "r1", [upload(store, "log.txt", b"kept by a run").to_json()])
    doomed = upload(store, "x", b"uploaded, never used")
    store.artifacts.create_version("p", "tmp", type="dataset", entries=files(store, t=b"temp v0"))
    store.artifacts.delete_artifact("p", "tmp")
    recent = upload(store, "y", b"just asked about")

    age_everything(store)
    store.uploads.missing([recent.digest])  # a client is about to use it: protected

    dry = collect_garbage(store.db, store.blobs)
    freed = {d for d, _ in dry.blobs}
    assert freed == {doomed.digest, hashlib.sha256(b"temp v0").hexdigest()}
    assert dry.bytes == len(b"uploaded, never used") + len(b"temp v0")
    assert store.blobs.exists(doomed.digest)  # a dry run changes nothing

    done = collect_garbage(store.db, store.blobs, delete_now=True)
    assert {d for d, _ in done.blobs} == freed and done.manifests == 1
    assert not store.blobs.exists(doomed.digest)
    assert store.uploads.missing([doomed.digest, kept[0].digest]) == [doomed.digest]
    assert store.blobs.exists(recent.digest) and store.blobs.exists(kept[0].digest)


def test_stray_objects_and_abandoned_uploads_are_found(store: Store) -> None:
    store.uploads.begin("p", hashlib.sha256(b"never finished").hexdigest(), 14)
    store.runs.delete_project("p")  # takes the session row, not the data
    assert [h for h, _ in store.blobs.list_uploads()] != []
    data = b"written by a crashed server"
    digest = hashlib.sha256(data).hexdigest()
    store.blobs.put(digest, io.BytesIO(data))  # stored, but never indexed
    assert collect_garbage(store.db, store.blobs).orphans == []  # too new to judge
    report = collect_garbage(store.db, store.blobs, delete_now=True, grace=-1)
    assert report.orphans == [(digest, len(data))]
    assert not store.blobs.exists(digest)
    assert collect_garbage(store.db, store.blobs, session_grace=3600).sessions == 0
    assert collect_garbage(store.db, store.blobs, delete_now=True, session_grace=-1).sessions == 1
    assert list(store.blobs.list_uploads()) == []

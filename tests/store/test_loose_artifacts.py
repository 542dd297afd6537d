"""Loose artifacts (files put through MLflow's proxy under a path of no run or model), on
both databases: listed by folder, replaced, deleted, and kept by the garbage collector."""

from __future__ import annotations

import pytest

from tests.store.artifact_helpers import upload
from tests.store.test_gc import age_everything
from trailmark.errors import InvalidInput, NotFound
from trailmark.store.gc import collect_garbage
from trailmark.store.store import Store


def test_listed_by_folder_replaced_and_deleted(store: Store) -> None:
    loose = store.mlflow.loose_artifacts
    loose.put(upload(store, "a_b/x.txt", b"one"))
    loose.put(upload(store, "axb/y.txt", b"two"))  # '_' is no wildcard for the folder a_b
    loose.put(upload(store, "a_b/x.txt", b"three"))  # replaces
    assert [(e.path, e.size) for e in loose.entries("a_b")] == [("a_b/x.txt", 5)]
    assert [e.path for e in loose.entries()] == ["a_b/x.txt", "axb/y.txt"]
    assert loose.delete("a_b") == 1
    assert [e.path for e in loose.entries()] == ["axb/y.txt"]
    with pytest.raises(NotFound):
        loose.delete("a_b")
    with pytest.raises(InvalidInput):
        loose.entries("../etc")


def test_their_blobs_survive_garbage_collection(store: Store) -> None:
    kept = upload(store, "shared/table.csv", b"a,b\n1,2\n")
    store.mlflow.loose_artifacts.put(kept)
    age_everything(store)
    done = collect_garbage(store.db, store.blobs, delete_now=True)
    assert kept.digest not in {d for d, _ in done.blobs}
    assert store.blobs.exists(str(kept.digest))

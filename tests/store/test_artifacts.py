"""Artifact versions: numbered per name, deduplicated, aliased, validated (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest

from tests.store.artifact_helpers import files, upload
from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.manifest import Entry, check_entries
from trailmark.store.store import Store


def test_versions_count_up_and_the_same_files_make_no_new_version(store: Store) -> None:
    first = files(store, a=b"1", b=b"2")
    v0, created0 = store.artifacts.create_version("p", "data", type="dataset", entries=first)
    v0_again, created_again = store.artifacts.create_version(
        "p", "data", type="dataset", entries=list(reversed(first))
    )
    changed = [first[0], upload(store, "b", b"changed")]
    v1, created1 = store.artifacts.create_version(
        "p", "data", type="dataset", entries=changed, aliases=["best"]
    )
    assert (v0["version"], created0) == (0, True)
    assert (v0_again["version"], created_again) == (0, False)
    assert (v1["version"], created1, v1["ref"]) == (1, True, "data:v1")
    assert v1["aliases"] == ["best", "latest"]
    assert store.artifacts.get_version("p", "data", "v0")["aliases"] == []
    assert store.artifacts.get_version("p", "data", "latest")["digest"] == v1["digest"]
    assert store.artifacts.get_version("p", "data", "0")["digest"] == v0["digest"]
    listed, total = store.artifacts.list_versions("p", "data")
    assert [v["version"] for v in listed] == [1, 0] and total == 2
    summary = store.artifacts.list_artifacts("p")
    assert [(a["name"], a["version_count"], a["latest"]["version"]) for a in summary] == [
        ("data", 2, 1)
    ]


def test_an_alias_names_one_version_and_moves(store: Store) -> None:
    for content in (b"x", b"y", b"z"):
        store.artifacts.create_version(
            "p", "m", type="model", entries=[upload(store, "w.bin", content)]
        )
    store.artifacts.set_alias("p", "m", "v0", "best")
    store.artifacts.set_alias("p", "m", "v2", "best")
    assert store.artifacts.get_version("p", "m", "best")["version"] == 2
    assert store.artifacts.get_version("p", "m", "v0")["aliases"] == []
    store.artifacts.delete_alias("p", "m", "best")
    with pytest.raises(NotFound):
        store.artifacts.get_version("p", "m", "best")
    store.artifacts.delete_version("p", "m", "v2")
    assert store.artifacts.get_version("p", "m", "latest")["version"] == 1
    with pytest.raises(InvalidInput, match="looks like a version"):
        store.artifacts.set_alias("p", "m", "v0", "v7")


def test_bad_versions_are_refused(store: Store) -> None:
    missing = Entry("w.bin", 3, hashlib.sha256(b"not uploaded").hexdigest())
    with pytest.raises(InvalidInput, match="not uploaded yet"):
        store.artifacts.create_version("p", "m", type="model", entries=[missing])
    store.artifacts.create_version("p", "m", type="model", entries=files(store, a=b"1"))
    with pytest.raises(Conflict, match="of type 'model'"):
        store.artifacts.create_version("p", "m", type="dataset", entries=files(store, a=b"2"))


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "a/../../b", "/etc/passwd", "a\\b", "a\0b", "C:evil", "", "./", "a/\x07"],
)
def test_paths_that_could_escape_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput):
        check_entries([{"path": path, "size": 1, "digest": "a" * 64}])


def test_paths_are_normalised_and_unique() -> None:
    entries = check_entries([{"path": "a//b/./c.txt", "size": 1, "digest": "a" * 64}])
    assert entries[0].path == "a/b/c.txt"
    with pytest.raises(InvalidInput, match="twice"):
        check_entries(
            [
                {"path": "a/b", "size": 1, "digest": "a" * 64},
                {"path": "a//b", "size": 2, "digest": "b" * 64},
            ]
        )


def test_many_files_with_one_changed_need_one_upload(store: Store) -> None:
    contents = {f"shard-{i:04}.bin": f"shard {i}".encode() for i in range(300)}
    entries = [upload(store, name, data) for name, data in contents.items()]
    store.artifacts.create_version("p", "big", type="dataset", entries=entries)
    contents["shard-0150.bin"] = b"changed"
    digests = [hashlib.sha256(d).hexdigest() for d in contents.values()]
    assert store.uploads.missing(digests) == [hashlib.sha256(b"changed").hexdigest()]


def test_usage_production_and_file_listing(store: Store) -> None:
    made, _ = store.artifacts.create_version(
        "p", "data", type="dataset", entries=files(store, a=b"1"), run_id="producer"
    )
    assert made["run"] == "producer"
    store.artifacts.use("p", "data", "latest", "consumer")
    store.artifacts.use("p", "data", "v0", "consumer")  # twice is one edge
    assert store.artifacts.users("p", "data", "v0") == ["consumer"]
    assert store.artifacts.get_version("p", "data", "v0")["used_by"] == 1
    seen = store.artifacts.run_artifacts("p", "consumer")
    assert [v["ref"] for v in seen["used"]] == ["data:v0"] and seen["produced"] == []
    assert store.runs.get_run("p", "consumer")["id"] == "consumer"  # created bare, ingest fills it
    with pytest.raises(Conflict, match="another project"):
        store.artifacts.create_version(
            "other", "d", type="dataset", entries=files(store, b=b"2"), run_id="producer"
        )
    entries = files(store, a__x=b"1", a__y=b"2", b=b"3", ab=b"4")
    store.artifacts.create_version("p", "d", type="dataset", entries=entries)
    under_a, total = store.artifacts.files("p", "d", "latest", prefix="a")
    assert [e.path for e in under_a] == ["a/x", "a/y"] and total == 2
    page, total = store.artifacts.files("p", "d", "v0", limit=2, offset=1)
    assert [e.path for e in page] == ["a/y", "ab"] and total == 4
    assert store.artifacts.file("p", "d", "v0", "./b").digest == entries[2].digest
    with pytest.raises(NotFound):
        store.artifacts.file("p", "d", "v0", "nope")

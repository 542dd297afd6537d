"""The model registry: versions from runs and artifacts, aliases, stages, events (both databases)."""

from __future__ import annotations

import itertools
import random
import threading

import pytest
from sqlalchemy import func, select

from tests.store.artifact_helpers import files, upload
from trailmark.errors import InvalidInput, NotFound
from trailmark.store.schema_artifacts import model_aliases
from trailmark.store.store import Store


def three_versions(store: Store, name: str = "fraud") -> None:
    for i in range(3):
        store.artifacts.create_version(
            "p", "model", type="model", entries=[upload(store, "w.bin", bytes([i]))], run_id="r1"
        )
        store.registry.create_version(name, f"artifact:p/model:v{i}", user="ana")


def test_versions_come_from_artifacts_and_run_files(store: Store) -> None:
    store.run_files.add("p", "r2", [e.to_json() for e in files(store, model__w=b"w", notes=b"n")])
    store.artifacts.create_version(
        "p", "clf", type="model", entries=files(store, x=b"x"), run_id="r1"
    )
    from_artifact = store.registry.create_version("fraud", "artifact:clf:v0", project="p")
    from_files = store.registry.create_version("fraud", "runs/r2/model", description="retrained")
    from_produced = store.registry.create_version("fraud", "runs:/r1/clf")
    assert [v["version"] for v in (from_artifact, from_files, from_produced)] == [1, 2, 3]
    assert from_artifact["artifact"]["ref"] == "p/clf:v0" and from_artifact["source_run"] == "r1"
    assert from_files["source_run"] == "r2" and from_files["artifact"] is None
    entries, _ = store.registry.files("fraud", 2)
    assert [e.path for e in entries] == ["w"]
    assert from_produced["digest"] == from_artifact["digest"]
    model = store.registry.get_model("fraud")
    assert (model["version_count"], model["latest_version"]) == (3, 3)
    assert store.registry.get_version("fraud", "latest")["version"] == 3
    with pytest.raises(NotFound, match="saved no file"):
        store.registry.create_version("fraud", "runs/r2/nothing")
    with pytest.raises(InvalidInput, match="not understood"):
        store.registry.create_version("fraud", "/etc/passwd")


def test_promoting_to_production_archives_the_previous_one(store: Store) -> None:
    three_versions(store)
    store.registry.set_stage("fraud", 1, "production", user="ana")
    store.registry.set_stage("fraud", 2, "Staging")
    store.registry.set_stage("fraud", 3, "Production", user="bo")
    stages = {v["version"]: v["stage"] for v in store.registry.list_versions("fraud")[0]}
    assert stages == {1: "Archived", 2: "Staging", 3: "Production"}
    assert store.registry.get_model("fraud")["stages"] == {
        "Archived": [1],
        "Staging": [2],
        "Production": [3],
    }
    events, _ = store.registry.events("fraud", limit=3)
    assert [(e["kind"], e["version"], e["user"], e["data"]["to"]) for e in events] == [
        ("stage_changed", 3, "bo", "Production"),
        ("stage_changed", 1, "bo", "Archived"),
        ("stage_changed", 2, "anonymous", "Staging"),
    ]
    with pytest.raises(InvalidInput, match="stage must be one of"):
        store.registry.set_stage("fraud", 1, "Live")


def test_aliases_move_and_are_recorded(store: Store) -> None:
    three_versions(store)
    store.registry.set_alias("fraud", "champion", 1, user="ana")
    moved = store.registry.set_alias("fraud", "champion", "v2", user="bo")
    assert moved["aliases"] == ["champion"]
    assert store.registry.get_version("fraud", "@champion")["version"] == 2
    assert store.registry.get_model("fraud")["aliases"] == {"champion": 2}
    store.registry.delete_alias("fraud", "champion")
    kinds = [e["kind"] for e in store.registry.events("fraud")[0]]
    assert kinds[:3] == ["alias_deleted", "alias_moved", "alias_moved"]
    with pytest.raises(InvalidInput):
        store.registry.set_alias("fraud", "latest", 1)
    store.runs.delete_project("p")  # the model keeps its files
    entries, _ = store.registry.files("fraud", 1)
    assert [e.path for e in entries] == ["w.bin"]
    assert store.registry.get_version("fraud", 1)["artifact"] is None


def test_an_alias_never_names_two_versions_under_concurrent_moves(store: Store) -> None:
    three_versions(store)
    store.registry.set_alias("fraud", "champion", 1)
    stop = threading.Event()
    problems: list[str] = []

    def mover(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(10):
            store.registry.set_alias("fraud", "champion", rng.randint(1, 3), user=f"u{seed}")

    def watcher() -> None:
        while not stop.is_set():
            with store.db.read() as conn:
                count = conn.execute(
                    select(func.count()).where(model_aliases.c.alias == "champion")
                ).scalar_one()
            if count != 1:
                problems.append(f"{count} rows for champion")
            named = [
                v for v in store.registry.list_versions("fraud")[0] if "champion" in v["aliases"]
            ]
            if len(named) != 1:
                problems.append(f"champion names {len(named)} versions")

    threads = [threading.Thread(target=mover, args=(i,)) for i in range(6)]
    watch = threading.Thread(target=watcher)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert problems == []
    moves = [
        e
        for e in reversed(store.registry.events("fraud", limit=1000)[0])
        if e["kind"] == "alias_moved"
    ]
    assert len(moves) == 1 + 6 * 10
    for before, after in itertools.pairwise(moves):
        assert after["data"]["from"] == before["data"]["to"]  # every move saw the one before it

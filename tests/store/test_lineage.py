"""Lineage: run → artifact version → run → model version, N hops either way (both databases)."""

from __future__ import annotations

import pytest

from tests.store.artifact_helpers import files
from trailmark.errors import InvalidInput, NotFound
from trailmark.store.store import Store


@pytest.fixture
def store(store: Store) -> Store:
    s = store
    # prep makes the data; train uses it and makes a model; the model is registered;
    # evaluate uses the data too; a second model version comes from train's saved files.
    s.artifacts.create_version("p", "data", type="dataset", entries=files(s, d=b"d"), run_id="prep")
    s.artifacts.use("p", "data", "v0", "train")
    s.artifacts.use("p", "data", "v0", "evaluate")
    s.artifacts.create_version("p", "clf", type="model", entries=files(s, w=b"w"), run_id="train")
    s.run_files.add("p", "train", [e.to_json() for e in files(s, model__w=b"w2")])
    s.registry.create_version("fraud", "artifact:p/clf:v0")
    s.registry.create_version("fraud", "runs/train/model")
    s.registry.set_alias("fraud", "champion", 1)
    return s


def ids(graph: dict[str, object]) -> set[str]:
    return {n["id"] for n in graph["nodes"]}  # type: ignore[attr-defined]


def test_downstream_of_a_run_reaches_the_models(store: Store) -> None:
    graph = store.lineage.graph("run:prep", "downstream", hops=4)
    assert ids(graph) == {
        "run:prep",
        "artifact:p/data:v0",
        "run:train",
        "run:evaluate",
        "artifact:p/clf:v0",
        "model:fraud:v1",
        "model:fraud:v2",
    }
    edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    assert ("run:prep", "artifact:p/data:v0", "produced") in edges
    assert ("artifact:p/data:v0", "run:train", "used") in edges
    assert ("artifact:p/clf:v0", "model:fraud:v1", "registered") in edges
    assert ("run:train", "model:fraud:v2", "registered") in edges
    one = store.lineage.graph("run:prep", "downstream", hops=1)
    assert ids(one) == {"run:prep", "artifact:p/data:v0"}
    assert not one["truncated"]


def test_upstream_of_the_champion_reaches_the_data(store: Store) -> None:
    graph = store.lineage.graph("model:fraud@champion", "upstream", hops=4)
    assert graph["root"] == "model:fraud:v1"
    assert ids(graph) == {
        "model:fraud:v1",
        "artifact:p/clf:v0",
        "run:train",
        "artifact:p/data:v0",
        "run:prep",
    }
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["model:fraud:v1"]["aliases"] == ["champion"]
    assert nodes["run:train"]["project"] == "p"
    both = store.lineage.graph("artifact:p/data:latest", "both", hops=1)
    assert ids(both) == {"artifact:p/data:v0", "run:prep", "run:train", "run:evaluate"}
    with pytest.raises(InvalidInput, match="not understood"):
        store.lineage.graph("blob:abc")
    with pytest.raises(NotFound):
        store.lineage.graph("run:nope")
    with pytest.raises(InvalidInput, match="hops"):
        store.lineage.graph("run:prep", hops=50)

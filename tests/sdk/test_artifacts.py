"""Artifacts and run files from a training script, into the local data dir (no server)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import trailmark as tm
from trailmark.errors import CorruptBlob, InvalidInput


def make_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture
def run(tmp_path: Path) -> Iterator[tm.Run]:
    started = tm.init(project="p", dir=tmp_path / "tm", id="producer")
    yield started
    started.finish()


def test_log_use_download_and_verify(run: tm.Run, tmp_path: Path) -> None:
    src = make_files(tmp_path / "data", {"train/a.csv": b"a,b\n1,2\n", "labels.txt": b"cat\ndog\n"})
    art = tm.Artifact("pets", type="dataset", metadata={"classes": 2})
    art.add_dir(src)
    assert [e.path for e in art.files] == ["labels.txt", "train/a.csv"]
    assert art.files[0].digest == hashlib.sha256(b"cat\ndog\n").hexdigest()
    assert run.log_artifact(art, aliases=["best"]) is art
    art.wait(30)
    assert (art.version, art.ref, art.state) == (0, "pets:v0", "committed")
    assert art.aliases == ["best", "latest"] and art.uploaded_files == 2
    again = tm.Artifact("pets", type="dataset", metadata={"classes": 2})
    again.add_dir(src)
    run.log_artifact(again).wait(30)
    assert (again.version, again.uploaded_bytes) == (0, 0)  # same files: same version, no upload

    with tm.init(project="p", dir=tmp_path / "tm", id="consumer") as consumer:
        used = consumer.use_artifact("pets:best")
        root = used.download(tmp_path / "out")
        assert (root / "train" / "a.csv").read_bytes() == b"a,b\n1,2\n"
        used.verify(root)
        (root / "labels.txt").write_bytes(b"cat\nemu\n")
        with pytest.raises(CorruptBlob, match=r"labels\.txt"):
            used.verify(root)
        used.download(root)  # repairs it
        used.verify(root)
    with tm.Api(dir=tmp_path / "tm") as api:
        assert api.run("p/consumer").id == "consumer"


def test_run_files_are_saved(run: tm.Run, tmp_path: Path) -> None:
    make_files(
        tmp_path / "out", {"model/weights.bin": b"w", "model/config.json": b"{}", "a.log": b"l"}
    )
    assert run.save(tmp_path / "out" / "model") == ["model/config.json", "model/weights.bin"]
    assert run.log_file(tmp_path / "out" / "a.log", name="logs/train.log") == "logs/train.log"
    assert run.save(str(tmp_path / "out" / "*.log")) == ["a.log"]
    run.finish()
    version = tm.register_model("runs/producer/model", "clf", dir=tmp_path / "tm")
    assert sorted(e.path for e in version.files) == ["config.json", "weights.bin"]


def test_mistakes_are_explained(run: tm.Run, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no files"):
        run.log_artifact(tm.Artifact("empty"))
    with pytest.raises(InvalidInput, match="invalid"):
        tm.Artifact("../escape")
    art = tm.Artifact("a")
    art.add_file(make_files(tmp_path, {"f": b"1"}) / "f")
    with pytest.raises(InvalidInput, match="already has a file"):
        art.add_file(tmp_path / "f")
    with pytest.raises(InvalidInput, match="not committed"):
        art.download()
    run.log_artifact(art)
    with pytest.raises(InvalidInput, match="already logged"):
        art.add_file(tmp_path / "f", name="g")
    with pytest.raises(InvalidInput, match="no file matches"):
        run.save(tmp_path / "nothing-*.pt")


def test_references_are_tracked_not_copied(run: tm.Run, tmp_path: Path) -> None:
    src = make_files(tmp_path / "ext", {"big.bin": b"x" * 1000})
    art = tm.Artifact("refs")
    [entry] = art.add_reference((src / "big.bin").as_uri())
    assert entry.ref == (src / "big.bin").as_uri() and entry.digest is not None
    run.log_artifact(art).wait(30)
    assert art.uploaded_bytes == 0
    used = run.use_artifact("refs:latest")
    root = used.download(tmp_path / "got")
    assert (root / "big.bin").read_bytes() == b"x" * 1000
    (src / "big.bin").write_bytes(b"y" * 1000)  # the referenced file changed
    with pytest.raises(CorruptBlob):
        used.download(tmp_path / "again")


def test_models_from_python(run: tm.Run, tmp_path: Path) -> None:
    art = tm.Artifact("clf", type="model")
    art.add_file(make_files(tmp_path, {"model.pt": b"weights"}) / "model.pt")
    run.log_artifact(art).wait(30)
    first = tm.register_model("artifact:clf:v0", "fraud")  # the project is the run's
    second = tm.register_model("artifact:p/clf:latest", "fraud")
    assert (first.version, second.version, first.source_run) == (1, 2, "producer")
    tm.models.set_alias("fraud", "champion", 1)
    tm.models.promote("fraud", 2, "Production")
    champion = tm.models.get("fraud@champion")
    assert (champion.version, champion.stage) == (1, "None")
    root = champion.download(tmp_path / "serve")
    assert (root / "model.pt").read_bytes() == b"weights"
    assert tm.models.get("fraud:2").stage == "Production"
    assert [m["name"] for m in tm.models.list_models()] == ["fraud"]
    assert tm.models.events("fraud")[0]["kind"] == "stage_changed"


def test_a_script_that_forgets_finish_still_commits_its_artifacts(tmp_path: Path) -> None:
    make_files(tmp_path / "data", {f"{i}.txt": str(i).encode() for i in range(20)})
    code = f"""
import trailmark as tm
run = tm.init(project="p", dir={str(tmp_path / "tm")!r}, id="forgetful")
art = tm.Artifact("many")
art.add_dir({str(tmp_path / "data")!r})
run.log_artifact(art)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "failed" not in result.stderr
    with tm.init(project="p", dir=tmp_path / "tm", id="reader") as reader:
        assert len(reader.use_artifact("many:v0").files) == 20

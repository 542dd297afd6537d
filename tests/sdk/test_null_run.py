"""``init(mode="disabled")``: a null run on which every public method works and records nothing."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import get_args

import pytest

import trailmark as tm
from trailmark.sdk.init import MODES
from trailmark.sdk.null_run import NullRun
from trailmark.sdk.run import Mode, Run
from trailmark.settings import MODES as SETTING_MODES


def public_members(cls: type) -> set[str]:
    names = {n for n in vars(cls) if not n.startswith("_") and n != "mro"}
    return names | {"__enter__", "__exit__", "__repr__"}


def test_every_public_method_of_run_is_overridden() -> None:
    # A method added to Run must get its no-op here, or it would reach a spool that a
    # disabled run does not have.
    inherited = {name for name in public_members(Run) if name not in vars(NullRun)}
    assert inherited == set()


def test_every_call_works_and_nothing_is_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run = tm.init(project="p", mode="disabled", dir=data_dir, config={"lr": 0.1})
    assert isinstance(run, NullRun) and isinstance(run, tm.Run)
    assert tm.run is run and run.mode == "disabled"
    run.log({"loss": 1.0})
    tm.log({"loss": 2.0}, step=5)
    run.define_metric("loss", summary="min")
    run.set_tags(["a"])
    run.set_notes("n")
    run.config.update({"batch": 32})
    run.summary["best"] = 3
    assert (run.config.lr, run.config.batch, run.summary["best"]) == (0.1, 32, 3)
    assert run.step == 0

    weights = tmp_path / "model.pt"
    weights.write_bytes(b"w")
    assert run.save(str(weights)) == ["model.pt"]
    assert run.log_file(weights, name="best.pt") == "best.pt"
    art = tm.Artifact("model", type="model")
    art.add_file(weights)
    assert run.log_artifact(art) is art

    data = run.use_artifact("other/imagenet-subset:v3")
    assert (data.project, data.name, data.version, data.files) == (
        "other",
        "imagenet-subset",
        3,
        [],
    )
    root = data.download(tmp_path / "downloaded")
    assert root.is_dir() and list(root.iterdir()) == []
    data.verify(root)
    assert run.use_artifact("imagenet-subset").default_root() == Path(
        "artifacts/imagenet-subset/latest"
    )

    assert run.finish() is None
    assert tm.run is None
    assert not data_dir.exists()


def test_a_disabled_run_as_a_context_manager_swallows_nothing(tmp_path: Path) -> None:
    def script() -> None:
        with tm.init(project="p", mode="disabled", dir=tmp_path) as run:
            run.log({"x": 1.0})
            raise KeyError("the script's own error")

    with pytest.raises(KeyError):
        script()
    assert tm.run is None


def test_the_same_mistakes_fail_in_every_mode(tmp_path: Path) -> None:
    run = tm.init(project="p", mode="disabled", dir=tmp_path)
    with pytest.raises(ValueError, match="summary must be one of"):
        run.define_metric("loss", summary="median")
    with pytest.raises(tm.InvalidInput, match="project name"):
        tm.init(project="a/b", mode="disabled", dir=tmp_path)


def test_mode_is_one_of_three_and_a_wrong_one_says_which() -> None:
    assert MODES == get_args(Mode) == SETTING_MODES
    with pytest.raises(
        tm.InvalidInput, match="mode must be one of 'online', 'offline', 'disabled'"
    ):
        tm.init(project="p", mode="sideways")  # type: ignore[arg-type]
    with pytest.raises(tm.InvalidInput, match="resume must be one of"):
        tm.init(project="p", mode="disabled", resume="maybe")  # type: ignore[arg-type]


def test_init_builds_the_run_in_one_call() -> None:
    # What a run needs is given to its constructor, nothing is set on it afterwards.
    source = inspect.getsource(inspect.getmodule(tm.init))  # type: ignore[arg-type]
    assert re.search(r"\brun\._\w+\s*=[^=]", source) is None

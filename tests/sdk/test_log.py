"""log(): what a training loop writes, read back from the spool of an offline run."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

import trailmark as tm


def spool_records(run: tm.Run) -> list[dict[str, Any]]:
    lines = Path(run.spool_path).read_bytes().splitlines()
    return [orjson.loads(line) for line in lines[1:]]


@pytest.fixture
def offline(tmp_path: Path) -> tm.Run:
    return tm.init(project="p", mode="offline", dir=tmp_path)


def metric_records(run: tm.Run) -> list[dict[str, Any]]:
    return [r for r in spool_records(run) if r["t"] == "m"]


def test_steps_count_up_by_themselves(offline: tm.Run) -> None:
    for i in range(3):
        offline.log({"loss": 1.0 / (i + 1)})
    assert [r["s"] for r in metric_records(offline)] == [0, 1, 2]
    assert [r["d"]["loss"] for r in metric_records(offline)] == [1.0, 0.5, 1 / 3]


def test_commit_false_keeps_the_step_and_explicit_step_moves_it(offline: tm.Run) -> None:
    offline.log({"a": 1}, commit=False)
    offline.log({"b": 2})
    offline.log({"c": 3}, step=10)
    offline.log({"d": 4})
    assert [r["s"] for r in metric_records(offline)] == [0, 0, 10, 11]


def test_nested_dicts_flatten_and_special_values_are_kept(offline: tm.Run) -> None:
    offline.log(
        {
            "train": {"loss": 0.5, "acc": {"top1": 0.9}},
            "nan": math.nan,
            "inf": math.inf,
            "ninf": -math.inf,
            "flag": True,
            "np": np.float32(0.25),
            "np_int": np.int64(7),
            "big": 10**30,
        }
    )
    data = metric_records(offline)[0]["d"]
    assert data == {
        "train/loss": 0.5,
        "train/acc/top1": 0.9,
        "nan": "NaN",
        "inf": "Infinity",
        "ninf": "-Infinity",
        "flag": 1.0,
        "np": 0.25,
        "np_int": 7.0,
        "big": 1e30,
    }


def test_a_wrong_type_warns_once_naming_the_key_and_is_skipped(offline: tm.Run) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        offline.log({"loss": 0.1, "label": "cat"})
        offline.log({"loss": 0.2, "label": "dog"})
        offline.log({"x" * 300: 1.0})
    messages = [str(w.message) for w in caught]
    assert sum("'label'" in m for m in messages) == 1
    assert any("too long" in m for m in messages)
    assert [r["d"] for r in metric_records(offline)] == [{"loss": 0.1}, {"loss": 0.2}, {}]


def test_summary_shows_last_values_and_user_values(offline: tm.Run) -> None:
    offline.log({"loss": 2.0})
    offline.log({"loss": math.nan})
    offline.summary["best_acc"] = 0.97
    assert math.isnan(offline.summary["loss"])
    assert offline.summary["best_acc"] == 0.97
    assert {"t": "sum", "d": {"best_acc": 0.97}}.items() <= spool_records(offline)[-1].items()


def test_config_attribute_and_item_access_record_changes(offline: tm.Run) -> None:
    offline.config.lr = 0.1
    offline.config["model"] = {"layers": 4}
    offline.config.update({"batch": 32})
    assert offline.config.lr == 0.1
    assert offline.config["model"]["layers"] == 4
    cfg = [r["d"] for r in spool_records(offline) if r["t"] == "cfg"]
    assert cfg == [{"lr": 0.1}, {"model": {"layers": 4}}, {"batch": 32}]


def test_sequence_numbers_are_unique_and_increasing(offline: tm.Run) -> None:
    offline.log({"a": 1})
    offline.config.x = 1
    offline.log({"a": 2})
    offline.finish()
    seqs = [r["q"] for r in spool_records(offline)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert spool_records(offline)[-1]["t"] == "fin"


def test_module_level_facades_use_the_current_run(tmp_path: Path) -> None:
    run = tm.init(project="p", mode="offline", dir=tmp_path, config={"lr": 1})
    tm.log({"x": 1.0})
    assert tm.config.lr == 1
    tm.summary["s"] = 2
    assert tm.run is run
    tm.finish()
    assert tm.run is None
    with pytest.raises(tm.TrailmarkError, match="init"):
        tm.log({"x": 1})


def test_disabled_mode_does_nothing(tmp_path: Path) -> None:
    run = tm.init(project="p", mode="disabled", dir=tmp_path)
    run.log({"x": 1.0})
    run.finish()
    assert not (tmp_path / "spool").exists()


def test_bad_arguments_to_init_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(tm.InvalidInput, match="mode"):
        tm.init(project="p", mode="sideways", dir=tmp_path)
    with pytest.raises(tm.InvalidInput, match="project name"):
        tm.init(project="a/b", dir=tmp_path, mode="offline")
    with pytest.raises(tm.InvalidInput, match="run id"):
        tm.init(project="p", id="../etc", dir=tmp_path, mode="offline")

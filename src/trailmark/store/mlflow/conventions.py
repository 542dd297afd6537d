"""How MLflow params and tags map onto a Trailmark run (pure functions, no SQL).

Params: MLflow params are strings; Trailmark's ``config`` is typed, nested JSON. A param is
stored twice, on purpose:

- parsed into ``config`` at the path its key names (``optimizer.lr`` → ``{"optimizer":
  {"lr": ...}}``), so the dashboard shows it as config and the filter language compares it
  as a number (``config.optimizer.lr < 1e-3``): ``"3"`` becomes 3, ``"1e-3"`` 0.001,
  ``"True"``/``"False"`` booleans, ``"None"`` null, anything else stays a string;
- verbatim in ``metadata["mlflow"]["params"]``, so MLflow reads back exactly the string it
  logged (``"1e-3"`` stays ``"1e-3"``, not ``"0.001"``).

The MLflow view of a run's params is its flattened ``config`` (values rendered as Python's
``str`` would, as MLflow's own clients do) overlaid with the verbatim strings. A native run's
config ``{"model": {"layers": 4}}`` is therefore the MLflow param ``model.layers = "4"``.
A key that cannot live in config (``a.b`` after ``a`` was logged as a number) is kept flat
(``config["a.b"]``) or, failing that, only verbatim.

Tags: MLflow tags are ``properties``, except ``mlflow.runName`` (the run's ``name``) and
``mlflow.note.content`` (its ``notes``). ``mlflow.user`` and ``mlflow.source.*`` are also
copied into ``metadata`` (``user``, ``source``) where the dashboard shows a run's origin.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

RUN_NAME_TAG = "mlflow.runName"
NOTE_TAG = "mlflow.note.content"
USER_TAG = "mlflow.user"
SOURCE_TAG_PREFIX = "mlflow.source."
PARENT_RUN_TAG = "mlflow.parentRunId"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
"""The MLmodel JSON of every MLflow 2 model logged by a run, as a JSON list in one tag."""

META_KEY = "mlflow"
"""``metadata["mlflow"]`` holds what has no other home: verbatim params, inputs, outputs."""

MAX_PARAM_DEPTH = 16

ACTIVE_ONLY, DELETED_ONLY, ALL = "ACTIVE_ONLY", "DELETED_ONLY", "ALL"
"""MLflow's view types: which of the soft-deleted experiments or runs a search returns."""
"""Params with more dot-separated parts than this are kept flat in config."""

_INT = re.compile(r"[-+]?\d{1,18}")
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_WORDS: dict[str, Any] = {"True": True, "true": True, "False": False, "false": False, "None": None}


def parse_param(text: str) -> Any:
    """The typed config value for an MLflow param string."""
    if text in _WORDS:
        return _WORDS[text]
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    return text


def render_param(value: Any) -> str:
    """A config value as an MLflow param string (what ``str(value)`` gives in Python)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaf values of nested ``config`` by dotted path; an empty dict is a leaf."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def verbatim_params(metadata: dict[str, Any]) -> dict[str, str]:
    params = metadata.get(META_KEY, {}).get("params", {})
    return dict(params) if isinstance(params, dict) else {}


def params_view(config: dict[str, Any], metadata: dict[str, Any]) -> dict[str, str]:
    """The MLflow params of a run: flattened config, overlaid with the strings MLflow logged."""
    view = {key: render_param(value) for key, value in flatten(config).items()}
    view.update(verbatim_params(metadata))
    return view


def set_param(config: dict[str, Any], key: str, value: Any) -> bool:
    """Put ``value`` at the path ``key`` names inside ``config``; False if it has no place."""
    parts = key.split(".")
    if all(parts) and len(parts) <= MAX_PARAM_DEPTH:
        node = config
        for part in parts[:-1]:
            if part not in node:
                node[part] = {}
            child = node[part]
            if not isinstance(child, dict):
                break
            node = child
        else:
            if not (isinstance(node.get(parts[-1]), dict) and node[parts[-1]]):
                node[parts[-1]] = value
                return True
    if isinstance(config.get(key), dict) and config[key]:
        return False
    config[key] = value
    return True


def source_metadata(tags: dict[str, str]) -> dict[str, Any]:
    """``metadata`` entries mirrored from MLflow's user and source tags."""
    out: dict[str, Any] = {}
    if USER_TAG in tags:
        out["user"] = tags[USER_TAG]
    source = {
        key[len(SOURCE_TAG_PREFIX) :].replace(".", "_"): value
        for key, value in tags.items()
        if key.startswith(SOURCE_TAG_PREFIX)
    }
    if source:
        out["source"] = source
    return out

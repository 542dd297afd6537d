"""The record format: what a run writes to its spool and what ingest consumes.

A spool is a file of JSON lines. The first line is a header (``"t": "hdr"``) naming the
run, project, writer and destination; every later line is one record with a type ``t``
and a sequence number ``q`` that counts up from 1 per writer. The store keeps a record
at most once per (run, writer, q), so a replay is harmless.

Record types:

- ``run``: create or resume the run: name, config, tags, notes, group, job_type, host,
  metadata, created, resume.
- ``m``: metrics at a step: ``s`` step, ``w`` wall time, ``d`` {key: value}.
- ``cfg``: config values to merge (nested).
- ``sum``: user-set summary values.
- ``def``: ``define_metric``: ``k`` key, ``summary`` mode.
- ``upd``: changed run fields (name, tags, notes).
- ``fin``: the run ended: ``state``, ``exit_code``, ``w``, optional ``error``.
- ``sys``: system metrics sampled at wall time ``w``: ``d`` {key: value}, every key under
  ``system/``. They have no step: the store files them on the system axis (milliseconds
  since the run was created), so they never move the user's step counter.
- ``log``: console output: ``lines`` [[time, stream, text], ...], stream ``stdout`` or
  ``stderr``; the store numbers the lines of a run in the order it receives them.
- ``meta``: run metadata to merge (git, program, environment, host): ``d`` {key: value}
  merged at the top level; optional ``large`` {path: value} for bulky entries (a diff, the
  package list) that are kept beside the run and returned only with the single run.

The store checks and applies each type in its own module, found through one registry
(:mod:`trailmark.store.record_kinds`); :data:`RECORD_TYPES` are the types this SDK writes.

Writers with a rank (one process of a distributed job; see :mod:`trailmark.sdk.distributed`):
rank 0, or a writer without a rank, writes the run's own series; the metrics of rank ``r > 0``
are stored under ``<key>@rank<r>`` (see :func:`rank_key`), their metadata under
``metadata.ranks.<r>``.

Non-finite floats are written as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
(the protobuf JSON convention) because JSON has no literal for them.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from trailmark.types import JSON

HEADER: Final = "hdr"
RUN: Final = "run"
METRICS: Final = "m"
CONFIG: Final = "cfg"
SUMMARY: Final = "sum"
DEFINE: Final = "def"
UPDATE: Final = "upd"
FINISH: Final = "fin"
SYSTEM: Final = "sys"
CONSOLE: Final = "log"
META: Final = "meta"
RECORD_TYPES: Final = frozenset(
    {RUN, METRICS, CONFIG, SUMMARY, DEFINE, UPDATE, FINISH, SYSTEM, CONSOLE, META}
)

SYSTEM_PREFIX: Final = "system/"
STREAMS: Final = ("stdout", "stderr")
RANK_MARK: Final = "@rank"
_RANK_SUFFIX = re.compile(r"@rank(\d+)\Z")

SUMMARY_MODES: Final = ("last", "min", "max", "mean", "first", "none")

NONFINITE_TO_TEXT: Final[dict[str, str]] = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
TEXT_TO_FLOAT: Final[dict[str, float]] = {
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity": -math.inf,
}


def float_to_json(value: float) -> float | str:
    """A float as JSON allows it: itself, or ``"NaN"``/``"Infinity"``/``"-Infinity"``."""
    if math.isfinite(value):
        return value
    return NONFINITE_TO_TEXT[repr(value)]


def floats_back(mapping: dict[str, Any]) -> dict[str, Any]:
    """A JSON object's non-finite strings (``"NaN"``, ``"Infinity"``...) back to floats."""
    return {
        k: (TEXT_TO_FLOAT[v] if isinstance(v, str) and v in TEXT_TO_FLOAT else v)
        for k, v in mapping.items()
    }


def metric_from_json(value: Any) -> float | None:
    """The float a metric value in a record stands for; ``None`` if it is not one."""
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if type(value) is str:
        return TEXT_TO_FLOAT.get(value)
    return None


def json_safe(value: Any) -> JSON:
    """Replace non-finite floats anywhere inside ``value`` by their JSON strings."""
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def rows_to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History rows with non-finite values as JSON strings (for the REST API)."""
    for row in rows:
        for key, value in row.items():
            if type(value) is float and value - value != 0:
                row[key] = float_to_json(value)
    return rows


def is_primary(rank: int | None) -> bool:
    """Whether a writer of this rank writes the run's own series (rank 0, or no rank)."""
    return rank is None or rank == 0


def rank_key(key: str, rank: int | None) -> str:
    """The stored name of metric ``key`` logged by ``rank``: ``key`` itself for rank 0 (or
    none), ``key@rank<r>`` for the others.

    Example::

        rank_key("train/loss", 3) == "train/loss@rank3"
    """
    return key if is_primary(rank) else f"{key}{RANK_MARK}{rank}"


def split_rank_key(key: str) -> tuple[str, int | None]:
    """The inverse of :func:`rank_key`: ``("train/loss", 3)`` for ``"train/loss@rank3"``."""
    if RANK_MARK not in key:
        return key, None
    found = _RANK_SUFFIX.search(key)
    if found is None:
        return key, None
    return key[: found.start()], int(found.group(1))


def is_system_key(key: str) -> bool:
    return key.startswith(SYSTEM_PREFIX)


def is_run_series(key: str) -> bool:
    """Whether a stored series is one of the run's own (not system, not another rank's)."""
    return not key.startswith(SYSTEM_PREFIX) and (
        RANK_MARK not in key or _RANK_SUFFIX.search(key) is None
    )

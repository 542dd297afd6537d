"""Shared type aliases."""

from __future__ import annotations

from typing import Any, TypeAlias

JSON: TypeAlias = Any
"""A value that round-trips through JSON (dicts, lists, str, int, float, bool, None)."""

JSONObject: TypeAlias = dict[str, Any]

Record: TypeAlias = dict[str, Any]
"""One decoded spool record; see :mod:`trailmark.records`."""

RUN_STATES = ("running", "finished", "failed", "crashed", "killed")

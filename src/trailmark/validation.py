"""Checks shared by the SDK, the store and the server, each with a message that says how to fix it."""

from __future__ import annotations

import re
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.limits import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_TAGS,
)

_RUN_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def check_name(kind: str, value: Any, *, allow_slash: bool = True) -> str:
    """A project, run, group or tag name: 1-256 characters, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{kind} must be a non-empty string, got {_shorten(repr(value))}")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"{kind} {_shorten(value)!r} is too long: at most {MAX_NAME_LENGTH} characters"
        )
    if _CONTROL.search(value):
        raise InvalidInput(f"{kind} {_shorten(value)!r} contains control characters")
    if not allow_slash and "/" in value:
        raise InvalidInput(f"{kind} {value!r} may not contain '/'")
    return value


def check_no_nul(kind: str, value: str) -> str:
    """A key (an MLflow param or tag key): no NUL character, which PostgreSQL cannot store
    in a name and which no name needs. Values may hold one (see trailmark.store.nul)."""
    if "\x00" in value:
        raise InvalidInput(f"{kind} {_shorten(value)!r} contains a NUL character (U+0000)")
    return value


def check_project_name(value: Any) -> str:
    return check_name("project name", value, allow_slash=False)


def check_run_id(value: Any) -> str:
    if not isinstance(value, str) or not _RUN_ID.fullmatch(value):
        raise InvalidInput(
            f"run id {_shorten(repr(value))} is invalid: use 1-64 letters, digits, '_' or '-'"
        )
    return value


def key_problem(key: Any) -> str | None:
    """Why ``key`` cannot name a metric, or ``None`` if it can."""
    if not isinstance(key, str) or not key:
        return f"a metric key must be a non-empty string, got {_shorten(repr(key))}"
    if len(key) > MAX_KEY_LENGTH:
        return f"metric key {_shorten(key)!r} is too long: at most {MAX_KEY_LENGTH} characters"
    if _CONTROL.search(key):
        return f"metric key {_shorten(key)!r} contains control characters"
    return None


def check_key(key: Any) -> str:
    problem = key_problem(key)
    if problem:
        raise InvalidInput(problem)
    return str(key)


def check_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list | tuple):
        raise InvalidInput(f"tags must be a list of strings, got {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"too many tags ({len(tags)}): at most {MAX_TAGS}")
    out: list[str] = []
    for tag in tags:
        check_name("tag", tag)
        if tag not in out:
            out.append(tag)
    return out


def check_notes(notes: Any) -> str:
    if not isinstance(notes, str):
        raise InvalidInput(f"notes must be a string, got {type(notes).__name__}")
    if len(notes) > MAX_NOTES_LENGTH:
        raise InvalidInput(f"notes are too long: at most {MAX_NOTES_LENGTH} characters")
    return notes


def check_json_object(kind: str, value: Any, encoded_size: int | None = None) -> dict[str, Any]:
    """A JSON object (config, summary, properties) within the depth and size limits."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{kind} must be an object, got {type(value).__name__}")
    _check_depth(kind, value, 1)
    if encoded_size is not None and encoded_size > MAX_CONFIG_BYTES:
        raise InvalidInput(f"{kind} is too large: at most {MAX_CONFIG_BYTES} bytes as JSON")
    return value


def _check_depth(kind: str, value: Any, depth: int) -> None:
    if depth > MAX_CONFIG_DEPTH:
        raise InvalidInput(f"{kind} is nested too deeply: at most {MAX_CONFIG_DEPTH} levels")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidInput(f"{kind} keys must be strings, got {k!r}")
            if len(k) > MAX_KEY_LENGTH:
                raise InvalidInput(
                    f"{kind} key {_shorten(k)!r} is too long: at most {MAX_KEY_LENGTH} characters"
                )
            _check_depth(kind, v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(kind, v, depth + 1)


def check_run_fields(fields: dict[str, Any]) -> None:
    """The run fields present in ``fields`` (name, state, tags, notes, JSON objects, names).

    Tags are normalised in place (duplicates dropped).
    """
    from trailmark.types import RUN_STATES

    if fields.get("name") is not None:
        check_name("run name", fields["name"])
    if fields.get("state") is not None and fields["state"] not in RUN_STATES:
        raise InvalidInput(f"state must be one of {', '.join(RUN_STATES)}, got {fields['state']!r}")
    if fields.get("tags") is not None:
        fields["tags"] = check_tags(fields["tags"])
    if fields.get("notes") is not None:
        check_notes(fields["notes"])
    for kind in ("config", "summary", "properties", "metadata"):
        if fields.get(kind) is not None:
            check_json_object(kind, fields[kind])
    for kind in ("group", "job_type", "host"):
        if fields.get(kind) is not None:
            check_name(kind, fields[kind])

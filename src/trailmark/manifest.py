"""Artifact manifests, and the checks on every name, path and digest that comes from a client.

A manifest is the list of files of an artifact version (or of a registered model version):
one :class:`Entry` per file, ``{"path", "size", "digest"}`` where ``digest`` is the sha256
of the content as 64 lowercase hex digits. A *reference* entry (``"ref": "s3://..."``) is
tracked by URI and checksum (``digest`` when known, otherwise the store's ``etag``) and is
not copied. File contents are stored once per digest (content-addressed), so a new version
that changes one file of a thousand stores one file.

Security: a manifest path is only ever a *name*. It is normalised and refused when it could
escape a directory (``..``, absolute, backslashes, drive letters, NUL or control characters);
blobs are addressed by digest alone (validated hex). The SDK checks again when it writes a
download under a root directory.

Example::

    entry = Entry.from_json({"path": "data/train.csv", "size": 12, "digest": "ab" * 32})
    manifest_digest([entry])   # the version's digest: same files, same digest
"""

from __future__ import annotations

import hashlib
import itertools
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from trailmark.errors import InvalidInput

DIGEST_RE = re.compile(r"[0-9a-f]{64}")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
ALIAS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
VERSION_RE = re.compile(r"v?(\d{1,9})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:")

MAX_PATH_CHARS = 1024
MAX_PATH_BYTES = 2048
MAX_ENTRIES = 200_000
"""Most files in one artifact version (about 30 MB of manifest JSON)."""
MAX_REF_LENGTH = 4096
READ_CHUNK = 1 << 20


def check_digest(value: Any) -> str:
    """A sha256 digest: 64 lowercase hex digits."""
    if not isinstance(value, str) or not DIGEST_RE.fullmatch(value):
        shown = repr(value)[:80]
        raise InvalidInput(f"digest {shown} is invalid: give the sha256 as 64 lowercase hex digits")
    return value


def check_artifact_name(value: Any, kind: str = "artifact name") -> str:
    """An artifact or model name: 1-128 letters, digits, '_', '-' or '.', starting alphanumeric."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise InvalidInput(
            f"{kind} {repr(value)[:80]} is invalid: use 1-128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (no '/', ':' or '@')"
        )
    return value


def check_model_name(value: Any) -> str:
    """A registered model name, as MLflow allows it: up to 128 characters, spaces included,
    without '/' or ':' (they would change a ``models:/NAME/VERSION`` URI or a route), '@'
    (``NAME@ALIAS``), control characters, or a form a path would resolve to another name."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("Missing value for required parameter 'name'.")
    if "/" in value or ":" in value:
        raise InvalidInput(f"Invalid model name '{value[:200]}'. Names cannot contain '/' or ':'.")
    normal = posixpath.normpath(value)
    if normal != value or normal == "." or normal.startswith(".."):
        raise InvalidInput(
            f"Invalid value {value[:200]!r} for parameter 'name' supplied: Names may be treated "
            "as files in certain cases, and must not resolve to other names when treated as "
            f"such. This name would resolve to {normal[:200]!r}"
        )
    if _CONTROL.search(value) or "@" in value or len(value) > 128:
        raise InvalidInput(
            f"model name {repr(value)[:80]} is invalid: use at most 128 characters, without a "
            "control character or '@' ('@' names an alias: NAME@ALIAS)"
        )
    return value


def check_type(value: Any) -> str:
    """An artifact type such as ``dataset`` or ``model``: 1-64 letters, digits, '_', '-', '.'."""
    if not isinstance(value, str) or not ALIAS_RE.fullmatch(value):
        raise InvalidInput(
            f"artifact type {repr(value)[:80]} is invalid: use 1-64 letters, digits, '_', '-', '.' "
            "(e.g. dataset, model)"
        )
    return value


def check_alias(value: Any) -> str:
    """An alias such as ``latest``, ``best`` or ``champion``; ``v3`` and ``3`` name versions."""
    if not isinstance(value, str) or not ALIAS_RE.fullmatch(value):
        raise InvalidInput(
            f"alias {repr(value)[:80]} is invalid: use 1-64 letters, digits, '_', '-' or '.'"
        )
    if VERSION_RE.fullmatch(value):
        raise InvalidInput(f"alias {value!r} looks like a version number; choose another name")
    return value


def parse_version(ref: str) -> int | None:
    """The version number ``ref`` names (``"v3"`` or ``"3"``), or ``None`` for an alias."""
    match = VERSION_RE.fullmatch(ref)
    return int(match.group(1)) if match else None


def parse_artifact_ref(text: str) -> tuple[str | None, str, str]:
    """``"[project/]name[:version or alias]"`` → (project or None, name, ref), ref ``latest`` by default.

    >>> parse_artifact_ref("mnist/train-data:v3")
    ('mnist', 'train-data', 'v3')
    """
    project: str | None = None
    if "/" in text:
        project, text = text.split("/", 1)
    name, _, ref = text.partition(":")
    check_artifact_name(name)
    return project, name, ref or "latest"


def normalize_path(value: Any) -> str:
    """A manifest path, normalised (``a//b/./c`` becomes ``a/b/c``); refused if it could escape.

    >>> normalize_path("data/./train.csv")
    'data/train.csv'
    """
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"a file path must be a non-empty string, got {repr(value)[:80]}")
    text = unicodedata.normalize("NFC", value)
    problem = None
    if _CONTROL.search(text):
        problem = "contains NUL or control characters"
    elif "\\" in text:
        problem = "contains a backslash; use '/' between directories"
    elif text.startswith("/"):
        problem = "is absolute; give a path relative to the artifact's root"
    elif _DRIVE.match(text):
        problem = "starts with a drive letter"
    if problem is None:
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if ".." in parts:
            problem = "contains '..'"
        elif not parts:
            problem = "names no file"
        else:
            text = "/".join(parts)
    if problem is None and (len(text) > MAX_PATH_CHARS or len(text.encode()) > MAX_PATH_BYTES):
        problem = f"is too long (at most {MAX_PATH_CHARS} characters)"
    if problem is not None:
        raise InvalidInput(f"file path {value[:120]!r} {problem}")
    return text


@dataclass(frozen=True)
class Entry:
    """One file of a manifest: stored content (``digest``) or an external reference (``ref``)."""

    path: str
    size: int
    digest: str | None
    ref: str | None = None
    etag: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "size": self.size, "digest": self.digest}
        if self.ref is not None:
            data["ref"] = self.ref
            data["etag"] = self.etag
        return data

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        if not isinstance(data, dict):
            raise InvalidInput("a manifest entry must be an object with path, size and digest")
        path = normalize_path(data.get("path"))
        size = data.get("size")
        if type(size) is not int or size < 0:
            raise InvalidInput(f"{path}: size must be a non-negative integer, got {size!r}")
        ref, etag, digest = data.get("ref"), data.get("etag"), data.get("digest")
        if ref is None:
            return cls(path, size, check_digest(digest))
        if not isinstance(ref, str) or not 0 < len(ref) <= MAX_REF_LENGTH or _CONTROL.search(ref):
            raise InvalidInput(f"{path}: ref must be a URI of at most {MAX_REF_LENGTH} characters")
        if etag is not None and (not isinstance(etag, str) or len(etag) > 256):
            raise InvalidInput(f"{path}: etag must be a string of at most 256 characters")
        return cls(path, size, check_digest(digest) if digest is not None else None, ref, etag)


def check_entries(data: Any) -> list[Entry]:
    """Validated entries of a manifest (a list of entry objects), sorted by path, paths unique."""
    if not isinstance(data, list):
        raise InvalidInput("the manifest must be a list of entries {path, size, digest}")
    if len(data) > MAX_ENTRIES:
        raise InvalidInput(
            f"a version holds at most {MAX_ENTRIES} files, got {len(data)}; split the artifact"
        )
    entries = sorted((Entry.from_json(item) for item in data), key=lambda e: e.path)
    for before, after in itertools.pairwise(entries):
        if before.path == after.path:
            raise InvalidInput(f"the manifest names {after.path!r} twice")
    return entries


def manifest_digest(entries: Iterable[Entry]) -> str:
    """The sha256 of the canonical manifest: equal files give equal digests."""
    canonical = [e.to_json() for e in sorted(entries, key=lambda e: e.path)]
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256, size) of a file, read in 1 MiB chunks (never the whole file in memory)."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def safe_join(root: Path, path: str) -> Path:
    """``root / path`` for a manifest path, refusing anything that would land outside ``root``."""
    target = root.joinpath(*normalize_path(path).split("/"))
    resolved_root = root.resolve()
    if not target.resolve().is_relative_to(resolved_root):
        raise InvalidInput(f"file path {path!r} would be written outside {root}")
    return target

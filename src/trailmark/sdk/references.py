"""Artifact references: files tracked by URI and checksum, not copied (``file://``, ``s3://``, ``https://``).

- ``file:///data/set`` (a file or a directory): sha256 of each file, computed locally.
- ``s3://bucket/prefix`` (an object or every object under the prefix): size and ETag, as
  S3 lists them (credentials from the usual AWS settings; needs ``trailmark[s3]``).
- ``https://host/file``: size and ETag from a HEAD request.

Downloading a reference fetches it from its URI and checks it: the sha256 when known,
otherwise the ETag (S3 refuses a changed object) and the size.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trailmark.errors import CorruptBlob, InvalidInput, NotFound
from trailmark.manifest import Entry, file_digest, normalize_path

if TYPE_CHECKING:
    from trailmark.sdk.content import Sink

MAX_REFERENCED_OBJECTS = 100_000
BLOCK = 1024 * 1024


def describe(uri: str, name: str | None = None) -> list[Entry]:
    """Manifest entries for ``uri``; ``name`` is the entry (or directory) name to use."""
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme == "file":
        return _describe_file(uri, name)
    if scheme == "s3":
        return _describe_s3(uri, name)
    if scheme in ("http", "https"):
        return [_describe_http(uri, name)]
    raise InvalidInput(
        f"cannot reference {uri[:100]!r}: use file:///path, s3://bucket/key or https://host/path"
    )


def _describe_file(uri: str, name: str | None) -> list[Entry]:
    path = Path(urllib.parse.unquote(urllib.parse.urlsplit(uri).path))
    if path.is_file():
        digest, size = file_digest(path)
        return [Entry(normalize_path(name or path.name), size, digest, ref=path.as_uri())]
    if not path.is_dir():
        raise NotFound(f"nothing at {path} to reference")
    entries = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        digest, size = file_digest(file)
        entry_name = f"{name}/{relative}" if name else relative
        entries.append(Entry(normalize_path(entry_name), size, digest, ref=file.as_uri()))
    return entries


def _s3_client() -> Any:
    try:
        import boto3
    except ImportError:
        raise InvalidInput("s3:// references need boto3: pip install 'trailmark[s3]'") from None
    return boto3.client("s3")


def _describe_s3(uri: str, name: str | None) -> list[Entry]:
    parts = urllib.parse.urlsplit(uri)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    client = _s3_client()
    entries: list[Entry] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/"):
                continue
            if item["Key"] == key:
                relative = name or key.rsplit("/", 1)[-1]
            else:
                rest = item["Key"][len(key) :].lstrip("/")
                relative = f"{name}/{rest}" if name else rest
            entries.append(
                Entry(
                    normalize_path(relative),
                    int(item["Size"]),
                    None,
                    ref=f"s3://{bucket}/{item['Key']}",
                    etag=str(item["ETag"]),
                )
            )
            if len(entries) > MAX_REFERENCED_OBJECTS:
                raise InvalidInput(f"{uri} holds more than {MAX_REFERENCED_OBJECTS} objects")
    if not entries:
        raise NotFound(f"nothing at {uri} to reference")
    return entries


def _describe_http(uri: str, name: str | None) -> Entry:
    request = urllib.request.Request(uri, method="HEAD")  # noqa: S310 - the scheme was checked
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        size = int(response.headers.get("Content-Length") or 0)
        etag = response.headers.get("ETag")
    default = urllib.parse.unquote(urllib.parse.urlsplit(uri).path.rsplit("/", 1)[-1]) or "index"
    return Entry(normalize_path(name or default), size, None, ref=uri, etag=etag)


def fetch(entry: Entry, sink: Sink) -> None:
    """Write what ``entry.ref`` points at into ``sink`` (the caller checks digest and size)."""
    assert entry.ref is not None
    parts = urllib.parse.urlsplit(entry.ref)
    if parts.scheme == "file":
        with Path(urllib.parse.unquote(parts.path)).open("rb") as source:
            while block := source.read(BLOCK):
                sink.write(block)
    elif parts.scheme == "s3":
        extra = {"IfMatch": entry.etag} if entry.etag else {}
        body = _s3_client().get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"), **extra)
        for block in body["Body"].iter_chunks(BLOCK):
            sink.write(block)
    elif parts.scheme in ("http", "https"):
        with urllib.request.urlopen(entry.ref, timeout=60) as response:  # noqa: S310
            etag = response.headers.get("ETag")
            if entry.etag and etag and etag != entry.etag:
                raise CorruptBlob(
                    f"{entry.ref} changed since it was referenced (ETag {etag}, not {entry.etag})"
                )
            while block := response.read(BLOCK):
                sink.write(block)
    else:
        raise InvalidInput(f"cannot fetch {entry.ref!r}")


def local_path(uri: str) -> Path | None:
    """The local path of a ``file://`` URI (else ``None``)."""
    parts = urllib.parse.urlsplit(uri)
    return Path(urllib.parse.unquote(parts.path)) if parts.scheme == "file" else None


def is_reference(text: str) -> bool:
    return "://" in text and not os.path.exists(text)

"""Manifests in the database: content-addressed file lists shared by artifact and model versions."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select

from trailmark.errors import InvalidInput, NotFound
from trailmark.manifest import Entry, manifest_digest, normalize_path
from trailmark.store.offsets import check_offset
from trailmark.store.schema_artifacts import manifest_entries, manifests
from trailmark.store.uploads import require_blobs
from trailmark.store.upserts import insert_new

INSERT_BATCH = 1000


def save_manifest(conn: Connection, entries: list[Entry]) -> Any:
    """The manifest row for ``entries``, created if new; every stored file must be uploaded."""
    require_blobs(conn, [e.digest for e in entries if e.ref is None and e.digest is not None])
    digest = manifest_digest(entries)
    row = {
        "digest": digest,
        "file_count": len(entries),
        "size": sum(e.size for e in entries),
        "created_at": time.time(),
    }
    created = insert_new(conn, manifests, row)
    found = conn.execute(select(manifests).where(manifests.c.digest == digest)).one()
    if created:
        rows = [
            {
                "manifest_id": found.id,
                "path": e.path,
                "size": e.size,
                "digest": e.digest,
                "ref": e.ref,
                "etag": e.etag,
            }
            for e in entries
        ]
        for start in range(0, len(rows), INSERT_BATCH):
            conn.execute(manifest_entries.insert(), rows[start : start + INSERT_BATCH])
    return found


def entry_from_row(row: Any) -> Entry:
    return Entry(row.path, row.size, row.digest, row.ref, row.etag)


def list_entries(
    conn: Connection,
    manifest_id: int,
    prefix: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Entry], int]:
    """Entries of a manifest sorted by path (those under ``prefix`` if given), and their count."""
    check_offset(offset)
    where = [manifest_entries.c.manifest_id == manifest_id]
    if prefix:
        clean = normalize_path(prefix)
        escaped = clean.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            (manifest_entries.c.path == clean)
            | manifest_entries.c.path.like(f"{escaped}/%", escape="\\")
        )
    query = select(manifest_entries).where(*where).order_by(manifest_entries.c.path)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = conn.execute(query).all()
    total = int(
        conn.execute(select(func.count()).select_from(manifest_entries).where(*where)).scalar_one()
    )
    return [entry_from_row(r) for r in rows], total


def get_entry(conn: Connection, manifest_id: int, path: str, what: str) -> Entry:
    clean = normalize_path(path)
    row = conn.execute(
        select(manifest_entries).where(
            manifest_entries.c.manifest_id == manifest_id, manifest_entries.c.path == clean
        )
    ).first()
    if row is None:
        raise NotFound(f"{what} has no file {clean!r}")
    return entry_from_row(row)


def check_page(limit: int, offset: int, most: int = 10_000) -> None:
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit must be between 1 and {most}, got {limit}")
    check_offset(offset)

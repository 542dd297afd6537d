"""Garbage collection: free blobs nothing references any more (``trailmark gc``).

What goes, oldest first:

1. upload sessions untouched for ``session_grace`` seconds (their partial data is aborted),
   and upload data whose session is gone;
2. manifests no artifact version or model version uses (rows only);
3. blobs in the index that no manifest entry or run file references and that nobody
   touched for ``grace`` seconds (a client that just asked ``missing`` and is about to
   commit a version keeps its blobs: asking touches them);
4. objects in the blob store that the index does not know (left by crashes), older than
   ``grace``.

A dry run (the default) reports what would be freed and changes nothing. Each blob is
deleted from the index first, in a transaction that re-checks it is still unreferenced,
then from storage, so a version committed meanwhile never loses its files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, delete, exists, or_, select

from trailmark.blobs.protocol import BlobStore
from trailmark.store.database import Database
from trailmark.store.schema_artifacts import (
    artifact_versions,
    blobs,
    loose_artifacts,
    manifest_entries,
    manifests,
    model_versions,
    run_files,
    upload_sessions,
)
from trailmark.store.uploads import UploadStore

DEFAULT_GRACE = 3600.0
DEFAULT_SESSION_GRACE = 24 * 3600.0


@dataclass
class GcReport:
    """What a collection freed (or, in a dry run, would free)."""

    deleted: bool
    blobs: list[tuple[str, int]] = field(default_factory=list)
    orphans: list[tuple[str, int]] = field(default_factory=list)
    manifests: int = 0
    sessions: int = 0

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.blobs) + sum(size for _, size in self.orphans)


def _manifest_is_live(cutoff: float) -> ColumnElement[bool]:
    return or_(
        manifests.c.created_at >= cutoff,
        exists().where(artifact_versions.c.manifest_id == manifests.c.id),
        exists().where(model_versions.c.manifest_id == manifests.c.id),
    )


def _unreferenced_manifest(conn: Connection, cutoff: float) -> list[int]:
    query = select(manifests.c.id).where(~_manifest_is_live(cutoff))
    return [int(i) for i in conn.execute(query).scalars()]


def _unreferenced_blob(cutoff: float) -> tuple[ColumnElement[bool], ...]:
    in_live_manifest = exists(
        select(manifest_entries.c.digest)
        .join(manifests, manifests.c.id == manifest_entries.c.manifest_id)
        .where(manifest_entries.c.digest == blobs.c.digest, _manifest_is_live(cutoff))
    )
    in_run_files = exists().where(run_files.c.digest == blobs.c.digest)
    in_loose_artifacts = exists().where(loose_artifacts.c.digest == blobs.c.digest)
    return blobs.c.touched_at < cutoff, ~in_live_manifest, ~in_run_files, ~in_loose_artifacts


def collect_garbage(
    db: Database,
    store: BlobStore,
    *,
    delete_now: bool = False,
    grace: float = DEFAULT_GRACE,
    session_grace: float = DEFAULT_SESSION_GRACE,
) -> GcReport:
    """Find (and with ``delete_now``, delete) what nothing references."""
    report = GcReport(deleted=delete_now)
    now = time.time()
    uploads = UploadStore(db, store)
    stale = uploads.stale_sessions(now - session_grace)
    report.sessions = len(stale)
    if delete_now:
        for session in stale:
            uploads.expire(session["id"], session["handle"])
    # Upload data whose session row is gone (its project was deleted, or a crash).
    with db.read() as conn:
        live = set(conn.execute(select(upload_sessions.c.handle)).scalars())
    for handle, started in store.list_uploads():
        if handle not in live and started < now - session_grace:
            report.sessions += 1
            if delete_now:
                store.abort_upload(handle)

    cutoff = now - grace
    with db.read() as conn:
        report.manifests = len(_unreferenced_manifest(conn, cutoff))
    if delete_now:
        with db.write() as conn:
            ids = _unreferenced_manifest(conn, cutoff)
            for start in range(0, len(ids), 500):
                conn.execute(delete(manifests).where(manifests.c.id.in_(ids[start : start + 500])))

    with db.read() as conn:
        candidates = conn.execute(
            select(blobs.c.digest, blobs.c.size).where(*_unreferenced_blob(cutoff))
        ).all()
    for digest, size in candidates:
        if not delete_now:
            report.blobs.append((digest, int(size)))
            continue
        with db.write() as conn:
            gone = conn.execute(
                delete(blobs).where(blobs.c.digest == digest, *_unreferenced_blob(cutoff))
            ).rowcount
        if gone:
            store.delete(digest)
            report.blobs.append((digest, int(size)))

    with db.read() as conn:
        known = set(conn.execute(select(blobs.c.digest)).scalars())
    for stored in store.list():
        if stored.digest not in known and stored.modified < cutoff:
            report.orphans.append((stored.digest, stored.size))
            if delete_now:
                with db.read() as conn:
                    indexed = conn.execute(
                        select(blobs.c.digest).where(blobs.c.digest == stored.digest)
                    ).first()
                if indexed is None:
                    store.delete(stored.digest)
    return report

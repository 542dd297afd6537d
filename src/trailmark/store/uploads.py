"""The blob index and upload sessions: which contents are stored, and uploads in progress.

The ``blobs`` table lists every content the blob store holds (verified on the way in).
Clients first ask which digests are :meth:`UploadStore.missing` (that also *touches* the
ones present, so garbage collection leaves them alone while the client commits a version
that references them), then upload only those: whole (:meth:`UploadStore.put`) or in a
resumable session:

1. :meth:`begin` (digest, size) → session id; ``offset`` 0 (or ``complete`` if the blob exists)
2. :meth:`open_part` / :meth:`finish_part` for each chunk at the session's current offset
3. :meth:`complete`: the blob store hashes the assembled content and publishes it, or
   discards it when it does not match the digest.

An interrupted upload resumes at :meth:`get`'s ``offset``. Sessions live in the database,
so any server replica can take the next chunk.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import Connection, delete, select, update

from trailmark.blobs.protocol import MAX_PART_SIZE, MIN_PART_SIZE, BlobStore, Part, PartSink
from trailmark.errors import Conflict, DigestMismatch, InvalidInput, NotFound
from trailmark.manifest import check_digest
from trailmark.store.database import Database
from trailmark.store.runs import ensure_project, project_id
from trailmark.store.schema_artifacts import blobs as blobs_table
from trailmark.store.schema_artifacts import upload_sessions
from trailmark.store.upserts import insert_new

MAX_DIGESTS_PER_QUERY = 10_000
MAX_BLOB_SIZE = 5 * 1024**4
"""Largest file: 5 TiB (S3's object limit)."""
_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def record_blob(conn: Connection, digest: str, size: int) -> None:
    """Note that the blob store now holds ``digest`` (and protect it from gc for a while)."""
    now = time.time()
    if not insert_new(
        conn, blobs_table, {"digest": digest, "size": size, "created_at": now, "touched_at": now}
    ):
        conn.execute(
            update(blobs_table).where(blobs_table.c.digest == digest).values(touched_at=now)
        )


def require_blobs(conn: Connection, digests: Iterable[str]) -> None:
    """Refuse to reference contents the store does not hold; touch the ones it does."""
    wanted = sorted(set(digests))
    known: set[str] = set()
    for start in range(0, len(wanted), 1000):
        batch = wanted[start : start + 1000]
        known.update(
            conn.execute(
                select(blobs_table.c.digest).where(blobs_table.c.digest.in_(batch))
            ).scalars()
        )
        conn.execute(
            update(blobs_table)
            .where(blobs_table.c.digest.in_(batch))
            .values(touched_at=time.time())
        )
    absent = [d for d in wanted if d not in known]
    if absent:
        shown = ", ".join(absent[:3]) + (f" and {len(absent) - 3} more" if len(absent) > 3 else "")
        raise InvalidInput(
            f"{len(absent)} file(s) are not uploaded yet ({shown}); upload them first "
            "(POST .../blobs/missing says which are needed)"
        )


@dataclass(frozen=True)
class PartTicket:
    """What :meth:`UploadStore.finish_part` needs to record a received chunk."""

    session_id: str
    project_id: int
    number: int
    offset: int
    size: int


def session_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "digest": row.digest,
        "size": row.size,
        "offset": row.received,
        "parts": len(row.parts),
        "min_chunk": MIN_PART_SIZE,
        "max_chunk": MAX_PART_SIZE,
        "created": row.created_at,
        "updated": row.updated_at,
        "complete": False,
    }


class UploadStore:
    """Blob index and resumable uploads over a database and a blob store."""

    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs

    def missing(self, digests: list[str]) -> list[str]:
        """The digests the store does not hold yet (in the order given)."""
        if len(digests) > MAX_DIGESTS_PER_QUERY:
            raise InvalidInput(
                f"ask about at most {MAX_DIGESTS_PER_QUERY} digests at a time, got {len(digests)}"
            )
        for digest in digests:
            check_digest(digest)
        with self.db.write() as conn:
            known = set(
                conn.execute(
                    select(blobs_table.c.digest).where(blobs_table.c.digest.in_(set(digests)))
                ).scalars()
            )
            if known:
                conn.execute(
                    update(blobs_table)
                    .where(blobs_table.c.digest.in_(known))
                    .values(touched_at=time.time())
                )
        return [d for d in dict.fromkeys(digests) if d not in known]

    def is_stored(self, digest: str) -> bool:
        with self.db.read() as conn:
            found = conn.execute(
                select(blobs_table.c.digest).where(blobs_table.c.digest == check_digest(digest))
            ).scalar()
        return found is not None

    def put(self, digest: str, source: BinaryIO) -> dict[str, Any]:
        """Store a whole content, verified against ``digest``."""
        check_digest(digest)
        size = self.blobs.put(digest, source)
        with self.db.write() as conn:
            record_blob(conn, digest, size)
        return {"digest": digest, "size": size}

    # sessions

    def begin(self, project: str, digest: str, size: int) -> dict[str, Any]:
        check_digest(digest)
        if type(size) is not int or not 0 <= size <= MAX_BLOB_SIZE:
            raise InvalidInput(f"size must be an integer from 0 to {MAX_BLOB_SIZE}, got {size!r}")
        if self.missing([digest]) == []:
            return {"id": None, "digest": digest, "size": size, "offset": size, "complete": True}
        handle = self.blobs.begin_upload()
        now = time.time()
        session_id = secrets.token_hex(16)
        with self.db.write() as conn:
            pid = ensure_project(conn, project)
            conn.execute(
                upload_sessions.insert().values(
                    id=session_id,
                    project_id=pid,
                    digest=digest,
                    size=size,
                    received=0,
                    parts=[],
                    handle=handle,
                    created_at=now,
                    updated_at=now,
                )
            )
        return self.get(project, session_id)

    def _row(self, conn: Connection, project: str, session_id: str) -> Any:
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            raise InvalidInput(f"invalid upload id {str(session_id)[:40]!r}")
        row = conn.execute(
            select(upload_sessions).where(
                upload_sessions.c.id == session_id,
                upload_sessions.c.project_id == project_id(conn, project),
            )
        ).first()
        if row is None:
            raise NotFound(
                f"upload {session_id} does not exist (it completed, was aborted or expired); "
                "start a new upload"
            )
        return row

    def get(self, project: str, session_id: str) -> dict[str, Any]:
        """The session, with the ``offset`` to send the next chunk at."""
        with self.db.read() as conn:
            return session_view(self._row(conn, project, session_id))

    def open_part(
        self, project: str, session_id: str, offset: int, size: int
    ) -> tuple[PartSink, PartTicket]:
        """Check a chunk of ``size`` bytes at ``offset`` and open where its bytes go."""
        with self.db.read() as conn:
            row = self._row(conn, project, session_id)
        if offset != row.received:
            raise Conflict(
                f"this upload continues at offset {row.received}, not {offset}; "
                "GET the upload to see where to resume"
            )
        end = offset + size
        if size <= 0 or size > MAX_PART_SIZE or end > row.size:
            raise InvalidInput(
                f"a chunk holds 1 to {MAX_PART_SIZE} bytes and may not pass the file's size "
                f"({row.size}); got {size} bytes at offset {offset}"
            )
        if end < row.size and size < MIN_PART_SIZE:
            raise InvalidInput(
                f"every chunk but the last must hold at least {MIN_PART_SIZE} bytes; got {size}"
            )
        number = len(row.parts) + 1
        sink = self.blobs.open_part(row.handle, number, offset)
        return sink, PartTicket(row.id, row.project_id, number, offset, size)

    def finish_part(self, ticket: PartTicket, etag: str) -> dict[str, Any]:
        """Record a chunk whose bytes were committed; refuse if another request got there first."""
        with self.db.write() as conn:
            row = conn.execute(
                select(upload_sessions).where(upload_sessions.c.id == ticket.session_id)
            ).first()
            if row is None:
                raise NotFound(f"upload {ticket.session_id} was aborted while this chunk arrived")
            if row.received != ticket.offset:
                raise Conflict(
                    f"another request already sent the chunk at offset {ticket.offset}; "
                    f"this upload continues at {row.received}"
                )
            part = Part(ticket.number, ticket.offset, ticket.size, etag)
            conn.execute(
                update(upload_sessions)
                .where(upload_sessions.c.id == ticket.session_id)
                .values(
                    received=ticket.offset + ticket.size,
                    parts=[*row.parts, part.to_json()],
                    updated_at=time.time(),
                )
            )
            new_row = conn.execute(
                select(upload_sessions).where(upload_sessions.c.id == ticket.session_id)
            ).one()
        return session_view(new_row)

    def complete(self, project: str, session_id: str) -> dict[str, Any]:
        """Assemble and verify the upload; publish the blob or discard it on a digest mismatch."""
        with self.db.read() as conn:
            row = self._row(conn, project, session_id)
        if row.received != row.size:
            raise Conflict(
                f"this upload has {row.received} of {row.size} bytes; send the rest from "
                f"offset {row.received} before completing it"
            )
        parts = [Part(p["number"], p["offset"], p["size"], p["etag"]) for p in row.parts]
        try:
            self.blobs.complete_upload(row.handle, parts, row.digest, row.size)
        except DigestMismatch:
            self._drop(row.id)
            raise
        with self.db.write() as conn:
            record_blob(conn, row.digest, row.size)
            conn.execute(delete(upload_sessions).where(upload_sessions.c.id == row.id))
        return {"id": row.id, "digest": row.digest, "size": row.size, "complete": True}

    def abort(self, project: str, session_id: str) -> None:
        with self.db.read() as conn:
            row = self._row(conn, project, session_id)
        self.blobs.abort_upload(row.handle)
        self._drop(row.id)

    def _drop(self, session_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(delete(upload_sessions).where(upload_sessions.c.id == session_id))

    def stale_sessions(self, older_than: float) -> list[dict[str, Any]]:
        """Sessions not touched since ``older_than`` (a time), for garbage collection."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(upload_sessions).where(upload_sessions.c.updated_at < older_than)
            ).all()
        return [
            {"id": r.id, "handle": r.handle, "size": r.size, "received": r.received} for r in rows
        ]

    def expire(self, session_id: str, handle: str) -> None:
        self.blobs.abort_upload(handle)
        self._drop(session_id)

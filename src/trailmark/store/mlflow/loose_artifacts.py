"""Files put through MLflow's artifact proxy under a path of no run or logged model.

MLflow's proxy (``mlflow server --serve-artifacts``) takes a file under any relative path.
Trailmark keeps such files in one area of its own: the normalised path is a key in
``loose_artifacts``, never a filesystem path, and the contents are content-addressed blobs.
"""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, delete, or_, select

from trailmark.errors import NotFound
from trailmark.manifest import Entry, normalize_path
from trailmark.store.database import Database
from trailmark.store.schema_artifacts import loose_artifacts
from trailmark.store.uploads import require_blobs
from trailmark.store.upserts import upsert


def _escaped(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _at_or_under(prefix: str) -> ColumnElement[bool]:
    c = loose_artifacts.c
    if not prefix:
        return c.path.is_not(None)
    return or_(c.path == prefix, c.path.like(_escaped(prefix) + "/%", escape="\\"))


class LooseArtifactStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, entry: Entry) -> None:
        """Keep ``entry`` (its blob stored already) at its path, replacing what was there."""
        path = normalize_path(entry.path)
        now = time.time()
        row = {
            "path": path,
            "size": entry.size,
            "digest": entry.digest,
            "created_at": now,
            "updated_at": now,
        }
        with self.db.write() as conn:
            require_blobs(conn, [str(entry.digest)])
            upsert(conn, loose_artifacts, row, ["path"], ["size", "digest", "updated_at"])

    def entries(self, prefix: str = "") -> list[Entry]:
        """The files at or under ``prefix`` ("" for all), by path."""
        clean = normalize_path(prefix) if prefix else ""
        c = loose_artifacts.c
        query = select(c.path, c.size, c.digest).where(_at_or_under(clean)).order_by(c.path)
        with self.db.read() as conn:
            return [Entry(r.path, int(r.size), r.digest) for r in conn.execute(query)]

    def delete(self, prefix: str) -> int:
        """Delete the file at ``prefix``, or every file under that folder."""
        clean = normalize_path(prefix)
        with self.db.write() as conn:
            gone = conn.execute(delete(loose_artifacts).where(_at_or_under(clean))).rowcount
        if not gone:
            raise NotFound(f"no artifact at {clean!r}")
        return int(gone)

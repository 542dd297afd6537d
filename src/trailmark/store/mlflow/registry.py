"""What MLflow's model registry API needs beyond :class:`trailmark.store.registry.ModelRegistry`:
renaming a model, deleting one version, and reading every version (for MLflow's searches).

Changes go through the same tables and record an event in ``model_events`` as the registry's
own changes do, so webhooks hear of them.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select, update

from trailmark.errors import Conflict, NotFound
from trailmark.manifest import check_artifact_name
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.model_views import version_views, versions_query
from trailmark.store.registry import _event
from trailmark.store.schema_artifacts import model_versions, registered_models


class RegistryExtras:
    def __init__(self, db: Database) -> None:
        self.db = db

    def rename_model(self, name: str, new_name: str, user: str = "anonymous") -> None:
        check_artifact_name(new_name, "model name")
        with self.db.write() as conn:
            query = select(registered_models).where(registered_models.c.name == name)
            row = conn.execute(for_update(conn, query)).first()
            if row is None:
                raise NotFound(f"registered model {name!r} does not exist")
            taken = select(registered_models.c.id).where(registered_models.c.name == new_name)
            if conn.execute(taken).first() is not None:
                raise Conflict(f"registered model {new_name!r} already exists; pick another name")
            conn.execute(
                update(registered_models)
                .where(registered_models.c.id == row.id)
                .values(name=new_name, updated_at=time.time())
            )
            renamed = conn.execute(
                select(registered_models).where(registered_models.c.id == row.id)
            ).one()
            _event(conn, renamed, None, "model_updated", {"name": new_name, "from": name}, user)

    def delete_version(self, name: str, version: int, user: str = "anonymous") -> None:
        """Delete one version (its aliases go with it; its files stay for other references)."""
        with self.db.write() as conn:
            query = select(registered_models).where(registered_models.c.name == name)
            model = conn.execute(for_update(conn, query)).first()
            if model is None:
                raise NotFound(f"registered model {name!r} does not exist")
            gone = conn.execute(
                delete(model_versions).where(
                    model_versions.c.model_id == model.id, model_versions.c.version == version
                )
            )
            if not gone.rowcount:
                raise NotFound(f"registered model {name!r} has no version {version}")
            _event(conn, model, version, "version_deleted", {}, user)

    def all_versions(self) -> list[dict[str, Any]]:
        """Every version of every model (newest first), as the registry shows them."""
        with self.db.read() as conn:
            rows = conn.execute(
                versions_query().order_by(registered_models.c.name, model_versions.c.version.desc())
            ).all()
            return version_views(conn, list(rows))

"""The model registry: registered models (global names), versions, aliases, stages, events.

Registered models are global, not per project: a model is trained in one project's runs
and served or evaluated from others, so its name (``fraud-detector``) means one thing
server-wide; each version records the project, run and artifact version it came from.

A version is created from a run's files (``runs/RUN_ID/PATH``, also ``runs:/RUN_ID/PATH``;
if the run saved no file there, the newest artifact named PATH that the run produced) or
from an artifact version (``artifact:[PROJECT/]NAME[:REF]``). It keeps its own manifest,
so deleting the run's project leaves the model's files in place.

Every change is one transaction that locks the model's row, changes it, appends an event
to ``model_events`` (who, what, when) and queues webhook deliveries. An alias names exactly
one version (the primary key of ``model_aliases``; moved by one upsert); promoting a version
to Production archives the previous Production version(s) unless told otherwise.

Example::

    registry.create_version("fraud-detector", "artifact:fraud/model:v3", user="ana")
    registry.set_alias("fraud-detector", "champion", 1, user="ana")
    registry.set_stage("fraud-detector", 1, "Production", user="ana")
"""

from __future__ import annotations

import time
from typing import Any, Literal

from sqlalchemy import Connection, delete, func, select, update

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.manifest import Entry, check_alias, check_model_name, parse_version
from trailmark.store.database import Database
from trailmark.store.dialect import for_update
from trailmark.store.manifests import check_page, get_entry, list_entries
from trailmark.store.model_sources import resolve_source, unresolved_origin
from trailmark.store.model_views import (
    check_model_tags,
    check_stage,
    event_view,
    model_view,
    version_views,
    versions_query,
)
from trailmark.store.schema import grants
from trailmark.store.schema_artifacts import (
    model_aliases,
    model_events,
    model_versions,
    registered_models,
)
from trailmark.store.upserts import insert_id, insert_new, upsert
from trailmark.store.webhooks import enqueue
from trailmark.validation import check_notes

LATEST = "latest"
MAX_SEARCH = 256
Resolve = Literal["files", "files_or_keep", "keep"]


class ModelRegistry:
    """Registered models and their versions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # models

    def _model(self, conn: Connection, name: str, lock: bool = False) -> Any:
        query = select(registered_models).where(registered_models.c.name == name)
        row = conn.execute(for_update(conn, query) if lock else query).first()
        if row is None:
            raise NotFound(f"Registered Model with name={name} not found")
        return row

    def create_model(
        self,
        name: str,
        description: str = "",
        tags: dict[str, str] | None = None,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        with self.db.write() as conn:
            row = self._insert_model(conn, name, description, tags or {}, user)
            if row is None:
                raise Conflict(f"Registered Model (name={name}) already exists.")
            return model_view(conn, row)

    def _insert_model(
        self, conn: Connection, name: str, description: str, tags: dict[str, str], user: str
    ) -> Any:
        """Create model ``name`` and return its row, locked; None if it exists already.

        One statement (INSERT ... ON CONFLICT DO NOTHING): of callers creating one name at
        once on several servers, exactly one creates it; the others wait for its commit and
        get None, never a unique-key error."""
        check_model_name(name)
        now = time.time()
        row = {
            "name": name,
            "description": check_notes(description),
            "tags": check_model_tags(tags),
            "created_by": user,
            "created_at": now,
            "updated_at": now,
        }
        if not insert_new(conn, registered_models, row):
            return None
        created = self._model(conn, name, lock=True)
        _event(conn, created, None, "model_created", {"description": description}, user)
        return created

    def list_models(self, search: str | None = None) -> list[dict[str, Any]]:
        query = select(registered_models).order_by(registered_models.c.updated_at.desc())
        if search:
            text = search[:MAX_SEARCH].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(registered_models.c.name.ilike(f"%{text}%", escape="\\"))
        with self.db.read() as conn:
            return [model_view(conn, r) for r in conn.execute(query).all()]

    def get_model(self, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return model_view(conn, self._model(conn, name))

    def update_model(
        self,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": time.time()}
        if description is not None:
            values["description"] = check_notes(description)
        if tags is not None:
            values["tags"] = check_model_tags(tags)
        with self.db.write() as conn:
            row = self._model(conn, name, lock=True)
            conn.execute(
                update(registered_models).where(registered_models.c.id == row.id).values(**values)
            )
            changed = {k: v for k, v in values.items() if k != "updated_at"}
            _event(conn, row, None, "model_updated", changed, user)
            return model_view(conn, self._model(conn, name))

    def delete_model(self, name: str, user: str = "anonymous") -> None:
        """Delete a model with its versions, aliases and history (webhooks hear of it)."""
        with self.db.write() as conn:
            row = self._model(conn, name, lock=True)
            payload = _payload(row.name, None, "model_deleted", {}, user, time.time(), None)
            enqueue(conn, "model_deleted", row.name, payload)
            conn.execute(delete(registered_models).where(registered_models.c.id == row.id))
            # its members' roles go with it (a new model may get the same id on SQLite)
            conn.execute(
                delete(grants).where(
                    grants.c.resource_kind == "model", grants.c.resource_id == row.id
                )
            )

    # versions

    def create_version(
        self,
        name: str,
        source: str,
        *,
        project: str | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        user: str = "anonymous",
        create_model: bool = True,
        run_id: str | None = None,
        resolve: Resolve = "files",
    ) -> dict[str, Any]:
        """Register the files ``source`` names as the model's next version (1, 2, ...).

        MLflow's API registers any source: with ``resolve="files_or_keep"`` a source that
        names no files Trailmark holds is kept as given, as text, with ``run_id``, and the
        version has no files (``"keep"``: always so); ``run_id`` also overrides the run
        recorded for a source that resolves."""
        check_model_name(name)
        clean_tags = check_model_tags(tags or {})
        check_notes(description)
        now = time.time()
        with self.db.write() as conn:
            found = conn.execute(
                for_update(conn, select(registered_models).where(registered_models.c.name == name))
            ).first()
            if found is None:
                if not create_model:
                    raise NotFound(f"Registered Model with name={name} not found")
                # None: another request created it meanwhile; wait for it and number after it
                found = self._insert_model(conn, name, "", {}, user) or self._model(
                    conn, name, lock=True
                )
            origin = self._origin(conn, source, project, run_id, resolve)
            number = (
                conn.execute(
                    select(func.max(model_versions.c.version)).where(
                        model_versions.c.model_id == found.id
                    )
                ).scalar()
                or 0
            ) + 1
            version_id = insert_id(
                conn,
                model_versions.insert().values(
                    model_id=found.id,
                    version=number,
                    stage="None",
                    description=description,
                    tags=clean_tags,
                    created_by=user,
                    created_at=now,
                    updated_at=now,
                    **origin,
                ),
            )
            conn.execute(
                update(registered_models)
                .where(registered_models.c.id == found.id)
                .values(updated_at=now)
            )
            data = {"source": source, "digest": origin["digest"], "run": origin["source_run_id"]}
            _event(conn, found, number, "version_created", data, user)
            return self._version_by_id(conn, int(version_id))

    @staticmethod
    def _origin(
        conn: Connection, source: str, project: str | None, run_id: str | None, resolve: Resolve
    ) -> dict[str, Any]:
        if resolve == "files":
            return resolve_source(conn, source, project)
        if resolve == "keep":
            return unresolved_origin(conn, source, run_id)
        try:  # resolve_source raises before it writes anything
            origin = resolve_source(conn, source, project)
        except (InvalidInput, NotFound):
            return unresolved_origin(conn, source, run_id)
        return {**origin, "source_run_id": run_id or origin["source_run_id"]}

    def _version_by_id(self, conn: Connection, version_id: int) -> dict[str, Any]:
        row = conn.execute(versions_query().where(model_versions.c.id == version_id)).one()
        return version_views(conn, [row])[0]

    def _version_row(self, conn: Connection, model: Any, ref: str | int) -> Any:
        text = str(ref).lstrip("@")
        number = parse_version(text)
        if number is not None:
            where = model_versions.c.version == number
        elif text == LATEST:
            where = model_versions.c.version == (
                select(func.max(model_versions.c.version))
                .where(model_versions.c.model_id == model.id)
                .scalar_subquery()
            )
        else:
            where = model_versions.c.id == (
                select(model_aliases.c.version_id)
                .where(model_aliases.c.model_id == model.id, model_aliases.c.alias == text)
                .scalar_subquery()
            )
        row = conn.execute(
            versions_query().where(model_versions.c.model_id == model.id, where)
        ).first()
        if row is None:
            if number is None and text != LATEST:
                raise NotFound(f"Registered model alias {text} not found.")
            raise NotFound(f"Model Version (name={model.name}, version={text}) not found")
        return row

    def get_version(self, name: str, ref: str | int) -> dict[str, Any]:
        """A version by number (``3``, ``v3``), alias (``champion``, ``@champion``) or ``latest``."""
        with self.db.read() as conn:
            row = self._version_row(conn, self._model(conn, name), ref)
            return version_views(conn, [row])[0]

    def list_versions(
        self, name: str, limit: int = 100, offset: int = 0, stage: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        check_page(limit, offset)
        with self.db.read() as conn:
            model = self._model(conn, name)
            where = [model_versions.c.model_id == model.id]
            if stage is not None:
                where.append(model_versions.c.stage == check_stage(stage))
            rows = conn.execute(
                versions_query()
                .where(*where)
                .order_by(model_versions.c.version.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(select(func.count()).where(*where)).scalar_one()
            return version_views(conn, list(rows)), int(total)

    def update_version(
        self,
        name: str,
        ref: str | int,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": time.time()}
        if description is not None:
            values["description"] = check_notes(description)
        if tags is not None:
            values["tags"] = check_model_tags(tags)
        with self.db.write() as conn:
            model = self._model(conn, name, lock=True)
            row = self._version_row(conn, model, ref)
            conn.execute(
                update(model_versions).where(model_versions.c.id == row.id).values(**values)
            )
            changed = {k: v for k, v in values.items() if k != "updated_at"}
            _event(conn, model, row.version, "version_updated", changed, user)
            return self._version_by_id(conn, row.id)

    def files(
        self,
        name: str,
        ref: str | int,
        prefix: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Entry], int]:
        with self.db.read() as conn:
            row = self._version_row(conn, self._model(conn, name), ref)
            return list_entries(conn, row.manifest_id, prefix, limit, offset)

    def file(self, name: str, ref: str | int, path: str) -> Entry:
        with self.db.read() as conn:
            row = self._version_row(conn, self._model(conn, name), ref)
            return get_entry(conn, row.manifest_id, path, f"model {name} version {row.version}")

    # aliases and stages

    def set_alias(
        self, name: str, alias: str, version: str | int, user: str = "anonymous"
    ) -> dict[str, Any]:
        """Point ``alias`` at ``version``, atomically: it never names two versions at once."""
        check_alias(alias)
        if alias == LATEST:
            raise InvalidInput("'latest' always means the newest version; choose another alias")
        with self.db.write() as conn:
            model = self._model(conn, name, lock=True)
            row = self._version_row(conn, model, version)
            previous = conn.execute(
                select(model_versions.c.version)
                .join(model_aliases, model_aliases.c.version_id == model_versions.c.id)
                .where(model_aliases.c.model_id == model.id, model_aliases.c.alias == alias)
            ).scalar()
            upsert(
                conn,
                model_aliases,
                {
                    "model_id": model.id,
                    "alias": alias,
                    "version_id": row.id,
                    "updated_by": user,
                    "updated_at": time.time(),
                },
                ["model_id", "alias"],
                ["version_id", "updated_by", "updated_at"],
            )
            data = {"alias": alias, "from": previous, "to": row.version}
            _event(conn, model, row.version, "alias_moved", data, user)
            return self._version_by_id(conn, row.id)

    def delete_alias(self, name: str, alias: str, user: str = "anonymous") -> None:
        with self.db.write() as conn:
            model = self._model(conn, name, lock=True)
            previous = conn.execute(
                select(model_versions.c.version)
                .join(model_aliases, model_aliases.c.version_id == model_versions.c.id)
                .where(model_aliases.c.model_id == model.id, model_aliases.c.alias == alias)
            ).scalar()
            if previous is None:
                raise NotFound(f"registered model {name!r} has no alias {alias!r}")
            conn.execute(
                delete(model_aliases).where(
                    model_aliases.c.model_id == model.id, model_aliases.c.alias == alias
                )
            )
            _event(conn, model, previous, "alias_deleted", {"alias": alias, "from": previous}, user)

    def set_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing: bool | None = None,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        """Move a version to a stage. Promoting to Production archives the versions that were
        in Production (``archive_existing`` defaults to True there, False elsewhere)."""
        target = check_stage(stage)
        archive = target == "Production" if archive_existing is None else archive_existing
        now = time.time()
        with self.db.write() as conn:
            model = self._model(conn, name, lock=True)
            row = self._version_row(conn, model, version)
            if archive and target in ("Staging", "Production"):
                others = conn.execute(
                    select(model_versions.c.id, model_versions.c.version).where(
                        model_versions.c.model_id == model.id,
                        model_versions.c.stage == target,
                        model_versions.c.id != row.id,
                    )
                ).all()
                for other in others:
                    conn.execute(
                        update(model_versions)
                        .where(model_versions.c.id == other.id)
                        .values(stage="Archived", updated_at=now)
                    )
                    data = {"from": target, "to": "Archived", "because": f"v{row.version}"}
                    _event(conn, model, other.version, "stage_changed", data, user)
            conn.execute(
                update(model_versions)
                .where(model_versions.c.id == row.id)
                .values(stage=target, updated_at=now)
            )
            conn.execute(  # a stage change changes the model too (MLflow's clients read it so)
                update(registered_models)
                .where(registered_models.c.id == model.id)
                .values(updated_at=now)
            )
            data = {"from": row.stage, "to": target}
            _event(conn, model, row.version, "stage_changed", data, user)
            return self._version_by_id(conn, row.id)

    def events(
        self, name: str, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Who changed what and when, newest first."""
        check_page(limit, offset, most=1000)
        with self.db.read() as conn:
            model = self._model(conn, name)
            where = model_events.c.model_id == model.id
            rows = conn.execute(
                select(model_events)
                .where(where)
                .order_by(model_events.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(select(func.count()).where(where)).scalar_one()
        return [event_view(r, name) for r in rows], int(total)


def _payload(
    model: str,
    version: int | None,
    kind: str,
    data: dict[str, Any],
    user: str,
    now: float,
    event_id: int | None,
) -> dict[str, Any]:
    return {
        "event": kind,
        "event_id": event_id,
        "model": model,
        "version": version,
        "data": data,
        "user": user,
        "created": now,
    }


def _event(
    conn: Connection, model: Any, version: int | None, kind: str, data: dict[str, Any], user: str
) -> None:
    now = time.time()
    event_id = insert_id(
        conn,
        model_events.insert().values(
            model_id=model.id,
            version=version,
            kind=kind,
            data=data,
            user_name=user,
            created_at=now,
        ),
    )
    enqueue(conn, kind, model.name, _payload(model.name, version, kind, data, user, now, event_id))

"""0004_mlflow: soft delete of projects and runs, experiment tags, MLflow 3 logged models."""

from __future__ import annotations

from sqlalchemy import Column, Connection, Float, ForeignKey, Index, MetaData, String, Table

from trailmark.store.migrations import m0001_initial as initial
from trailmark.store.migrations.columns import add_column_if_missing
from trailmark.store.migrations.frozen import NAME_LENGTH, BigId, Json

NAME = "0004_mlflow"

metadata = MetaData()

# MLflow's lifecycle stage and experiment tags
project_deleted_at = Column("deleted_at", Float, nullable=True)
project_properties = Column("properties", Json, nullable=True)
# deleted runs are hidden from listings
run_deleted_at = Column("deleted_at", Float, nullable=True)

# What mlflow.<flavor>.log_model creates; files arrive under "<experiment>/models/<id>/...".
logged_models = Table(
    "logged_models",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "project_id",
        BigId,
        ForeignKey(initial.projects.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("run_id", String(64), nullable=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("status", String(32), nullable=False),
    Column("model_type", String(NAME_LENGTH), nullable=True),
    Column("tags", Json, nullable=False),
    Column("params", Json, nullable=False),
    Column("files", Json, nullable=False),
    Column("artifact_ref", String(512), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("deleted_at", Float, nullable=True),
    Index("ix_logged_models_project_created", "project_id", "created_at"),
)


def apply(conn: Connection) -> None:
    add_column_if_missing(conn, "projects", project_deleted_at)
    add_column_if_missing(conn, "projects", project_properties)
    add_column_if_missing(conn, "runs", run_deleted_at)
    metadata.create_all(conn, checkfirst=True)

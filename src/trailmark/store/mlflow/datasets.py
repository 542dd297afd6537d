"""The datasets an experiment's runs used, as MLflow's UI lists them
(``experiments/search-datasets``): one summary per experiment, dataset name, digest and
context (``training``, ``eval``...).

A run keeps its dataset inputs in ``metadata["mlflow"]["datasets"]`` (see
:mod:`trailmark.store.mlflow.runs`); only runs that logged one are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from trailmark.store.database import Database
from trailmark.store.filter_sql import JsonRef
from trailmark.store.mlflow.conventions import META_KEY
from trailmark.store.schema import runs

MAX_DATASET_SUMMARIES = 1000
"""MLflow's store answers at most this many summaries."""

DATASET_CONTEXT_TAG = "mlflow.data.context"


def dataset_summaries(db: Database, experiments: Mapping[int, str]) -> list[dict[str, str]]:
    """Distinct (experiment, name, digest, context) of the datasets logged to the runs of
    ``experiments`` (project id → the experiment id to answer with), deleted runs included
    as in MLflow (a dataset belongs to its experiment)."""
    logged = JsonRef.of(runs.c.metadata, [META_KEY, "datasets"], db.dialect)
    query = (
        select(runs.c.project_id, runs.c.metadata)
        .where(runs.c.project_id.in_(list(experiments)), ~logged.is_null())
        .order_by(runs.c.created_at, runs.c.id)
    )
    seen: set[tuple[str, str, str, str | None]] = set()
    out: list[dict[str, str]] = []
    with db.read() as conn:
        for row in conn.execute(query):
            for item in row.metadata.get(META_KEY, {}).get("datasets", []):
                summary = _summary(experiments[row.project_id], item)
                if summary is None or summary in seen:
                    continue
                seen.add(summary)
                experiment_id, name, digest, context = summary
                entry = {"experiment_id": experiment_id, "name": name, "digest": digest}
                if context is not None:
                    entry["context"] = context
                out.append(entry)
                if len(out) >= MAX_DATASET_SUMMARIES:
                    return out
    return out


def _summary(experiment_id: str, item: Any) -> tuple[str, str, str, str | None] | None:
    dataset = item.get("dataset") if isinstance(item, dict) else None
    if not isinstance(dataset, dict):
        return None
    context = None
    for tag in item.get("tags") or []:
        if isinstance(tag, dict) and tag.get("key") == DATASET_CONTEXT_TAG:
            context = str(tag.get("value", ""))
    return (experiment_id, str(dataset.get("name", "")), str(dataset.get("digest", "")), context)

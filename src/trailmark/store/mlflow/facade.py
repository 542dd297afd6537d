"""The one door to MLflow's storage: ``store.mlflow``, built once per :class:`Store`.

Everything the MLflow API and the importer read or write goes through it: experiments,
runs (with their searches compiled to SQL), logged models, and the registry's extras. Each
search parses MLflow's filter, compiles it to SQL and reads one page with ``LIMIT``/``OFFSET``;
each write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from trailmark.store.database import Database
from trailmark.store.mlflow.experiments import ExperimentStore, parse_experiment_id
from trailmark.store.mlflow.loose_artifacts import LooseArtifactStore
from trailmark.store.mlflow.models import LoggedModelStore
from trailmark.store.mlflow.paging import Page, PageRequest
from trailmark.store.mlflow.registry import RegistryExtras
from trailmark.store.mlflow.runs import MlflowRun, MlflowRunStore
from trailmark.store.mlflow.search import run_filter_sql, run_order_sql
from trailmark.store.mlflow.search_filter import (
    RUN_ATTRIBUTES,
    check_order,
    check_run_filter,
    parse_filter,
    parse_order_by,
)
from trailmark.store.registry import ModelRegistry


class MlflowStore:
    """Experiments, runs, logged models and registry extras over one database.

    Example::

        store = Store.open(data_dir=Path("data"))
        page = store.mlflow.search_runs(["0"], "metrics.acc > 0.9", [], "ACTIVE_ONLY",
                                        PageRequest(100))
    """

    def __init__(self, db: Database, registry: ModelRegistry) -> None:
        self.db = db
        self.experiments = ExperimentStore(db)
        self.runs = MlflowRunStore(db)
        self.logged_models = LoggedModelStore(db)
        self.loose_artifacts = LooseArtifactStore(db)
        self.registry = RegistryExtras(db, registry)

    def project_ids(self, experiment_ids: Iterable[Any]) -> list[int]:
        """The projects behind experiment ids (``"0"``: Default, created if missing)."""
        out: list[int] = []
        for experiment_id in experiment_ids:
            pid = parse_experiment_id(experiment_id)
            out.append(self.experiments.ensure_default().project_id if pid is None else pid)
        return out

    def search_runs(
        self,
        experiment_ids: Iterable[Any],
        filter_text: str | None,
        order_by: Sequence[str],
        view_type: str,
        page: PageRequest,
    ) -> Page[MlflowRun]:
        """Runs of some experiments matching an MLflow filter, ordered and paged in SQL."""
        project_ids = self.project_ids(experiment_ids)
        dialect = self.db.dialect
        where = run_filter_sql(check_run_filter(parse_filter(filter_text)), dialect)
        orders = [
            check_order(parse_order_by(text), RUN_ATTRIBUTES, ("metric", "parameter", "tag"))
            for text in order_by
        ]
        found = self.runs.search(
            project_ids,
            where,
            run_order_sql(orders, dialect),
            view_type,
            page.limit + 1,
            page.offset,
        )
        return Page.of(found, page)

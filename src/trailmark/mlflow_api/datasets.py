"""``experiments/search-datasets``: the datasets the runs of some experiments used, the
list MLflow's UI shows beside an experiment's runs (``/ajax-api/2.0/mlflow/...`` only, as
on MLflow's server)."""

from __future__ import annotations

from typing import Any

from trailmark.errors import InvalidInput
from trailmark.mlflow_api.fields import Fields
from trailmark.store.mlflow.datasets import dataset_summaries
from trailmark.store.store import Store

MAX_EXPERIMENTS_PER_REQUEST = 20


def search_datasets(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """Each distinct (experiment, dataset name, digest, context) logged to the runs of up to
    20 experiments (``{"experiment_ids": ["1"]}``), at most 1,000."""
    experiment_ids = [str(e) for e in fields.items("experiment_ids")]
    if not experiment_ids:
        raise InvalidInput("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENTS_PER_REQUEST:
        raise InvalidInput(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENTS_PER_REQUEST}"
            f" experiment_ids. Received {len(experiment_ids)} experiment_ids."
        )
    projects = store.mlflow.project_ids(experiment_ids)
    experiments = dict(zip(projects, experiment_ids, strict=True))
    return {"dataset_summaries": dataset_summaries(store.mlflow.db, experiments)}

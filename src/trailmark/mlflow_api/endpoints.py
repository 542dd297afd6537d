"""Every JSON endpoint of the MLflow-compatible API, declared in one table.

A row names the method and path, the handler (``handler(store, fields, user) -> dict``), the
view model of its answer and the group it is listed under. The server mounts each row as a
route (:mod:`trailmark.server.mlflow.routes`); ``trailmark import`` calls the same handlers
in-process (:class:`trailmark.mlflow_import.sink.LocalSink`). Nothing registers itself on
import: a new endpoint is one handler and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trailmark.mlflow_api import (
    artifacts,
    datasets,
    experiments,
    logged_models,
    metrics,
    registry,
    runs,
)
from trailmark.mlflow_api.fields import Fields
from trailmark.store.store import Store
from trailmark.views import mlflow as views
from trailmark.views.base import View

Handler = Callable[[Store, Fields, str], dict[str, Any]]

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
"""Routes MLflow's server serves under this prefix only (its UI's): left out of the API schema."""
EXPERIMENTS = "mlflow experiments"
RUNS = "mlflow runs"
METRICS = "mlflow metrics"
ARTIFACTS = "mlflow artifacts"
LOGGED_MODELS = "mlflow logged models"
REGISTRY = "mlflow model registry"
GROUPS = (EXPERIMENTS, RUNS, METRICS, ARTIFACTS, LOGGED_MODELS, REGISTRY)
"""The groups in the order the server mounts them (and the docs list them)."""


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    response: type[View]
    group: str

    @property
    def doc(self) -> str:
        """The handler's docstring: the route's summary (first line) and description."""
        return (self.handler.__doc__ or "").strip()


def _rows(group: str, *rows: tuple[str, str, Handler, type[View]]) -> list[Endpoint]:
    return [
        Endpoint(method, path, handler, response, group) for method, path, handler, response in rows
    ]


_EXP = f"{API}/experiments"
_RUN = f"{API}/runs"
_LM = f"{API}/logged-models"
_RM = f"{API}/registered-models"
_MV = f"{API}/model-versions"
E = views.MlflowEmpty

ENDPOINTS: tuple[Endpoint, ...] = (
    *_rows(
        EXPERIMENTS,
        (
            "POST",
            f"{_EXP}/create",
            experiments.create_experiment,
            views.MlflowCreateExperimentResponse,
        ),
        ("GET", f"{_EXP}/get", experiments.get_experiment, views.MlflowExperimentResponse),
        (
            "GET",
            f"{_EXP}/get-by-name",
            experiments.get_experiment_by_name,
            views.MlflowExperimentResponse,
        ),
        (
            "POST",
            f"{_EXP}/search",
            experiments.search_experiments,
            views.MlflowSearchExperimentsResponse,
        ),
        ("POST", f"{_EXP}/update", experiments.update_experiment, E),
        ("POST", f"{_EXP}/delete", experiments.delete_experiment, E),
        ("POST", f"{_EXP}/restore", experiments.restore_experiment, E),
        ("POST", f"{_EXP}/set-experiment-tag", experiments.set_experiment_tag, E),
        ("POST", f"{_EXP}/delete-experiment-tag", experiments.delete_experiment_tag, E),
        (
            "POST",
            f"{AJAX}/experiments/search-datasets",
            datasets.search_datasets,
            views.MlflowSearchDatasetsResponse,
        ),
    ),
    *_rows(
        RUNS,
        ("POST", f"{_RUN}/create", runs.create_run, views.MlflowRunResponse),
        ("GET", f"{_RUN}/get", runs.get_run, views.MlflowRunResponse),
        ("POST", f"{_RUN}/update", runs.update_run, views.MlflowUpdateRunResponse),
        ("POST", f"{_RUN}/delete", runs.delete_run, E),
        ("POST", f"{_RUN}/restore", runs.restore_run, E),
        ("POST", f"{_RUN}/search", runs.search_runs, views.MlflowSearchRunsResponse),
        ("POST", f"{_RUN}/log-batch", runs.log_batch, E),
        ("POST", f"{_RUN}/log-parameter", runs.log_param, E),
        ("POST", f"{_RUN}/set-tag", runs.set_tag, E),
        ("POST", f"{_RUN}/delete-tag", runs.delete_tag, E),
        ("POST", f"{_RUN}/log-inputs", runs.log_inputs, E),
        ("POST", f"{_RUN}/outputs", runs.log_outputs, E),
        ("POST", f"{_RUN}/log-model", runs.log_model, E),
    ),
    *_rows(
        METRICS,
        ("POST", f"{_RUN}/log-metric", metrics.log_metric, E),
        (
            "GET",
            f"{API}/metrics/get-history",
            metrics.get_metric_history,
            views.MlflowMetricHistoryResponse,
        ),
        (
            "GET",
            f"{API}/metrics/get-history-bulk-interval",
            metrics.get_metric_history_bulk_interval,
            views.MlflowBulkMetricHistoryResponse,
        ),
        (
            "GET",
            f"{AJAX}/metrics/get-history-bulk",
            metrics.get_metric_history_bulk,
            views.MlflowBulkMetricHistoryResponse,
        ),
    ),
    *_rows(
        ARTIFACTS,
        ("GET", artifacts.ROOT, artifacts.list_artifacts, views.MlflowListArtifactsResponse),
        (
            "GET",
            f"{API}/artifacts/list",
            artifacts.list_run_artifacts,
            views.MlflowListRunArtifactsResponse,
        ),
    ),
    *_rows(
        LOGGED_MODELS,
        ("POST", _LM, logged_models.create_logged_model, views.MlflowLoggedModelResponse),
        (
            "GET",
            f"{_LM}/{{model_id}}",
            logged_models.get_logged_model,
            views.MlflowLoggedModelResponse,
        ),
        (
            "PATCH",
            f"{_LM}/{{model_id}}",
            logged_models.finalize_logged_model,
            views.MlflowLoggedModelResponse,
        ),
        ("DELETE", f"{_LM}/{{model_id}}", logged_models.delete_logged_model, E),
        ("PATCH", f"{_LM}/{{model_id}}/tags", logged_models.set_logged_model_tags, E),
        (
            "DELETE",
            f"{_LM}/{{model_id}}/tags/{{tag_key}}",
            logged_models.delete_logged_model_tag,
            E,
        ),
        ("POST", f"{_LM}/{{model_id}}/params", logged_models.log_logged_model_params, E),
        (
            "GET",
            f"{_LM}/{{model_id}}/artifacts/directories",
            logged_models.list_logged_model_artifacts,
            views.MlflowListArtifactsResponse,
        ),
        (
            "POST",
            f"{_LM}/search",
            logged_models.search_logged_models,
            views.MlflowSearchLoggedModelsResponse,
        ),
    ),
    *_rows(
        REGISTRY,
        (
            "POST",
            f"{_RM}/create",
            registry.create_registered_model,
            views.MlflowRegisteredModelResponse,
        ),
        ("GET", f"{_RM}/get", registry.get_registered_model, views.MlflowRegisteredModelResponse),
        (
            "POST",
            f"{_RM}/rename",
            registry.rename_registered_model,
            views.MlflowRegisteredModelResponse,
        ),
        (
            "PATCH",
            f"{_RM}/update",
            registry.update_registered_model,
            views.MlflowRegisteredModelResponse,
        ),
        ("DELETE", f"{_RM}/delete", registry.delete_registered_model, E),
        (
            "GET",
            f"{_RM}/search",
            registry.search_registered_models,
            views.MlflowSearchRegisteredModelsResponse,
        ),
        (
            "POST",
            f"{_RM}/get-latest-versions",
            registry.get_latest_versions,
            views.MlflowModelVersionsResponse,
        ),
        ("POST", f"{_RM}/set-tag", registry.set_registered_model_tag, E),
        ("DELETE", f"{_RM}/delete-tag", registry.delete_registered_model_tag, E),
        ("POST", f"{_RM}/alias", registry.set_registered_model_alias, E),
        ("DELETE", f"{_RM}/alias", registry.delete_registered_model_alias, E),
        (
            "GET",
            f"{_RM}/alias",
            registry.get_model_version_by_alias,
            views.MlflowModelVersionResponse,
        ),
        ("POST", f"{_MV}/create", registry.create_model_version, views.MlflowModelVersionResponse),
        ("GET", f"{_MV}/get", registry.get_model_version, views.MlflowModelVersionResponse),
        ("PATCH", f"{_MV}/update", registry.update_model_version, views.MlflowModelVersionResponse),
        (
            "POST",
            f"{_MV}/transition-stage",
            registry.transition_model_version_stage,
            views.MlflowModelVersionResponse,
        ),
        ("DELETE", f"{_MV}/delete", registry.delete_model_version, E),
        (
            "GET",
            f"{_MV}/search",
            registry.search_model_versions,
            views.MlflowSearchModelVersionsResponse,
        ),
        (
            "GET",
            f"{_MV}/get-download-uri",
            registry.get_model_version_download_uri,
            views.MlflowDownloadUriResponse,
        ),
        ("POST", f"{_MV}/set-tag", registry.set_model_version_tag, E),
        ("DELETE", f"{_MV}/delete-tag", registry.delete_model_version_tag, E),
    ),
)

BY_ROUTE: dict[tuple[str, str], Endpoint] = {(e.method, e.path): e for e in ENDPOINTS}
"""Each endpoint by (method, path), for callers in this process (``trailmark import``)."""


def call(store: Store, method: str, path: str, data: dict[str, Any], user: str) -> dict[str, Any]:
    """Run the endpoint at ``method path`` with ``data`` as its fields, in this process."""
    from trailmark.errors import InvalidInput

    endpoint = BY_ROUTE.get((method, path))
    if endpoint is None:
        raise InvalidInput(f"no MLflow endpoint {method} {path}")
    return endpoint.handler(store, Fields(dict(data)), user)

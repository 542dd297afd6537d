"""The MLflow-compatible API's answers (``/api/2.0/mlflow``), as MLflow's REST API names them.

Field names and the fields left out are MLflow's: a field that is ``None`` here is absent
from the answer (the routes return pre-serialised bodies, so the bytes MLflow clients read
are exactly the handlers'; tests check those bodies against these models). Metric values
are numbers, or ``"NaN"``/``"Infinity"``/``"-Infinity"`` as MLflow writes them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trailmark.views.base import View

MetricValue = float | str


class Empty(View):
    """The answer of a write that returns nothing: ``{}``."""


class KeyValue(View):
    key: str
    value: str


# experiments


class Experiment(View):
    experiment_id: str = Field(description='The project id; "0" is the project named Default.')
    name: str
    artifact_location: str
    lifecycle_stage: str = Field(description="active or deleted")
    last_update_time: int = Field(description="Milliseconds since the epoch.")
    creation_time: int
    tags: list[KeyValue]


class CreateExperimentResponse(View):
    experiment_id: str


class ExperimentResponse(View):
    experiment: Experiment


class SearchExperimentsResponse(View):
    experiments: list[Experiment]
    next_page_token: str | None = None


# runs and metrics


class Metric(View):
    key: str
    value: MetricValue
    timestamp: int = Field(description="Milliseconds since the epoch.")
    step: int


class MetricWithRunId(Metric):
    run_id: str | None = None


class RunInfo(View):
    run_id: str
    run_uuid: str
    run_name: str
    experiment_id: str
    user_id: str
    status: str = Field(description="RUNNING, FINISHED, FAILED or KILLED")
    start_time: int
    end_time: int | None = None
    artifact_uri: str
    lifecycle_stage: str


class RunData(View):
    metrics: list[Metric]
    params: list[KeyValue]
    tags: list[KeyValue]


class RunInputs(View):
    dataset_inputs: list[dict[str, Any]]
    model_inputs: list[dict[str, Any]]


class RunOutputs(View):
    model_outputs: list[dict[str, Any]]


class Run(View):
    info: RunInfo
    data: RunData
    inputs: RunInputs
    outputs: RunOutputs


class RunResponse(View):
    run: Run


class UpdateRunResponse(View):
    run_info: RunInfo


class SearchRunsResponse(View):
    runs: list[Run]
    next_page_token: str | None = None


class MetricHistoryResponse(View):
    metrics: list[Metric]
    next_page_token: str | None = None


class BulkMetricHistoryResponse(View):
    metrics: list[MetricWithRunId]


# artifacts


class FileInfo(View):
    path: str
    is_dir: bool
    file_size: int | None = None


class ListArtifactsResponse(View):
    files: list[FileInfo]


class ListRunArtifactsResponse(View):
    root_uri: str
    files: list[FileInfo]


class ServerInfo(View):
    store_type: str | None
    workspaces_enabled: bool
    trace_archival_enabled: bool
    multipart_uploads_enabled: bool
    multipart_downloads_enabled: bool
    presigned_upload_run_id_supported: bool
    presigned_upload_model_id_supported: bool
    features_enabled: dict[str, bool]


# logged models


class LoggedModelInfo(View):
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    artifact_uri: str
    status: str
    model_type: str
    tags: list[KeyValue]
    source_run_id: str | None = None


class LoggedModelData(View):
    params: list[KeyValue]
    metrics: list[Metric]


class LoggedModel(View):
    info: LoggedModelInfo
    data: LoggedModelData


class LoggedModelResponse(View):
    model: LoggedModel


class SearchLoggedModelsResponse(View):
    models: list[LoggedModel]
    next_page_token: str | None = None


# model registry


class ModelVersion(View):
    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    user_id: str
    current_stage: str
    description: str
    source: str
    run_id: str
    status: str
    run_link: str
    tags: list[KeyValue]
    aliases: list[str]
    model_id: str | None = None


class Alias(View):
    alias: str
    version: str


class RegisteredModel(View):
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str
    latest_versions: list[ModelVersion]
    tags: list[KeyValue]
    aliases: list[Alias]


class RegisteredModelResponse(View):
    registered_model: RegisteredModel


class SearchRegisteredModelsResponse(View):
    registered_models: list[RegisteredModel]
    next_page_token: str | None = None


class ModelVersionResponse(View):
    model_version: ModelVersion


class ModelVersionsResponse(View):
    model_versions: list[ModelVersion]


class SearchModelVersionsResponse(View):
    model_versions: list[ModelVersion]
    next_page_token: str | None = None


class DownloadUriResponse(View):
    artifact_uri: str

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

# Every name starts with "Mlflow": the OpenAPI document names components by class name, and
# the native API has its own Run, Experiment and ModelVersion.

MetricValue = float | str


class MlflowEmpty(View):
    """The answer of a write that returns nothing: ``{}``."""


class MlflowKeyValue(View):
    key: str
    value: str


# experiments


class MlflowExperiment(View):
    experiment_id: str = Field(description='The project id; "0" is the project named Default.')
    name: str
    artifact_location: str
    lifecycle_stage: str = Field(description="active or deleted")
    last_update_time: int = Field(description="Milliseconds since the epoch.")
    creation_time: int
    tags: list[MlflowKeyValue]


class MlflowCreateExperimentResponse(View):
    experiment_id: str


class MlflowExperimentResponse(View):
    experiment: MlflowExperiment


class MlflowSearchExperimentsResponse(View):
    experiments: list[MlflowExperiment]
    next_page_token: str | None = None


# runs and metrics


class MlflowMetric(View):
    key: str
    value: MetricValue
    timestamp: int = Field(description="Milliseconds since the epoch.")
    step: int


class MlflowMetricWithRunId(MlflowMetric):
    run_id: str | None = None


class MlflowRunInfo(View):
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


class MlflowRunData(View):
    metrics: list[MlflowMetric]
    params: list[MlflowKeyValue]
    tags: list[MlflowKeyValue]


class MlflowRunInputs(View):
    dataset_inputs: list[dict[str, Any]]
    model_inputs: list[dict[str, Any]]


class MlflowRunOutputs(View):
    model_outputs: list[dict[str, Any]]


class MlflowRun(View):
    info: MlflowRunInfo
    data: MlflowRunData
    inputs: MlflowRunInputs
    outputs: MlflowRunOutputs


class MlflowRunResponse(View):
    run: MlflowRun


class MlflowUpdateRunResponse(View):
    run_info: MlflowRunInfo


class MlflowSearchRunsResponse(View):
    runs: list[MlflowRun]
    next_page_token: str | None = None


class MlflowMetricHistoryResponse(View):
    metrics: list[MlflowMetric]
    next_page_token: str | None = None


class MlflowBulkMetricHistoryResponse(View):
    metrics: list[MlflowMetricWithRunId]


class MlflowDatasetSummary(View):
    experiment_id: str
    name: str
    digest: str
    context: str | None = None


class MlflowSearchDatasetsResponse(View):
    dataset_summaries: list[MlflowDatasetSummary]


# artifacts


class MlflowFileInfo(View):
    path: str
    is_dir: bool
    file_size: int | None = None


class MlflowListArtifactsResponse(View):
    files: list[MlflowFileInfo]


class MlflowListRunArtifactsResponse(View):
    root_uri: str
    files: list[MlflowFileInfo]


class MlflowServerInfo(View):
    store_type: str | None
    workspaces_enabled: bool
    trace_archival_enabled: bool
    multipart_uploads_enabled: bool
    multipart_downloads_enabled: bool
    presigned_upload_run_id_supported: bool
    presigned_upload_model_id_supported: bool
    features_enabled: dict[str, bool]


# logged models


class MlflowLoggedModelInfo(View):
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    artifact_uri: str
    status: str
    model_type: str
    tags: list[MlflowKeyValue]
    source_run_id: str | None = None


class MlflowLoggedModelData(View):
    params: list[MlflowKeyValue]
    metrics: list[MlflowMetric]


class MlflowLoggedModel(View):
    info: MlflowLoggedModelInfo
    data: MlflowLoggedModelData


class MlflowLoggedModelResponse(View):
    model: MlflowLoggedModel


class MlflowSearchLoggedModelsResponse(View):
    models: list[MlflowLoggedModel]
    next_page_token: str | None = None


# model registry


class MlflowModelVersion(View):
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
    tags: list[MlflowKeyValue]
    aliases: list[str]
    model_id: str | None = None


class MlflowAlias(View):
    alias: str
    version: str


class MlflowRegisteredModel(View):
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str
    latest_versions: list[MlflowModelVersion]
    tags: list[MlflowKeyValue]
    aliases: list[MlflowAlias]


class MlflowRegisteredModelResponse(View):
    registered_model: MlflowRegisteredModel


class MlflowSearchRegisteredModelsResponse(View):
    registered_models: list[MlflowRegisteredModel]
    next_page_token: str | None = None


class MlflowModelVersionResponse(View):
    model_version: MlflowModelVersion


class MlflowModelVersionsResponse(View):
    model_versions: list[MlflowModelVersion]


class MlflowSearchModelVersionsResponse(View):
    model_versions: list[MlflowModelVersion]
    next_page_token: str | None = None


class MlflowDownloadUriResponse(View):
    artifact_uri: str

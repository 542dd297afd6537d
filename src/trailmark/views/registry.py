"""The model registry: registered models, their versions and their history."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from trailmark.views.base import Paged, View
from trailmark.views.files import FileEntry

Stage = Literal["None", "Staging", "Production", "Archived"]


class Model(View):
    name: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int] = Field(description="Alias to version number.")
    version_count: int
    latest_version: int | None
    stages: dict[str, list[int]] = Field(description="Versions by stage (stages besides None).")
    created: float
    created_by: str
    updated: float


class ModelList(View):
    models: list[Model]


class ArtifactSource(View):
    project: str
    name: str
    version: int
    ref: str = Field(description="PROJECT/NAME:vN")


class ModelVersion(View):
    model: str
    version: int
    stage: Stage
    description: str
    tags: dict[str, str]
    aliases: list[str]
    digest: str
    size: int
    file_count: int
    source: str
    source_project: str | None
    source_run: str | None
    artifact: ArtifactSource | None = Field(description="The artifact version it came from.")
    created: float
    created_by: str
    updated: float


class ModelVersionsPage(Paged):
    versions: list[ModelVersion]


class ModelManifest(View):
    version: ModelVersion
    files: list[FileEntry]


class ModelEvent(View):
    id: int
    model: str
    version: int | None
    kind: str
    data: dict[str, Any]
    user: str
    created: float


class ModelEventsPage(Paged):
    events: list[ModelEvent]

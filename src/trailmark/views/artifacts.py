"""Artifacts: named collections of versions, each a manifest of files."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trailmark.views.base import Paged, View
from trailmark.views.files import FileEntry


class ArtifactVersion(View):
    project: str
    artifact: str
    type: str
    version: int
    ref: str = Field(description="NAME:vN")
    digest: str = Field(description="Digest of the manifest.")
    size: int
    file_count: int
    metadata: dict[str, Any]
    description: str
    aliases: list[str]
    run: str | None = Field(description="The run that produced it.")
    used_by: int = Field(description="How many runs used it.")
    created: float
    created_by: str


class CreatedVersion(ArtifactVersion):
    new_version: bool = Field(description="False: the files equal the newest version's.")


class Artifact(View):
    project: str
    name: str
    type: str
    description: str
    version_count: int
    latest: ArtifactVersion | None
    created: float
    updated: float


class ArtifactList(View):
    artifacts: list[Artifact]


class ArtifactVersionsPage(Paged):
    versions: list[ArtifactVersion]


class ArtifactManifest(View):
    version: ArtifactVersion
    files: list[FileEntry]


class VersionUsers(View):
    runs: list[str] = Field(description="Ids of the runs that used the version.")


class RunArtifacts(View):
    produced: list[ArtifactVersion]
    used: list[ArtifactVersion]

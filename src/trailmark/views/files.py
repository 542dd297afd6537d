"""Files: manifest entries of artifact and model versions, and the files a run saved."""

from __future__ import annotations

from pydantic import Field

from trailmark.views.base import Paged, View


class FileEntry(View):
    """A file of a version. References (external URIs) add ``ref`` and ``etag``."""

    path: str = Field(description="Name inside the version, '/'-separated.")
    size: int
    digest: str | None = Field(description="sha256; null only for references.")
    ref: str | None = Field(default=None, description="External URI of a reference.")
    etag: str | None = None


class FilesPage(Paged):
    files: list[FileEntry]


class RunFile(View):
    path: str
    size: int
    digest: str
    created: float
    updated: float


class RunFilesPage(Paged):
    files: list[RunFile]


class RunFileList(View):
    files: list[RunFile]

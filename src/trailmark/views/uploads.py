"""Content uploads: which blobs are missing, whole blobs, and resumable upload sessions."""

from __future__ import annotations

from pydantic import Field

from trailmark.views.base import View


class MissingBlobs(View):
    missing: list[str] = Field(description="The digests the server does not hold yet.")


class StoredBlob(View):
    digest: str
    size: int


class UploadSession(View):
    """An upload in progress, or (``complete: true``) one whose content is stored; a
    finished or already stored upload leaves out the session's progress fields."""

    id: str | None = Field(description="The session; null when the content was already stored.")
    digest: str
    size: int
    complete: bool
    offset: int | None = Field(default=None, description="Where the next chunk starts.")
    parts: int | None = None
    min_chunk: int | None = None
    max_chunk: int | None = None
    created: float | None = None
    updated: float | None = None

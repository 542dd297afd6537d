"""Request bodies of the artifact, file, registry and webhook routes (documented in OpenAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trailmark.blobs.protocol import MAX_PART_SIZE
from trailmark.manifest import MAX_ENTRIES
from trailmark.server.models import Body
from trailmark.store.uploads import MAX_BLOB_SIZE, MAX_DIGESTS_PER_QUERY


class DigestList(Body):
    digests: list[str] = Field(max_length=MAX_DIGESTS_PER_QUERY, description="sha256 hex digests")


class UploadCreate(Body):
    digest: str = Field(description="sha256 of the whole file, 64 hex digits")
    size: int = Field(ge=0, le=MAX_BLOB_SIZE, description="size of the whole file in bytes")


class ManifestEntry(Body):
    path: str = Field(description="name inside the artifact, '/'-separated; never a server path")
    size: int = Field(ge=0)
    digest: str | None = Field(default=None, description="sha256; null only for references")
    ref: str | None = Field(default=None, description="external URI (s3://, https://, file://)")
    etag: str | None = None


class VersionCreate(Body):
    type: str = Field(default="dataset", description="e.g. dataset, model")
    files: list[ManifestEntry] = Field(max_length=MAX_ENTRIES)
    metadata: dict[str, Any] | None = None
    description: str = ""
    run_id: str | None = Field(default=None, description="the run that produced this version")
    aliases: list[str] = Field(default_factory=list, description="'latest' is always set")


class ArtifactUpdate(Body):
    description: str


class VersionUpdate(Body):
    description: str | None = None
    metadata: dict[str, Any] | None = None


class AliasSet(Body):
    version: str | int = Field(description="version number (3 or 'v3') or another alias")


class UseArtifact(Body):
    run_id: str


class RunFiles(Body):
    files: list[ManifestEntry] = Field(min_length=1, max_length=10_000)


class ModelCreate(Body):
    name: str
    description: str = ""
    tags: dict[str, str] | None = None


class ModelUpdate(Body):
    description: str | None = None
    tags: dict[str, str] | None = None


class ModelVersionCreate(Body):
    source: str = Field(
        description="'runs/RUN_ID/PATH' (files the run saved, or an artifact it produced) "
        "or 'artifact:[PROJECT/]NAME[:VERSION]'"
    )
    project: str | None = Field(default=None, description="project of an artifact source")
    description: str = ""
    tags: dict[str, str] | None = None
    create_model: bool = Field(default=True, description="create the model if it is new")


class ModelVersionUpdate(Body):
    description: str | None = None
    tags: dict[str, str] | None = None


class StageSet(Body):
    stage: str = Field(description="None, Staging, Production or Archived")
    archive_existing: bool | None = Field(
        default=None,
        description="archive the versions now in that stage (default: yes for Production)",
    )


class WebhookCreate(Body):
    url: str
    events: list[str] | None = Field(default=None, description="event kinds, or ['*'] for all")
    model: str | None = Field(default=None, description="only events about this model")
    secret: str | None = Field(default=None, description="HMAC key; generated when absent")
    description: str = ""
    active: bool = True


class WebhookUpdate(Body):
    url: str | None = None
    events: list[str] | None = None
    model: str | None = None
    secret: str | None = None
    description: str | None = None
    active: bool | None = None


CHUNK_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary", "maxLength": MAX_PART_SIZE}
            }
        },
    }
}

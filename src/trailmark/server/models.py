"""Request bodies of the REST API (they document it in the OpenAPI spec too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trailmark.limits import MAX_FILTER_LENGTH, MAX_NAME_LENGTH, MAX_PAGE_SIZE


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(Body):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str = ""


class RunCreate(Body):
    id: str | None = Field(default=None, description="Run id; generated when absent.")
    name: str | None = None
    config: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    tags: list[str] | None = None
    properties: dict[str, str] | None = None
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    host: str | None = None
    state: str | None = None


class RunUpdate(Body):
    name: str | None = None
    state: str | None = None
    config: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    tags: list[str] | None = None
    properties: dict[str, str] | None = None
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None


class RunSearch(Body):
    filter: str | None = Field(default=None, max_length=MAX_FILTER_LENGTH)
    order: str | None = Field(default=None, max_length=MAX_FILTER_LENGTH)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0)


class SeriesQuery(Body):
    runs: list[str] = Field(min_length=1, max_length=100)
    keys: list[str] = Field(min_length=1, max_length=500)
    buckets: int | None = Field(default=None, ge=1, le=100_000)
    min_step: int | None = Field(default=None, ge=-(2**62), le=2**62)
    max_step: int | None = Field(default=None, ge=-(2**62), le=2**62)


class RunList(Body):
    runs: list[str] = Field(min_length=1, max_length=10_000)

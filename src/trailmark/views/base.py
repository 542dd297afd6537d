"""The base of every view model, and the shape of a paged list."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    """A JSON object the API answers. Unknown keys are an error, not silently dropped: a
    builder that grows a key must grow the model too, or the contract tests fail.

    Validators are built on first use, not at import (``defer_build``): the server imports
    ~90 views and validates few of them (large answers go out pre-serialised), and building
    them all cost ~100 ms of every server start on a slow machine."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Paged(View):
    """A page of a longer list (the items are under a resource's own name)."""

    total: int = Field(description="How many items match, over all pages.")
    next_offset: int | None = Field(description="The offset of the next page; null at the end.")

"""The base of every view model, and the shape of a paged list."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class View(BaseModel):
    """A JSON object the API answers. Unknown keys are an error, not silently dropped: a
    builder that grows a key must grow the model too, or the contract tests fail."""

    model_config = ConfigDict(extra="forbid")


class Paged(View):
    """A page of a longer list (the items are under a resource's own name)."""

    total: int = Field(description="How many items match, over all pages.")
    next_offset: int | None = Field(description="The offset of the next page; null at the end.")

"""POST /api/v1/ingest."""

from __future__ import annotations

from pydantic import Field

from trailmark.views.base import View


class IngestResult(View):
    accepted: int = Field(description="Records applied now.")
    duplicates: int = Field(description="Records already kept (a retry or a replay).")
    last_seq: int = Field(description="The highest sequence number kept for this writer.")

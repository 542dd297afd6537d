"""Table previews of CSV, TSV and Parquet files."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from trailmark.views.base import View


class TablePreview(View):
    format: Literal["csv", "tsv", "parquet"]
    columns: list[str]
    types: list[str] | None = Field(description="Parquet column types; null for text tables.")
    rows: list[list[Any]] = Field(description="The first rows, as lists in column order.")
    total_rows: int | None = Field(description="Null when a large text table was not counted.")
    truncated: bool

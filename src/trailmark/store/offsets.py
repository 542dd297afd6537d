"""Where a page of a native list starts: the one check every paged store read makes."""

from __future__ import annotations

from trailmark.errors import InvalidInput
from trailmark.limits import MAX_PAGE_OFFSET


def check_offset(offset: int) -> None:
    """``offset`` from 0 to MAX_PAGE_OFFSET, else :class:`InvalidInput` (never a database
    overflow: SQLite and PostgreSQL refuse offsets that do not fit 64 bits)."""
    if not 0 <= offset <= MAX_PAGE_OFFSET:
        raise InvalidInput(f"offset must be from 0 to {MAX_PAGE_OFFSET}, got {offset}")

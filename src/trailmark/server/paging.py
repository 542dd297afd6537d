"""The one shape of a paged list: ``{name: items, "total": n, "next_offset": n | None}``."""

from __future__ import annotations

from typing import Any


def page(name: str, items: list[Any], total: int, offset: int) -> dict[str, Any]:
    """A page of ``items`` starting at ``offset`` of ``total``; ``next_offset`` is None at the end."""
    following = offset + len(items)
    return {name: items, "total": total, "next_offset": following if following < total else None}

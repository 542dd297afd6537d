"""MLflow's page tokens, and one page of a search read from SQL with ``LIMIT``/``OFFSET``.

A token is opaque to MLflow clients (they pass back ``next_page_token`` as given); it holds
the offset of the next page. A search reads one row more than the page to know whether
another page follows, so no search counts or loads the rows it does not return.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from trailmark.errors import InvalidInput
from trailmark.limits import MAX_PAGE_OFFSET

T = TypeVar("T")


def page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_offset(token: str | None) -> int:
    """The offset ``token`` holds; :class:`InvalidInput` (MLflow's INVALID_PARAMETER_VALUE)
    for anything :func:`page_token` could not have made, an offset out of range included."""
    if not token:
        return 0
    offset = _decoded_offset(token)
    if type(offset) is not int or not 0 <= offset <= MAX_PAGE_OFFSET:
        raise InvalidInput(
            f"Invalid page token {token[:40]!r}: its offset must be a whole number from 0 to "
            f"{MAX_PAGE_OFFSET}; pass back next_page_token as given"
        )
    return offset


def _decoded_offset(token: str) -> object:
    try:
        decoded = json.loads(base64.b64decode(token))
    except (binascii.Error, ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, dict) or "offset" not in decoded:
        raise InvalidInput(f"Invalid page token {token[:40]!r}; pass back next_page_token as given")
    return decoded["offset"]


@dataclass(frozen=True)
class PageRequest:
    """Which page a search asks for: ``max_results`` items after the token's offset."""

    limit: int
    token: str | None = None

    @property
    def offset(self) -> int:
        return page_offset(self.token)


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of one page and the token of the next (``None`` on the last page)."""

    items: list[T]
    next_token: str | None

    @classmethod
    def of(cls, rows: Sequence[T], request: PageRequest) -> Page[T]:
        """The page from ``request.limit + 1`` rows read at ``request.offset``."""
        more = len(rows) > request.limit
        token = page_token(request.offset + request.limit) if more else None
        return cls(list(rows[: request.limit]), token)

"""Typed errors. Each carries its HTTP status and a stable machine-readable code.

The server turns them into ``{"error": {"code", "message"}}`` in one place
(:mod:`trailmark.server.errors`); the HTTP client turns such a body back into the
same class, so a caller sees one exception type whether the store is local or remote.
"""

from __future__ import annotations

import math
from typing import ClassVar


class TrailmarkError(Exception):
    """Base of every error Trailmark raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the body (e.g. ``Retry-After``)."""
        return {}


class InvalidInput(TrailmarkError):
    """The request or call was malformed; the message says what and how to fix it."""

    status = 400
    code = "invalid_input"


class InvalidFilter(InvalidInput):
    """A filter expression could not be parsed; ``position`` is the 0-based offset."""

    code = "invalid_filter"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


class Unauthorized(TrailmarkError):
    status = 401
    code = "unauthorized"


class Forbidden(TrailmarkError):
    status = 403
    code = "forbidden"


class CrossSiteRequest(Forbidden):
    """A browser sent a state-changing request from a page on another site or origin."""

    code = "cross_site_request"


class UnsupportedMediaType(TrailmarkError):
    """The request's body has a ``Content-Type`` its route does not take."""

    status = 415
    code = "unsupported_media_type"


class NotFound(TrailmarkError):
    status = 404
    code = "not_found"


class Conflict(TrailmarkError):
    status = 409
    code = "conflict"


class DigestMismatch(InvalidInput):
    """Uploaded content does not hash to the digest it was announced with."""

    code = "digest_mismatch"


class CorruptBlob(TrailmarkError):
    """Stored content no longer hashes to its digest: the copy is damaged and was not used."""

    status = 500
    code = "corrupt_blob"


class PayloadTooLarge(TrailmarkError):
    status = 413
    code = "payload_too_large"


class StorageFull(TrailmarkError):
    status = 507
    code = "storage_full"


class Unavailable(TrailmarkError):
    """The server could not be reached or answered with a temporary failure."""

    status = 503
    code = "unavailable"


class TooManyRequests(TrailmarkError):
    """The server is too busy to take the request now; retry after ``retry_after`` seconds
    (sent as ``Retry-After``, whole seconds)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class NotInstalled(TrailmarkError):
    """The feature needs an optional package the server does not have (the message names it)."""

    status = 501
    code = "not_installed"


ERRORS_BY_CODE: dict[str, type[TrailmarkError]] = {
    cls.code: cls
    for cls in (
        TrailmarkError,
        InvalidInput,
        InvalidFilter,
        Unauthorized,
        Forbidden,
        CrossSiteRequest,
        UnsupportedMediaType,
        NotFound,
        Conflict,
        DigestMismatch,
        CorruptBlob,
        PayloadTooLarge,
        StorageFull,
        Unavailable,
        TooManyRequests,
        NotInstalled,
    )
}


def error_from_body(status: int, code: str, message: str) -> TrailmarkError:
    """Rebuild a typed error from a server's JSON error body."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None or cls is InvalidFilter:
        cls = next((c for c in ERRORS_BY_CODE.values() if c.status == status), TrailmarkError)
    if cls is InvalidFilter:
        cls = InvalidInput
    return cls(message)

"""What a failed request raises, and how it becomes an error of the caller's own kind.

The client raises :class:`HttpError` internally; an *error mapper* given to the
:class:`~trailmark.client.Client` turns it into what its callers catch, at this one
boundary: Trailmark's typed errors by default, MLflow's for the importer, the raw
:class:`HttpError` for the sender (which classifies by status itself).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import orjson

from trailmark.errors import TrailmarkError, Unavailable, error_from_body

UNREACHABLE = "unreachable"
"""``code`` of a request that got no answer (refused, reset, dropped): a retry may succeed."""
CUT_SHORT = "cut_short"
"""``code`` of an answer that broke off part way: bytes were already handed to the caller."""
TIMED_OUT = "timed_out"
"""``code`` of a request the server did not answer within the client's timeout."""


class HttpError(Exception):
    """A request that failed: ``status`` 0 when no complete answer came (see ``code``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retry_after: float | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.body = body

    def to_trailmark(self) -> TrailmarkError:
        if self.status == 0:
            return Unavailable(self.message)
        return error_from_body(self.status, self.code, self.message)


ErrorMapper = Callable[[HttpError], Exception]
"""Turns an :class:`HttpError` into the exception a client's callers catch."""


def trailmark_error(error: HttpError) -> Exception:
    """The default mapper: Trailmark's typed errors (``Unavailable`` for no answer)."""
    return error.to_trailmark()


def keep_http_error(error: HttpError) -> Exception:
    """The mapper of a caller that reads ``status`` and ``retry_after`` itself."""
    return error


def error_from_response(status: int, body: bytes, retry_after: str | None) -> HttpError:
    """An answer outside 2xx, its Trailmark-style JSON error body read where there is one."""
    code, message = "http_error", body[:500].decode("utf-8", "replace")
    try:
        error = orjson.loads(body)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    return HttpError(status, code, message, parse_retry_after(retry_after), body)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

"""The HTTP client of the SDK, the ``Api`` and the MLflow importer (standard library only).

Not imported by ``import trailmark``: the sender thread, ``Api`` and the uploader import it
when they first talk to a server.

Example::

    from trailmark.client import Client

    with Client("http://127.0.0.1:5100") as client:
        runs = client.request_json("POST", "/api/v1/projects/p/runs/search", {"limit": 10})
"""

from trailmark.client.bodies import BLOCK, FileSlice, Writable
from trailmark.client.client import Auth, Client, Response, quote
from trailmark.client.errors import (
    ErrorMapper,
    HttpError,
    keep_http_error,
    trailmark_error,
)
from trailmark.client.retry import IDEMPOTENT_METHODS, NO_RETRY, Retry

__all__ = [
    "BLOCK",
    "IDEMPOTENT_METHODS",
    "NO_RETRY",
    "Auth",
    "Client",
    "ErrorMapper",
    "FileSlice",
    "HttpError",
    "Response",
    "Retry",
    "Writable",
    "keep_http_error",
    "quote",
    "trailmark_error",
]

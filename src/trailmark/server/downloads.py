"""File downloads: stored content served inert, and checked against its digest on the way.

Every route that answers stored bytes (run files, artifact and model files, MLflow
artifacts, the console download) answers through :func:`stored_bytes`: whatever a file
holds, a browser never runs it as a page of the app's origin. It is sent with
``X-Content-Type-Options: nosniff`` under a sandboxing content security policy (an opaque
origin, no script, no plugins, no forms), and as ``application/octet-stream`` attachment
unless its type is one a browser only shows (an image, sound, video or plain text).
An HTML, SVG or XML file, or one whose bytes merely look like HTML, is a download.

Small files are read and verified before the first byte is sent, so damage is answered
with a ``500 corrupt_blob`` error. Large files are streamed and verified as they go; if the
content turns out damaged the connection is cut before the last byte (the length header
promised more), so no client can take a damaged file for a whole one. The SDK verifies
every download as well.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import re
import urllib.parse
from collections.abc import Iterator, Mapping

from starlette.responses import Response, StreamingResponse

from trailmark.blobs.protocol import BlobStore, verified_chunks
from trailmark.errors import CorruptBlob, InvalidInput
from trailmark.manifest import Entry

log = logging.getLogger("trailmark.server")

VERIFY_FIRST_BELOW = 8 * 1024 * 1024

STORED_CONTENT_POLICY = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "media-src 'self'; frame-ancestors 'none'"
)
"""The policy of every stored file opened as a page: a sandbox (an opaque origin, so even a
script could not read the API) in which no script, plugin, form or frame loads."""

OCTET_STREAM = "application/octet-stream"

INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "text/plain",
        "text/csv",
        "application/json",
    }
)
"""Types a browser only shows (a picture, text): served as themselves, inline. Never SVG,
HTML, XML or anything a browser could run; audio and video are added by prefix."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")


def inline_type(path: str) -> str | None:
    """The type ``path`` is shown as in a browser, or None if it must be a download."""
    guessed = mimetypes.guess_type(posixpath.basename(path), strict=False)[0]
    if guessed is None:
        return None
    if guessed in INLINE_TYPES or guessed.startswith(("audio/", "video/")):
        return guessed
    return None


def _disposition(kind: str, name: str) -> str:
    if _PLAIN_NAME.fullmatch(name):
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename*=UTF-8''{urllib.parse.quote(name)}"


def stored_bytes(
    content: bytes | Iterator[bytes],
    path: str,
    *,
    inline: bool = False,
    media_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The one way stored bytes leave the server: inert whatever they hold.

    ``inline`` lets an image, sound, video or plain text file be shown where it is opened
    (MLflow's UI shows them from the artifact URL); every other file is an
    ``application/octet-stream`` attachment. ``media_type`` names the type of generated
    text (the console download) and must be one a browser only shows.

    >>> stored_bytes(b"<svg onload=alert(1)>", "x.svg", inline=True).media_type
    'application/octet-stream'
    """
    shown = inline_type(path) if inline else None
    if media_type is not None and media_type.split(";")[0].strip() not in INLINE_TYPES:
        raise ValueError(f"{media_type} is not a type a browser only shows")
    name = posixpath.basename(path) or "download"
    safe = {
        **(headers or {}),
        "Content-Disposition": _disposition("inline" if shown else "attachment", name),
        "Content-Security-Policy": STORED_CONTENT_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    media = media_type or shown or OCTET_STREAM
    if isinstance(content, bytes):
        return Response(content, media_type=media, headers=safe)
    return StreamingResponse(content, media_type=media, headers=safe)


def _headers(entry: Entry) -> dict[str, str]:
    return {
        "Content-Length": str(entry.size),
        "ETag": f'"{entry.digest}"',
        "X-Trailmark-Digest": f"sha256={entry.digest}",
        "Cache-Control": "private, max-age=31536000, immutable",
    }


def file_response(blobs: BlobStore, entry: Entry, what: str) -> Response:
    """The content of a manifest entry (never a reference: those are fetched from their URI),
    as an attachment."""
    if entry.ref is not None or entry.digest is None:
        raise InvalidInput(
            f"{what} is a reference to {entry.ref}, not stored here; fetch it from there"
        )
    label = f"{what} (sha256 {entry.digest})"
    chunks = _reported(verified_chunks(blobs.read(entry.digest), entry.digest, label))
    content = b"".join(chunks) if entry.size < VERIFY_FIRST_BELOW else chunks
    return stored_bytes(content, entry.path, headers=_headers(entry))


def _reported(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Log damage where operators look (the server log), then let it stop the response."""
    try:
        yield from chunks
    except CorruptBlob as exc:
        log.error("%s", exc.message)
        raise

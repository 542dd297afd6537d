"""File downloads: stored content streamed out and checked against its digest on the way.

Small files are read and verified before the first byte is sent, so damage is answered
with a ``500 corrupt_blob`` error. Large files are streamed and verified as they go; if the
content turns out damaged the connection is cut before the last byte (the length header
promised more), so no client can take a damaged file for a whole one. The SDK verifies
every download as well.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator

from starlette.responses import Response, StreamingResponse

from trailmark.blobs.protocol import BlobStore, verified_chunks
from trailmark.errors import CorruptBlob, InvalidInput
from trailmark.manifest import Entry

log = logging.getLogger("trailmark.server")

VERIFY_FIRST_BELOW = 8 * 1024 * 1024


def _headers(entry: Entry) -> dict[str, str]:
    name = entry.path.rsplit("/", 1)[-1]
    return {
        "Content-Disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}",
        "Content-Length": str(entry.size),
        "ETag": f'"{entry.digest}"',
        "X-Trailmark-Digest": f"sha256={entry.digest}",
        "Cache-Control": "private, max-age=31536000, immutable",
    }


def file_response(blobs: BlobStore, entry: Entry, what: str) -> Response:
    """The content of a manifest entry (never a reference: those are fetched from their URI)."""
    if entry.ref is not None or entry.digest is None:
        raise InvalidInput(
            f"{what} is a reference to {entry.ref}, not stored here; fetch it from there"
        )
    label = f"{what} (sha256 {entry.digest})"
    chunks = _reported(verified_chunks(blobs.read(entry.digest), entry.digest, label))
    media = "application/octet-stream"
    if entry.size < VERIFY_FIRST_BELOW:
        return Response(b"".join(chunks), media_type=media, headers=_headers(entry))
    return StreamingResponse(chunks, media_type=media, headers=_headers(entry))


def _reported(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Log damage where operators look (the server log), then let it stop the response."""
    try:
        yield from chunks
    except CorruptBlob as exc:
        log.error("%s", exc.message)
        raise

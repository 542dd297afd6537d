"""JSON responses encoded by orjson (fast for long series; our data is already JSON-safe)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse


class JSON(JSONResponse):
    """A JSONResponse (so FastAPI documents routes' JSON bodies in the OpenAPI spec, rather
    than calling them strings), rendered by orjson."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            # orjson refuses integers beyond 64 bits and lone surrogates, which a stored
            # config may hold; the standard library writes both as valid JSON.
            return json.dumps(content, separators=(",", ":")).encode()


FILE_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes (served as an attachment, verified as they are sent).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
"""The OpenAPI answer of a file download (``response_class=Response``: no JSON body)."""

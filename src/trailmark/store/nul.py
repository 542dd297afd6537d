"""NUL characters in stored values, kept losslessly and identically on SQLite and PostgreSQL.

PostgreSQL's ``text`` cannot hold U+0000 and its ``jsonb`` refuses the ``\\u0000`` escape;
SQLite keeps both. So that the two databases store the same thing for the same input, a
*value* string (a config or summary value, a note, a description, an MLflow param or tag
value) that holds a NUL is written, on both databases, as :data:`MARK` followed by the
string with ``%`` written ``%25`` and NUL written ``%00``; a string that starts with
:data:`MARK` is written the same way, so that decoding is exact. Every other string (all
but a handful) is stored as it is, so filters, sorting and old rows are unchanged.

The encoding is applied in the store's write and read paths only: JSON columns through
:func:`trailmark.store.database.json_text` and :func:`~trailmark.store.database.json_value`,
text columns through :class:`NulSafeText`, and the few statements ingest writes through
the driver through :func:`encode_text` and :func:`decode_text`. Identifiers (names, keys)
with a NUL are refused before they reach the store (:mod:`trailmark.validation`).

>>> decode_text(encode_text("a\\x00b%"))
'a\\x00b%'
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Dialect, Text, TypeDecorator

MARK = "\ufdd0"
"""A Unicode noncharacter ("for process-internal use"): the prefix of an encoded string."""

# What serialised JSON holds where a string needs encoding or may be encoded: the NUL escape,
# the marker itself (orjson, PostgreSQL) or its escape (the standard library, SQLite). Plain
# substring tests (a regular expression took 4 times as long): the codec runs for every JSON
# value the store reads and writes.
_NUL_ESCAPE = b"\\u0000"
_MARK_BYTES = MARK.encode()
_MARK_ESCAPE, _MARK_ESCAPE_UPPER = "\\ufdd0", "\\uFDD0"
_MARK_ESCAPE_BYTES, _MARK_ESCAPE_UPPER_BYTES = _MARK_ESCAPE.encode(), _MARK_ESCAPE_UPPER.encode()
_ESCAPED = re.compile("%(00|25)")


def encode_text(value: str) -> str:
    """``value`` as stored: unchanged unless it holds a NUL or starts with :data:`MARK`."""
    if "\x00" not in value and not value.startswith(MARK):
        return value
    return MARK + value.replace("%", "%25").replace("\x00", "%00")


def decode_text(value: str) -> str:
    """The string :func:`encode_text` was given."""
    if not value.startswith(MARK):
        return value
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "00" else "%", value[len(MARK) :])


def encode_json(value: Any) -> Any:
    """``value`` (a JSON document) with every string and object key encoded."""
    if isinstance(value, str):
        return encode_text(value)
    if isinstance(value, dict):
        return {
            encode_text(k) if isinstance(k, str) else k: encode_json(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [encode_json(v) for v in value]
    return value


def decode_json(value: Any) -> Any:
    """The document :func:`encode_json` was given."""
    if isinstance(value, str):
        return decode_text(value)
    if isinstance(value, dict):
        return {
            decode_text(k) if isinstance(k, str) else k: decode_json(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [decode_json(v) for v in value]
    return value


def json_needs_encoding(text: bytes) -> bool:
    """Whether serialised JSON (orjson's bytes) holds a NUL or a :data:`MARK` (rare)."""
    # orjson writes the marker as it is (not ASCII), never as an escape. A one-byte search
    # for the backslash comes first: searching for the escape itself took ten times as long.
    if b"\\" in text and _NUL_ESCAPE in text:
        return True
    return not text.isascii() and _MARK_BYTES in text


def json_may_hold_encoded(text: str | bytes) -> bool:
    """Whether stored JSON text may hold an encoded string (cheap: a substring test or two).

    ASCII-only JSON (the standard library's, SQLite) holds the marker as an escape; other
    JSON (orjson's, PostgreSQL's) holds it as it is."""
    if isinstance(text, bytes):
        if not text.isascii():
            return _MARK_BYTES in text
        return b"\\" in text and (_MARK_ESCAPE_BYTES in text or _MARK_ESCAPE_UPPER_BYTES in text)
    if not text.isascii():
        return MARK in text
    return "\\" in text and (_MARK_ESCAPE in text or _MARK_ESCAPE_UPPER in text)


class NulSafeText(TypeDecorator[str]):
    """``Text`` for values that may hold NUL: encoded on write, decoded on read."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return encode_text(value) if isinstance(value, str) else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return decode_text(value) if isinstance(value, str) else value

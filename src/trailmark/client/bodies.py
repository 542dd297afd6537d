"""Request and answer bodies that move piece by piece: a multi-GB file is never in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, Protocol

BLOCK = 1024 * 1024
"""Bytes read from an upload's file, or from a download's answer, at a time."""


class Writable(Protocol):
    """Where a download goes: a file opened for writing, a ``BytesIO``, a hashing sink."""

    def write(self, data: bytes, /) -> object: ...


class Readable(Protocol):
    """An upload body read piece by piece: a file, a :class:`FileSlice`."""

    def read(self, size: int = -1, /) -> bytes: ...


class FileSlice:
    """``length`` bytes of ``source`` from ``offset``, read on demand (an upload body).

    ``on_read(n)`` is told of every ``n`` bytes read, i.e. handed to the connection.

    Example::

        with path.open("rb") as f:
            client.stream("PUT", "/blob", upload=FileSlice(f, 0, size))
    """

    def __init__(
        self,
        source: BinaryIO,
        offset: int,
        length: int,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self._source = source
        self.length = length
        self._left = length
        self._on_read = on_read
        source.seek(offset)

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        data = self._source.read(want) if want > 0 else b""
        self._left -= len(data)
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data

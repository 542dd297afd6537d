"""Short, url-safe identifiers."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(length: int = 8) -> str:
    """A random lowercase base-36 id: 8 characters give 2.8e12 values."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_run_id() -> str:
    return new_id(8)


def new_writer_id() -> str:
    return new_id(10)

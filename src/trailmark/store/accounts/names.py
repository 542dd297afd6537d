"""Names of users, teams and keys: the project's name rules, and no character that would
make two names look alike or hide part of one (a right-to-left override, a zero-width
space, a lone surrogate, an undecomposed accent)."""

from __future__ import annotations

import unicodedata
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.validation import check_name

_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def check_account_name(kind: str, value: Any) -> str:
    """A user or team name: :func:`~trailmark.validation.check_name` with no '/', no
    surrounding spaces, no invisible or unassigned characters, in Unicode NFC form."""
    name = check_name(kind, value, allow_slash=False)
    if name != name.strip():
        raise InvalidInput(f"{kind} {name!r} may not start or end with a space")
    for char in name:
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            code = f"U+{ord(char):04X}"
            raise InvalidInput(f"{kind} {name!r} contains an invisible character ({code})")
    if unicodedata.normalize("NFC", name) != name:
        raise InvalidInput(f"{kind} {name!r} is not in Unicode NFC form; type it composed")
    return name


def check_label(kind: str, value: Any) -> str:
    """A key's name: any printable text of 1-256 characters."""
    name = check_name(kind, value)
    for char in name:
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            raise InvalidInput(f"{kind} {name!r} contains an invisible character")
    return name

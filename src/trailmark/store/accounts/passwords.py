"""Password hashing (argon2id through argon2-cffi, its default parameters) and generation.

argon2 is imported on first use: the SDK's local store opens the same database and never
checks a password, so it never pays for the import.
"""

from __future__ import annotations

import functools
import secrets
import string
from typing import TYPE_CHECKING, Any

from trailmark.errors import InvalidInput

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longer passwords are refused: hashing is deliberately slow, and megabytes of it would be a
way to tie up the server."""

GENERATED_LENGTH = 24
_ALPHABET = string.ascii_letters + string.digits


@functools.cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, checked when the user is unknown so that the answer takes
    as long as for a known name (timing does not tell which names exist)."""
    return _hasher().hash(secrets.token_urlsafe(16))


def check_password_rules(password: Any) -> str:
    if not isinstance(password, str):
        raise InvalidInput("a password must be a string")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")
    if "\x00" in password:
        raise InvalidInput("a password may not contain a NUL character (U+0000)")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password_rules(password))


def verify(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored_hash``, and a new hash when the stored one was
    made with weaker parameters than today's (``None`` otherwise). With no stored hash (an
    unknown user, an SSO-only or service account) a dummy hash is checked and the answer is
    no, in about the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False, None
    try:
        if stored_hash is None:
            hasher.verify(_dummy_hash(), password)
            return False, None
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    rehash = hasher.hash(password) if hasher.check_needs_rehash(stored_hash) else None
    return True, rehash


def generate_password() -> str:
    """A random password to show once (24 letters and digits: about 143 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))

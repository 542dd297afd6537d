"""Secrets the server must use again (a webhook's signing secret) are kept encrypted with
the server key, never in clear: a copy of the database, a backup or a read-only SQL user
shows ciphertext only.

The key is the setting ``TRAILMARK_SECRET_KEY`` (replicas that share a database must share
it), or else ``secret.key`` in the data dir, created 0600 on first use. Encryption is
Fernet from the ``cryptography`` package: authenticated (AES-128-CBC with HMAC-SHA256), with
a random IV per secret and no parameters to get wrong. A hash could not do: the server signs
each delivery with the secret itself (HMAC), so it must get the secret back.

Example::

    box = SecretBox.from_key_file(data_dir / KEY_FILE_NAME)
    sealed = box.seal("whsec-0123456789abcdef")   # "gAAAAA..." (different every time)
    box.open(sealed)                               # "whsec-0123456789abcdef"
    fingerprint("whsec-0123456789abcdef")         # "5c0d71e4": shown instead of the secret
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trailmark.errors import InvalidInput, Unavailable
from trailmark.private_files import PRIVATE_FILE_MODE, make_private_dir

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

KEY_FILE_NAME = "secret.key"
MIN_KEY_LENGTH = 32
FINGERPRINT_LENGTH = 8
_KEY_PURPOSE = b"trailmark: secrets at rest, v1"


def fingerprint(secret: str) -> str:
    """The first hex digits of the secret's SHA-256: enough to tell which secret is set
    (``printf %s "$SECRET" | sha256sum | cut -c1-8``), too few to stand for it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def check_key_text(text: str, source: str = "TRAILMARK_SECRET_KEY") -> str:
    """A server key as written in the setting or the key file: at least 32 characters."""
    key = text.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise InvalidInput(
            f"{source} must have at least {MIN_KEY_LENGTH} characters (random ones: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key


def read_or_create_key_file(path: Path) -> str:
    """The key in ``path``, made (random, 0600) if there is none; safe when several
    processes start at once: the first file linked into place wins, whole."""
    if not path.exists():
        make_private_dir(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        try:
            os.write(fd, (secrets.token_urlsafe(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return check_key_text(path.read_text(encoding="utf-8"), str(path))


class SecretBox:
    """Seals and opens short secrets with the server key (read on first use)."""

    def __init__(self, key: Callable[[], str], where: str) -> None:
        self._key = key
        self.where = where
        """Where the key comes from, for messages (never the key)."""
        self._fernet: Fernet | None = None

    @classmethod
    def from_setting(cls, text: str) -> SecretBox:
        key = check_key_text(text)
        return cls(lambda: key, "TRAILMARK_SECRET_KEY")

    @classmethod
    def from_key_file(cls, path: Path) -> SecretBox:
        return cls(lambda: read_or_create_key_file(path), str(path))

    @classmethod
    def for_server(cls, setting: str | None, data_dir: Path) -> SecretBox:
        """The setting's key if it is set, else the key file in ``data_dir``."""
        if setting:
            return cls.from_setting(setting)
        return cls.from_key_file(data_dir / KEY_FILE_NAME)

    @classmethod
    def unconfigured(cls) -> SecretBox:
        """For a store opened without a data dir or a key: says how to give it one."""

        def missing() -> str:
            raise Unavailable(
                "this store has no key for secrets: set TRAILMARK_SECRET_KEY (or open the "
                "store with a data dir, where a key file is made)"
            )

        return cls(missing, "no key")

    @property
    def configured(self) -> bool:
        return self.where != "no key"

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            from cryptography.fernet import Fernet
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF

            derived = HKDF(hashes.SHA256(), 32, salt=None, info=_KEY_PURPOSE).derive(
                self._key().encode()
            )
            self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        return self._fernet

    def seal(self, secret: str) -> str:
        """``secret`` encrypted (ASCII, different at each call)."""
        return self._cipher().encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret ``sealed`` holds; :class:`Unavailable` if this key did not seal it."""
        from cryptography.fernet import InvalidToken

        try:
            return self._cipher().decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise Unavailable(
                f"a stored secret cannot be read with the server key ({self.where}): the key "
                "changed since the secret was set. Set the secret again."
            ) from None

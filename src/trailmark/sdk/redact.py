"""Hiding secrets before anything leaves the training process: names that look secret, and
passwords inside URLs, become ``"[redacted]"``.

Used for captured environment variables, command lines and git remotes; :func:`redact`
works on any JSON-like value (a config, say).

Example::

    redact({"lr": 3e-4, "hf_token": "hf_abc", "db": "postgresql://me:pw@db/x"})
    # {"lr": 3e-4, "hf_token": "[redacted]", "db": "postgresql://me:[redacted]@db/x"}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, Final

REDACTED: Final = "[redacted]"

SECRET_NAME_PATTERNS: Final = (
    "TOKEN",
    "*_TOKEN",
    "*_TOKEN_*",
    "SECRET",
    "*SECRET*",
    "*_KEY",
    "APIKEY",
    "*_APIKEY",
    "*ACCESS_KEY*",
    "*PRIVATE_KEY*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*_PAT",
)
"""Shell-style patterns matched against a name upper-cased, with ``-``, ``.`` and spaces read as ``_``."""

# scheme://user:password@host — the password is whatever lies between the first ':' after
# the scheme and the last '@' before the host part.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<pw>[^\s/@]*)@")
_URL_USERINFO = re.compile(
    r"(?P<head>(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)(?P<user>[^/\s@:]*)(?::[^/\s@]*)?@"
)
_NAME_SEPARATORS = re.compile(r"[\-. ]")

NOT_SECRET_NAME_PATTERNS: Final = (
    "PAD_TOKEN*",
    "EOS_TOKEN*",
    "BOS_TOKEN*",
    "UNK_TOKEN*",
    "SEP_TOKEN*",
    "CLS_TOKEN*",
    "MASK_TOKEN*",
    "*_TOKEN_ID",
    "*_TOKEN_IDS",
    "*_TOKEN_TYPE*",
)
"""Names that match a secret pattern but are everyday ML settings (a tokenizer's special
tokens and their ids), so configs of language models keep them."""


def is_secret_name(name: str) -> bool:
    """Whether a variable, option or config key of this name probably holds a secret."""
    normal = _NAME_SEPARATORS.sub("_", name.strip().lstrip("-")).upper()
    if any(fnmatchcase(normal, pattern) for pattern in NOT_SECRET_NAME_PATTERNS):
        return False
    return any(fnmatchcase(normal, pattern) for pattern in SECRET_NAME_PATTERNS)


def redact_url_passwords(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` replaced."""
    if "://" not in text or "@" not in text:
        return text
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}@", text)


def strip_url_credentials(url: str) -> str:
    """A URL without its user and password (``https://tok@github.com/x`` → ``https://github.com/x``).

    An ssh user (``ssh://git@host/x``, ``git@github.com:org/repo.git``) is not a secret and stays.
    """

    def keep_ssh_user(m: re.Match[str]) -> str:
        if "ssh" in m.group("scheme").lower() and m.group("user"):
            return f"{m.group('head')}{m.group('user')}@"
        return m.group("head")

    return _URL_USERINFO.sub(keep_ssh_user, url)


def redact(value: Any, name: str | None = None) -> Any:
    """A copy of ``value`` with secrets replaced, recursively through dicts and lists.

    A string or bytes value whose ``name`` (its dict key) looks secret is replaced whole
    (numbers and flags are never secrets: ``num_keys: 4`` stays); strings anywhere have URL
    passwords replaced.
    """
    secret_kind = isinstance(value, str | bytes | Mapping | list | tuple)
    if name is not None and secret_kind and value not in ("", b"") and is_secret_name(name):
        return REDACTED
    if isinstance(value, str):
        return redact_url_passwords(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_environ(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The variables ``names`` of ``environ`` that are set, with secrets replaced."""
    return {n: redact(environ[n], n) for n in sorted(set(names)) if n in environ}


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with the values of secret-looking options replaced.

    Handles ``--api-key=VALUE``, ``--password VALUE`` and URL passwords in any argument.
    """
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        if arg.startswith("-") and "=" in arg:
            option, _, value = arg.partition("=")
            if is_secret_name(option) and value:
                out.append(f"{option}={REDACTED}")
                continue
        elif arg.startswith("-") and is_secret_name(arg):
            hide_next = True
        out.append(redact_url_passwords(arg))
    return out

"""Hiding secrets wherever a value arrives: names that look secret, and values that are
secrets whatever their name (provider keys, private keys, passwords and tokens in URLs),
become ``"[redacted]"``.

Used by the SDK before anything leaves the training process (config, captured environment
variables, command lines, git remotes), and by the server where a value arrives without
the SDK (configs through the native API and ingest, MLflow params and tags), so both edges
hide the same things. :func:`redact` works on any JSON-like value (a config, say).

Example::

    redact({"lr": 3e-4, "hf_token": "hf_abc", "db": "postgresql://me:pw@db/x"})
    # {"lr": 3e-4, "hf_token": "[redacted]", "db": "postgresql://me:[redacted]@db/x"}
    redact({"note": "key sk-proj-0123456789abcdefghijKLMN"})
    # {"note": "key [redacted]"}
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, Final

REDACTED: Final = "[redacted]"

SECRET_KEY_WORDS: Final = (
    "API",
    "AUTH",
    "ACCOUNT",
    "ADMIN",
    "CLIENT",
    "DEPLOY",
    "ENCRYPTION",
    "HMAC",
    "INGEST",
    "INGESTION",
    "LICENSE",
    "MASTER",
    "SERVICE",
    "SESSION",
    "SIGNING",
    "SSH",
    "STORAGE",
    "SUBSCRIPTION",
    "WEBHOOK",
    "WRITE",
    # providers whose keys people name after them (``openai_key``)
    "ANTHROPIC",
    "COHERE",
    "COMET",
    "GEMINI",
    "GOOGLE",
    "GROQ",
    "HF",
    "HUGGINGFACE",
    "MISTRAL",
    "NEPTUNE",
    "OPENAI",
    "STRIPE",
    "WANDB",
)
"""What makes a ``..._KEY`` name a secret: ``API_KEY``, ``openai_key``, ``ssh-key``. A key
is otherwise an ordinary word in ML and data code (``sort_key``, ``primary_key``, a tag
named ``another key``), so ``*_KEY`` alone is not a secret name; ``*SECRET*``,
``*ACCESS_KEY*`` and ``*PRIVATE_KEY*`` catch the rest."""

SECRET_NAME_PATTERNS: Final = (
    "TOKEN",
    "*_TOKEN",
    "*_TOKEN_*",
    "SECRET",
    "*SECRET*",
    *(pattern for word in SECRET_KEY_WORDS for pattern in (f"{word}_KEY", f"*_{word}_KEY")),
    "APIKEY",
    "*_APIKEY",
    "*ACCESS_KEY*",
    "*PRIVATE_KEY*",
    "*PASSWORD*",
    "*PASSWD*",
    "*PASSPHRASE*",
    "PASS",
    "*_PASS",
    "PWD",
    "*_PWD",
    "AUTH",
    "*_AUTH",
    "*AUTHORIZATION*",
    "*COOKIE*",
    "*CREDENTIAL*",
    "*_PAT",
)
"""Shell-style patterns matched against a name upper-cased, with ``-``, ``.`` and spaces read as ``_``."""

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

NOT_SECRET_ENVIRONMENT: Final = frozenset({"PWD", "OLDPWD"})
"""Variables whose names look secret but that the shell sets to a directory."""

_NAME_SEPARATORS = re.compile(r"[\-. ]")

# scheme://user:password@host — the password is whatever lies between the first ':' after
# the scheme and the last '@' before the host part.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<pw>[^\s/@]*)@")
_URL_USERINFO = re.compile(
    r"(?P<head>(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)(?P<user>[^/\s@:]*)(?::[^/\s@]*)?@"
)

QUERY_SECRET_NAMES: Final = frozenset(
    {
        "sig",
        "signature",
        "code",
        "key",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
    }
)
"""URL query parameters that carry a secret although their name does not say so (Azure SAS
``sig``, presigned S3 and GCS URLs, OAuth codes, Google's ``key``); besides these, any
parameter whose name :func:`is_secret_name` (``token``, ``access_token``, ``password``)."""

_QUERY_PARAMETER = re.compile(
    r"(?P<head>[?&;](?P<name>[A-Za-z0-9_.\-]{1,64})=)(?P<value>[^&#\s\"'<>]+)"
)

_RANDOM = r"(?=[A-Za-z0-9_\-]*[A-Z])(?=[A-Za-z0-9_\-]*[a-z])"
"""Lookaheads: the characters ahead hold both cases, as random keys do (``sk-learn-wrapper``
and ``hf_transformers_cache_dir`` are not keys)."""

# Values that are secrets under any name. Each alternative matches the secret itself; what
# surrounds it (a sentence, a header name, a URL's host) stays.
_SECRET_VALUE_PATTERNS: Final = (
    # PEM private keys, to their END line (or to the end of a truncated text)
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*)",
    # provider keys, by their documented prefixes
    rf"(?<![A-Za-z0-9_\-])sk-{_RANDOM}[A-Za-z0-9_\-]{{20,}}",  # OpenAI, Anthropic
    r"(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
    r"(?<![A-Za-z0-9_])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}",  # GitHub tokens
    r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{30,}",
    r"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_\-]{20,}",  # GitLab
    r"(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack
    r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",  # AWS access key ids
    rf"(?<![A-Za-z0-9_])hf_{_RANDOM}[A-Za-z0-9]{{30,}}",  # Hugging Face
    r"(?<![A-Za-z0-9_])AIza[A-Za-z0-9_\-]{35}",  # Google API keys
    r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}",
    r"(?<![A-Za-z0-9_])pypi-[A-Za-z0-9_\-]{50,}",
    r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
    # webhook URLs whose path is the credential
    r"(?<=hooks\.slack\.com/services/)[A-Za-z0-9/_\-]+",
    r"(?<=hooks\.slack\.com/workflows/)[A-Za-z0-9/_\-]+",
    r"(?<=discord\.com/api/webhooks/)[A-Za-z0-9/_\-]+",
    r"(?<=discordapp\.com/api/webhooks/)[A-Za-z0-9/_\-]+",
    # HTTP credentials as written in headers and curl commands
    r"(?i:(?<=\bbearer ))[A-Za-z0-9._~+/=\-]{12,}",
    r"(?i:(?<=authorization: )|(?<=cookie: )|(?<=x-api-key: )"
    r"|(?<=authorization:)(?! )|(?<=cookie:)(?! )|(?<=x-api-key:)(?! ))[^\r\n]+",
)
_SECRET_VALUE_HINTS: Final = (
    "-----BEGIN",
    "sk-",
    "sk_",
    "rk_",
    "pk_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "AKIA",
    "ASIA",
    "hf_",
    "AIza",
    "npm_",
    "pypi-",
    "eyJ",
    "hooks.slack.com/",
    "discord.com/api/webhooks/",
    "discordapp.com/api/webhooks/",
)
_SECRET_VALUE_HINTS_ANY_CASE: Final = ("bearer ", "authorization:", "cookie:", "x-api-key:")
"""What a text holds if one of the patterns can match it: most texts hold none, and are spared
the patterns (and ``import trailmark`` their compilation)."""


@cache
def _secret_value() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _SECRET_VALUE_PATTERNS), re.DOTALL)


def _may_hold_secret_value(text: str) -> bool:
    if any(hint in text for hint in _SECRET_VALUE_HINTS):
        return True
    folded = text.lower()
    return any(hint in folded for hint in _SECRET_VALUE_HINTS_ANY_CASE)


_PROGRAMS_WITH_PASSWORD_FLAGS: Final = {
    "mysql": ("-p",),
    "mysqldump": ("-p",),
    "mysqladmin": ("-p",),
    "mariadb": ("-p",),
    "mariadb-dump": ("-p",),
    "sshpass": ("-p",),
    "redis-cli": ("-a",),
}
"""Short options that are passwords for these programs (``mysql -u root -p secret``)."""

_USER_OPTIONS: Final = ("-u", "--user", "--username")
"""After one of these, ``-p`` means a password (it means a port in most other programs)."""


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


def redact_query_secrets(text: str) -> str:
    """``text`` with the values of secret query parameters (``?token=``, ``&sig=``) replaced."""
    if "=" not in text:
        return text

    def hide(m: re.Match[str]) -> str:
        name = m.group("name")
        if name.lower() in QUERY_SECRET_NAMES or is_secret_name(name):
            return f"{m.group('head')}{REDACTED}"
        return m.group(0)

    return _QUERY_PARAMETER.sub(hide, text)


def redact_text(text: str) -> str:
    """``text`` with every secret it holds replaced: URL passwords and secret query
    parameters, provider keys, private keys, bearer tokens, credentials of webhook URLs."""
    out = _secret_value().sub(REDACTED, text) if _may_hold_secret_value(text) else text
    out = redact_url_passwords(out)
    return redact_query_secrets(out) if ("?" in out or "&" in out) else out


def strip_url_credentials(url: str) -> str:
    """A URL without its user and password (``https://tok@github.com/x`` → ``https://github.com/x``).

    An ssh user (``ssh://git@host/x``, ``git@github.com:org/repo.git``) is not a secret and stays.
    """

    def keep_ssh_user(m: re.Match[str]) -> str:
        if "ssh" in m.group("scheme").lower() and m.group("user"):
            return f"{m.group('head')}{m.group('user')}@"
        return m.group("head")

    return _URL_USERINFO.sub(keep_ssh_user, url)


def display_url(url: str) -> str:
    """A URL fit to print or log: its password and secret query parameters replaced
    (``postgresql://tm:[redacted]@db/tm``). The startup line and messages use it."""
    return redact_query_secrets(redact_url_passwords(url))


def redact(value: Any, name: str | None = None) -> Any:
    """A copy of ``value`` with secrets replaced, recursively through dicts and lists.

    A string or bytes value whose ``name`` (its dict key) looks secret is replaced whole
    (numbers and flags are never secrets: ``num_keys: 4`` stays); strings anywhere have the
    secrets :func:`redact_text` finds replaced.
    """
    secret_kind = isinstance(value, str | bytes | Mapping | list | tuple)
    if name is not None and secret_kind and value not in ("", b"") and is_secret_name(name):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_entries(entries: Mapping[str, str]) -> dict[str, str]:
    """Key-value text pairs (MLflow params and tags) with secrets replaced."""
    return {key: redact(value, key) for key, value in entries.items()}


def redact_environ(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The variables ``names`` of ``environ`` that are set, with secrets replaced."""
    return {
        n: redact_text(environ[n]) if n in NOT_SECRET_ENVIRONMENT else redact(environ[n], n)
        for n in sorted(set(names))
        if n in environ
    }


def _password_flags(argv: Sequence[str]) -> set[str]:
    """Short options that hold a password on this command line (see
    :data:`_PROGRAMS_WITH_PASSWORD_FLAGS` and :data:`_USER_OPTIONS`)."""
    flags: set[str] = set()
    for arg in argv:
        flags.update(_PROGRAMS_WITH_PASSWORD_FLAGS.get(os.path.basename(arg), ()))
    if any(arg in _USER_OPTIONS or arg.startswith(("--user=", "--username=")) for arg in argv):
        flags.add("-p")
    return flags


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with the values of secret-looking options replaced.

    Handles ``--api-key=VALUE``, ``--password VALUE``, ``-p VALUE`` and ``-pVALUE`` where
    ``-p`` is a password (after ``-u USER``, or for ``mysql`` and the like), Hydra-style
    overrides (``db.password=VALUE``), and secrets inside any argument (URL passwords,
    provider keys, tokens in URLs).
    """
    password_flags = _password_flags(argv)
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next and not arg.startswith("-"):
            out.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        if arg in password_flags:
            hide_next = True
        elif arg[:2] in password_flags and len(arg) > 2 and not arg.startswith("--"):
            out.append(f"{arg[:2]}{REDACTED}")
            continue
        elif arg.startswith("-") and "=" in arg:
            option, _, value = arg.partition("=")
            if is_secret_name(option) and value:
                out.append(f"{option}={REDACTED}")
                continue
        elif arg.startswith("-") and is_secret_name(arg):
            hide_next = True
        elif "=" in arg:  # a Hydra-style override: db.password=VALUE, +api_key=VALUE
            name, _, value = arg.partition("=")
            if value and is_secret_name(name.lstrip("+~")):
                out.append(f"{name}={REDACTED}")
                continue
        out.append(redact_text(arg))
    return out

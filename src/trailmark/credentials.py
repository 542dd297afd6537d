"""Where the SDK and the CLI keep the API keys that ``trailmark login`` got, one per server.

The file is ``$TRAILMARK_CONFIG_DIR/credentials.json`` (default
``~/.config/trailmark/credentials.json``): 0600, in a folder made 0700, written whole through a
temporary file so that a crash never leaves half a key, and keyed by the server's URL as
:func:`server_key` normalises it (``HTTP://Tracker:80/`` and ``http://tracker`` are one
server). ``TRAILMARK_API_KEY`` wins over the file: a CI job or a training cluster sets it
and never writes a file.

The key is the only secret here; it is never printed or logged, and the file holds
nothing that would let anyone derive another.

Example::

    save("http://tracker:5100", StoredKey(key="tmk_...", user="alice", key_id=3))
    auth = auth_for("http://tracker:5100")   # {"Authorization": "Bearer tmk_..."} or None
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from trailmark.client import Auth, ErrorMapper, HttpError, trailmark_error
from trailmark.errors import Unauthorized
from trailmark.private_files import PRIVATE_FILE_MODE, make_private_dir

API_KEY_ENV = "TRAILMARK_API_KEY"
CONFIG_DIR_ENV = "TRAILMARK_CONFIG_DIR"
FILE_NAME = "credentials.json"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class StoredKey:
    """What the file keeps for one server: the key, and what ``trailmark logout`` needs to
    revoke it there (its id) and to say whose it is."""

    key: str
    user: str | None = None
    key_id: int | None = None
    name: str | None = None


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$TRAILMARK_CONFIG_DIR``, else ``~/.config/trailmark``."""
    env = os.environ if environ is None else environ
    return Path(env.get(CONFIG_DIR_ENV) or "~/.config/trailmark").expanduser()


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    return config_dir(environ) / FILE_NAME


def server_key(url: str) -> str:
    """The server's URL as the file keys it: lower-case scheme and host, no default port,
    no trailing slash, no query (``HTTP://Tracker:80/tm/`` -> ``http://tracker/tm``)."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _read_all(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, orjson.JSONDecodeError) as exc:
        raise OSError(f"cannot read the credentials file {path}: {exc}") from None
    servers = data.get("servers") if isinstance(data, dict) else None
    return dict(servers) if isinstance(servers, dict) else {}


def _write_all(path: Path, servers: dict[str, Any]) -> None:
    """Replace the file whole: a private temporary file beside it, then a rename."""
    # Folders it makes are 0700; one that exists keeps its mode (TRAILMARK_CONFIG_DIR may
    # name a shared folder): the file itself is 0600 from its first byte.
    make_private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=".credentials.", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps({"servers": servers}, option=orjson.OPT_INDENT_2))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load(url: str, environ: Mapping[str, str] | None = None) -> StoredKey | None:
    """The key stored for the server at ``url`` (``None``: none, or the file is absent)."""
    entry = _read_all(credentials_path(environ)).get(server_key(url))
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return None
    user, key_id, name = entry.get("user"), entry.get("key_id"), entry.get("name")
    return StoredKey(
        key=entry["key"],
        user=user if isinstance(user, str) else None,
        key_id=key_id if isinstance(key_id, int) else None,
        name=name if isinstance(name, str) else None,
    )


def save(url: str, stored: StoredKey, environ: Mapping[str, str] | None = None) -> Path:
    """Keep ``stored`` for the server at ``url`` (replacing its earlier key); the file's path."""
    path = credentials_path(environ)
    servers = _read_all(path)
    servers[server_key(url)] = {k: v for k, v in asdict(stored).items() if v is not None}
    _write_all(path, servers)
    return path


def remove(url: str, environ: Mapping[str, str] | None = None) -> StoredKey | None:
    """Forget the key of the server at ``url``; the key that was stored, if any."""
    path = credentials_path(environ)
    servers = _read_all(path)
    found = load(url, environ)
    if servers.pop(server_key(url), None) is not None:
        _write_all(path, servers)
    return found


def api_key_for(
    url: str, api_key: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The key to send to ``url``: ``api_key`` (a setting the caller read), else
    ``$TRAILMARK_API_KEY``, else the one ``trailmark login`` stored for that server, else
    ``None`` (a server without accounts needs none).

    A credentials file that cannot be read counts as no key: the request then fails with
    the server's 401, which says how to sign in, rather than a run failing to start."""
    if api_key:
        return api_key
    env = os.environ if environ is None else environ
    if env.get(API_KEY_ENV, "").strip():
        return env[API_KEY_ENV].strip()
    try:
        stored = load(url, env)
    except OSError:
        return None
    return stored.key if stored is not None else None


def bearer(key: str) -> Auth:
    """The client's credentials hook for ``key``."""
    headers = {"Authorization": f"Bearer {key}"}
    return lambda: headers


def auth_for(
    url: str, api_key: str | None = None, environ: Mapping[str, str] | None = None
) -> Auth | None:
    """The credentials hook of a client of ``url`` (``None``: send none); see
    :func:`api_key_for`."""
    key = api_key_for(url, api_key, environ)
    return bearer(key) if key else None


SIGN_IN_HINT = (
    "sign in with `trailmark login <server URL>` (or set TRAILMARK_API_KEY to an API key)"
)
"""What to do about a 401, in every message that reports one."""


def sign_in_errors(url: str) -> ErrorMapper:
    """The client's error mapper (Trailmark's typed errors) with a 401 that says how to
    sign in to ``url``."""

    def mapped(error: HttpError) -> Exception:
        if error.status == 401:
            return Unauthorized(
                f"{url} refused the request ({error.message}): sign in with "
                f"`trailmark login {url}` (or set TRAILMARK_API_KEY to an API key)"
            )
        return trailmark_error(error)

    return mapped

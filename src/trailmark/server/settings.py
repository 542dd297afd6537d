"""Server settings: declared once in :data:`SERVER_SETTINGS`, read once from the command line
(and environment) at the edge; the dataclass's defaults and the options of ``trailmark
server`` and ``trailmark ui`` come from the declaration."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.settings import Setting, default

SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "host",
        "TRAILMARK_HOST",
        "127.0.0.1",
        "Address to listen on. Anything but loopback needs accounts (`trailmark users create NAME --admin` makes the first) or --insecure-allow-remote.",
    ),
    Setting("port", "TRAILMARK_PORT", "5100", "Port to listen on.", int),
    Setting(
        "db",
        "TRAILMARK_DB",
        "",
        "Database URL: postgresql://user@host/db, or sqlite:///path. Unset: SQLite in the data dir.",
        field="db_url",
    ),
    Setting(
        "data_dir", "TRAILMARK_DIR", "~/.trailmark", "Data dir for the SQLite database and files."
    ),
    Setting(
        "blobs",
        "TRAILMARK_BLOBS",
        "",
        "Where file contents go: s3://bucket/prefix (endpoint and credentials from the usual AWS settings, e.g. AWS_ENDPOINT_URL) or a folder. Unset: the blobs folder in the data dir.",
    ),
    Setting(
        "webhooks_allow_private",
        "TRAILMARK_WEBHOOKS_ALLOW_PRIVATE",
        "false",
        "Let webhooks reach loopback, private and link-local addresses (only on a trusted network).",
        bool,
    ),
    Setting(
        "insecure_allow_remote",
        "TRAILMARK_INSECURE_ALLOW_REMOTE",
        "false",
        "Allow a non-loopback bind without authentication.",
        bool,
    ),
    Setting(
        "max_artifact_bytes",
        "TRAILMARK_MAX_ARTIFACT_BYTES",
        str(5 * 1024**3),
        "Largest file an MLflow client may upload in one PUT (MLflow uploads each artifact whole, model weights included); larger uploads are refused with 413. Other bodies: 64 MiB (JSON, ingest batches), 32 MiB (native file PUTs and upload chunks).",
        int,
    ),
    Setting(
        "secret_key",
        "TRAILMARK_SECRET_KEY",
        "",
        "Key that encrypts the secrets the server keeps (webhook signing secrets): at least 32 random characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`. Every replica on one database needs the same; set it in the environment rather than on the command line. Unset: the file secret.key in the data dir, made (0600) on first use.",
    ),
    Setting(
        "access_log",
        "TRAILMARK_ACCESS_LOG",
        "true",
        "Log each request as one JSON line on stderr (method, path, query with secrets redacted, status, ms, bytes, client, user). `--no-access-log` or false turns it off.",
        bool,
    ),
    Setting(
        "allowed_host",
        "TRAILMARK_ALLOWED_HOSTS",
        "",
        "Host names the server answers to besides localhost, 127.0.0.1, [::1] and the bound address (protection against DNS rebinding), e.g. the name a reverse proxy forwards. Repeat the option, or separate names with commas or spaces; `*.example.com` for subdomains, `*` for any. Unset on a non-loopback bind: any.",
        multiple=True,
        field="allowed_hosts",
    ),
    Setting(
        "oidc_issuer",
        "TRAILMARK_OIDC_ISSUER",
        "",
        "Single sign-on: the OpenID Connect provider's issuer URL (https, or http on loopback), e.g. https://keycloak.example.com/realms/ml; its /.well-known/openid-configuration is read on first use. Needs `pip install 'trailmark[sso]'` and --oidc-client-id. See docs/sso.md.",
    ),
    Setting(
        "oidc_client_id",
        "TRAILMARK_OIDC_CLIENT_ID",
        "",
        "Single sign-on: the client id registered with the provider for this server (ID tokens must name it as their audience).",
    ),
    Setting(
        "oidc_client_secret",
        "TRAILMARK_OIDC_CLIENT_SECRET",
        "",
        "Single sign-on: the client secret of --oidc-client-id; set it in the environment rather than on the command line (it is never printed). Unset: a public client (PKCE only).",
    ),
    Setting(
        "oidc_teams_claim",
        "TRAILMARK_OIDC_TEAMS_CLAIM",
        "",
        "Single sign-on: an ID-token claim (e.g. groups) listing team names; at each sign-in the user is made a member of every existing team it names and removed from the others. Unset: teams are managed in Trailmark only.",
    ),
    Setting(
        "oidc_label",
        "TRAILMARK_OIDC_LABEL",
        "SSO",
        "Single sign-on: the provider's name on the dashboard's sign-in button ('Sign in with LABEL'), e.g. Okta.",
    ),
    Setting(
        "sso_only",
        "TRAILMARK_SSO_ONLY",
        "false",
        "Single sign-on only: password sign-in is refused (API keys still work). Needs --oidc-issuer.",
        bool,
    ),
    Setting(
        "public_url",
        "TRAILMARK_PUBLIC_URL",
        "",
        "The URL users reach the server at (e.g. https://trailmark.example.com behind a proxy): the SSO redirect URI is this plus /api/v1/auth/oidc/callback. Unset: taken from each request.",
    ),
)


def _default(name: str) -> Any:
    return default(SERVER_SETTINGS, name)


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path
    db_url: str | None = _default("db")
    host: str = _default("host")
    port: int = _default("port")
    insecure_allow_remote: bool = _default("insecure_allow_remote")
    blobs: str | None = _default("blobs")
    secret_key: str | None = _default("secret_key")
    """Encrypts stored secrets (see trailmark.store.secret_box); None: the data dir's key file."""
    webhooks_allow_private: bool = _default("webhooks_allow_private")
    max_artifact_bytes: int = _default("max_artifact_bytes")
    access_log: bool = _default("access_log")
    allowed_hosts: tuple[str, ...] = _default("allowed_host")
    """Host names answered besides loopback names and the bound host (see server.hosts)."""
    oidc_issuer: str | None = _default("oidc_issuer")
    """Single sign-on (see trailmark.server.access.oidc); None: off."""
    oidc_client_id: str | None = _default("oidc_client_id")
    oidc_client_secret: str | None = field(default=_default("oidc_client_secret"), repr=False)
    oidc_teams_claim: str | None = _default("oidc_teams_claim")
    oidc_label: str = _default("oidc_label")
    sso_only: bool = _default("sso_only")
    public_url: str | None = _default("public_url")
    dedicated_process: bool = False
    """The process serves only this app (``trailmark server``): it may tune the garbage
    collector for it (see trailmark.collector). Off for an app embedded in another process."""

    def check_bind(self, accounts: bool | None = None) -> None:
        """Refuse to expose a server without accounts beyond this machine unless told to.

        ``accounts``: whether the database holds a user (``None``: look). With accounts,
        every request is authenticated and authorized, so any address is fine."""
        if is_loopback(self.host) or self.insecure_allow_remote:
            return
        if accounts is None:
            accounts = self.accounts_configured()
        if accounts:
            return
        raise InvalidInput(
            f"refusing to listen on {self.host}: the server has no accounts, "
            "so anyone who can reach it could read and change your runs. Create the first "
            "admin with `trailmark users create NAME --admin` (then every request must sign "
            "in), bind to 127.0.0.1, or pass --insecure-allow-remote if the network is trusted."
        )

    def accounts_configured(self) -> bool:
        """Whether the database holds at least one user (opened, and migrated, as the server
        is about to do)."""
        from trailmark.store.store import Store

        store = Store.open(self.db_url, self.data_dir)
        try:
            return store.accounts.users.any()
        finally:
            store.close()


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""Posting a signed webhook payload, safely: no private targets, no redirects.

- The host is resolved and **every** address checked: loopback, private, link-local,
  multicast, reserved and other non-global addresses are refused, and so is an IPv6
  address that wraps such an IPv4 address (mapped, 6to4, Teredo, NAT64: :func:`is_public`)
  unless the server runs with ``--webhooks-allow-private``. The refusal does not name the
  address.
- The connection goes to the address that was checked (so a DNS answer that changes
  between the check and the connection cannot redirect it), with the URL's host name for
  the ``Host`` header and TLS verification.
- Redirects are not followed: a 3xx answer is a failed delivery.
- The body is signed: ``X-Trailmark-Signature: sha256=HEX(HMAC-SHA256(secret, body))``.

To verify on the receiving side::

    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Trailmark-Signature"])
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any

from trailmark._version import __version__
from trailmark.errors import InvalidInput

SIGNATURE_HEADER = "X-Trailmark-Signature"
MAX_RESPONSE_READ = 64 * 1024


class WebhookRefused(InvalidInput):
    """The webhook's target may not be reached from this server."""

    code = "webhook_refused"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64_PREFIXES = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("64:ff9b::/96"))
"""IPv6 prefixes whose last 32 bits are an IPv4 address (IPv4-compatible; NAT64, RFC 6052)."""

_NOT_GLOBAL = (ipaddress.IPv6Network("64:ff9b:1::/48"),)
"""Ranges the IANA registry marks not globally reachable that this Python's ``is_global``
misses (local-use NAT64, RFC 8215: its IPv4 may sit anywhere in the address)."""


def embedded_ipv4(ip: Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries: mapped, 6to4, Teredo (server and
    client), IPv4-compatible and NAT64. A network that translates these forms would
    connect to the IPv4 address, so that is what must be judged."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in prefix for prefix in _NAT64_PREFIXES):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF))
    return [v4 for v4 in found if v4 is not None]


def is_public(ip: Address) -> bool:
    """The one rule for webhook targets: a globally reachable unicast address, and, if it
    wraps IPv4 addresses, every one of those public by the same rule."""
    if any(ip in network for network in _NOT_GLOBAL):
        return False
    inner = embedded_ipv4(ip)
    if inner:
        return all(is_public(v4) for v4 in inner)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_target(url: str, allow_private: bool) -> tuple[str, int, list[str]]:
    """(host, port, addresses) of a webhook URL, refusing private targets unless allowed."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookRefused(f"webhook URL {url[:100]!r} must be http(s)://host/...")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(f"cannot resolve the webhook host {host!r}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private and not all(
        is_public(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses
    ):
        # The address is not named: the caller must not learn what internal names resolve to.
        raise WebhookRefused(
            f"webhook host {host!r} resolves to a non-public address; webhooks may only "
            "reach public addresses (start the server with --webhooks-allow-private "
            "to allow this on a trusted network)"
        )
    return host, port, addresses


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    error: str | None
    retry: bool


def post(
    url: str,
    body: bytes,
    secret: str,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float = 10.0,
) -> Attempt:
    """POST ``body`` signed with ``secret`` to ``url``; never follows redirects."""
    try:
        host, port, addresses = resolve_target(url, allow_private)
    except WebhookRefused as exc:
        return Attempt(False, None, exc.message, retry=False)
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    pinned = addresses[0]

    def connect_to_checked_address(
        _address: Any, timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return socket.create_connection((pinned, port), timeout, source_address)

    conn._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Trailmark-Webhooks/{__version__}",
        SIGNATURE_HEADER: sign(secret, body),
        **headers,
    }
    try:
        conn.request("POST", path, body=body, headers=all_headers)
        response = conn.getresponse()
        response.read(MAX_RESPONSE_READ)
        status = response.status
        location = response.getheader("Location")
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(False, None, f"{type(exc).__name__}: {exc}", retry=True)
    finally:
        conn.close()
    if 200 <= status < 300:
        return Attempt(True, status, None, retry=False)
    if 300 <= status < 400:
        return Attempt(False, status, f"redirect to {location!r} not followed", retry=False)
    retry = status in (408, 425, 429) or status >= 500
    return Attempt(False, status, f"the receiver answered {status}", retry=retry)

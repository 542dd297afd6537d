"""Webhook targets: an IPv6 address that wraps a loopback or private IPv4 is refused like the
IPv4 itself, and a refusal never says what a name resolves to (issue 16, item 8)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.server.webhook_http import WebhookRefused, resolve_target

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address


def mapped(v4: V4) -> V6:
    return V6(f"::ffff:{v4}")


def compatible(v4: V4) -> V6:
    return V6(int(v4))


def six_to_four(v4: V4) -> V6:
    return V6((0x2002 << 112) | (int(v4) << 80) | 1)


def teredo_server(v4: V4) -> V6:
    return V6((0x20010000 << 96) | (int(v4) << 64) | (0xFFFF_FFFF ^ int(V4("8.8.8.8"))))


def teredo_client(v4: V4) -> V6:
    return V6((0x20010000 << 96) | (int(V4("8.8.8.8")) << 64) | (0xFFFF_FFFF ^ int(v4)))


def nat64(v4: V4) -> V6:
    return V6(int(V6("64:ff9b::")) | int(v4))


def nat64_local(v4: V4) -> V6:
    return V6(int(V6("64:ff9b:1::")) | int(v4))


WRAPPINGS: list[Callable[[V4], V6]] = [
    mapped,
    compatible,
    six_to_four,
    teredo_server,
    teredo_client,
    nat64,
    nat64_local,
]

INTERNAL_V4 = ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254", "0.0.0.0"]


def url_of(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"http://{host}:8080/hook"


@pytest.mark.parametrize("wrap", WRAPPINGS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("inner", INTERNAL_V4)
def test_an_ipv6_form_of_an_internal_ipv4_is_refused(wrap: Callable[[V4], V6], inner: str) -> None:
    with pytest.raises(WebhookRefused, match="non-public address"):
        resolve_target(url_of(wrap(V4(inner))), allow_private=False)


@given(st.ip_addresses(v=4).filter(lambda ip: not ip.is_global), st.sampled_from(WRAPPINGS))
def test_no_wrapping_of_a_non_global_ipv4_gets_through(inner: V4, wrap: Callable[[V4], V6]) -> None:
    with pytest.raises(WebhookRefused):
        resolve_target(url_of(wrap(inner)), allow_private=False)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::8.8.8.8"],
)
def test_public_addresses_are_accepted(address: str) -> None:
    _host, port, addresses = resolve_target(url_of(ipaddress.ip_address(address)), False)
    assert port == 8080 and addresses


def test_the_refusal_does_not_say_what_a_name_resolves_to() -> None:
    with pytest.raises(WebhookRefused) as refused:
        resolve_target("http://localhost:9/hook", allow_private=False)
    message = refused.value.message
    assert "localhost" in message and "non-public address" in message
    assert "127.0.0.1" not in message and "::1" not in message


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def test_registration_refuses_a_wrapped_loopback(client: TestClient) -> None:
    for wrap in WRAPPINGS:
        url = url_of(wrap(V4("127.0.0.1")))
        answer = client.post("/api/v1/webhooks", json={"url": url})
        assert answer.status_code == 400, (url, answer.text)
        assert answer.json()["error"]["code"] == "webhook_refused"
    answer = client.post("/api/v1/webhooks", json={"url": "http://localhost:9/"})
    assert answer.status_code == 400 and "127.0.0.1" not in answer.text
    assert client.get("/api/v1/webhooks").json()["webhooks"] == []

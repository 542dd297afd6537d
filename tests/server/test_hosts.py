"""The Host-header check (DNS-rebinding protection): names, ports and configured hosts."""

from __future__ import annotations

import pytest

from trailmark.server.hosts import allowed_host_names, host_name, parse_allowed_hosts


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:5100", "localhost"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]:5100", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("tracker.example.com.", "tracker.example.com"),
        (" evil.example:1 ", "evil.example"),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_allowed_hosts_parse_commas_spaces_ports_and_patterns() -> None:
    parsed = parse_allowed_hosts(["a.example, B.example:8443", "*.corp.example *", "a.example"])
    assert parsed == ("a.example", "b.example", "*.corp.example", "*")


def test_loopback_bind_answers_loopback_names_and_the_configured_ones() -> None:
    names = allowed_host_names("127.0.0.1", ["tracker.example.com"], is_loopback_bind=True)
    assert names is not None
    assert {"localhost", "127.0.0.1", "::1", "tracker.example.com"} <= names


def test_a_remote_bind_answers_any_host_unless_names_are_given() -> None:
    assert allowed_host_names("0.0.0.0", [], is_loopback_bind=False) is None
    assert allowed_host_names("127.0.0.1", ["*"], is_loopback_bind=True) is None
    names = allowed_host_names("10.0.0.5", ["tracker.example.com"], is_loopback_bind=False)
    assert names is not None and {"10.0.0.5", "tracker.example.com"} <= names

"""The one retry policy: idempotent requests tried again after no answer or 429/503, waiting
as ``Retry-After`` asks, a bounded number of times; everything else raised at once."""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.client.conftest import Answer, Drop, ScriptedServer
from tests.ports import free_port
from trailmark.client import NO_RETRY, Client, HttpError, Retry
from trailmark.client.errors import CUT_SHORT, UNREACHABLE, parse_retry_after
from trailmark.errors import InvalidInput, TooManyRequests, Unavailable

FAST = Retry(attempts=3, backoff=0.01, max_backoff=0.02)


def busy(status: int = 503, retry_after: str | None = None) -> Answer:
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    code = "unavailable" if status == 503 else "too_many_requests"
    body = b'{"error": {"code": "%s", "message": "busy"}}' % code.encode()
    return Answer(status, body, headers)


def test_503_with_retry_after_is_waited_for_then_retried(scripted: ScriptedServer) -> None:
    scripted.plan(busy(503, "0.3"))
    with Client(scripted.url, retry=FAST) as client:
        assert client.request_json("GET", "/a") == {"ok": True}
    first, second = scripted.seen
    assert second.at - first.at >= 0.3


def test_429_as_an_http_date_is_honoured(scripted: ScriptedServer) -> None:
    scripted.plan(busy(429, email.utils.formatdate(time.time() + 1.2, usegmt=True)))
    with Client(scripted.url, retry=FAST) as client:
        client.request_json("DELETE", "/a")
    first, second = scripted.seen
    assert second.at - first.at >= 0.15  # whole seconds in the header: up to 1.2 s, at least 0.2


def test_a_longer_retry_after_than_the_policy_allows_is_raised_at_once(
    scripted: ScriptedServer,
) -> None:
    scripted.plan(busy(429, "120"))
    with pytest.raises(TooManyRequests):
        Client(scripted.url, retry=FAST).request_json("GET", "/a")
    assert len(scripted.seen) == 1


def test_retries_are_bounded(scripted: ScriptedServer) -> None:
    scripted.plan(*[busy(503) for _ in range(10)])
    with pytest.raises(Unavailable, match="busy"):
        Client(scripted.url, retry=FAST).request_json("PUT", "/a", {"x": 1})
    assert len(scripted.seen) == 3


def test_the_backoff_doubles_up_to_its_limit() -> None:
    policy = Retry(attempts=10, backoff=1.0, max_backoff=4.0)
    lost = HttpError(0, UNREACHABLE, "refused")
    waits = [policy.wait(n, lost) for n in range(1, 6)]
    for wait, expected in zip(waits, [1.0, 2.0, 4.0, 4.0, 4.0], strict=True):
        assert wait is not None and 0.75 * expected <= wait <= 1.25 * expected
    assert policy.wait(10, lost) is None
    assert policy.wait(1, HttpError(0, CUT_SHORT, "half a download")) is None
    assert policy.wait(1, HttpError(500, "internal_error", "bug")) is None
    assert policy.wait(1, HttpError(400, "invalid_input", "bad")) is None


def test_a_post_is_not_retried_unless_it_says_it_is_idempotent(scripted: ScriptedServer) -> None:
    scripted.plan(busy(503), busy(503))
    client = Client(scripted.url, retry=FAST)
    with pytest.raises(Unavailable):
        client.request("POST", "/create", json={"name": "x"})
    assert len(scripted.seen) == 1
    answer = client.request("POST", "/search", json={"q": 1}, idempotent=True)
    assert answer.json() == {"ok": True}
    assert [s.path for s in scripted.seen] == ["/create", "/search", "/search"]


def test_other_errors_are_never_retried(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(400, b'{"error": {"code": "invalid_input", "message": "no"}}'))
    with pytest.raises(InvalidInput, match="no"):
        Client(scripted.url, retry=FAST).request_json("GET", "/a")
    assert len(scripted.seen) == 1


def test_no_retry_raises_the_first_failure(scripted: ScriptedServer) -> None:
    scripted.plan(busy(503, "0"))
    with pytest.raises(Unavailable):
        Client(scripted.url, retry=NO_RETRY).request_json("GET", "/a")
    assert len(scripted.seen) == 1


def test_a_dropped_connection_is_retried_on_a_new_one(scripted: ScriptedServer) -> None:
    scripted.plan(Drop())
    with Client(scripted.url, retry=FAST) as client:
        assert client.request_json("GET", "/a") == {"ok": True}
    assert len(scripted.seen) == 2 and scripted.connections() == 2


def test_a_closed_kept_alive_connection_is_reopened_once_even_without_retries(
    scripted: ScriptedServer,
) -> None:
    # The server closes the connection after answering, as one does to an idle connection:
    # the next request (a POST, with no retry policy) goes out again on a new connection.
    scripted.plan(Answer(close=True))
    with Client(scripted.url, retry=NO_RETRY) as client:
        client.request("POST", "/first", content=b"1")
        client.request("POST", "/second", content=b"2")
    assert [s.path for s in scripted.seen] == ["/first", "/second"]
    assert scripted.connections() == 2


def test_a_fresh_connection_dropped_is_not_resent_without_a_policy(
    scripted: ScriptedServer,
) -> None:
    scripted.plan(Drop())
    with pytest.raises(HttpError) as caught:
        Client(scripted.url, retry=NO_RETRY, errors=lambda e: e).request("POST", "/a")
    assert (caught.value.status, caught.value.code) == (0, UNREACHABLE)
    assert len(scripted.seen) == 1


def test_a_server_that_is_not_there_is_unavailable_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(Unavailable, match="cannot reach"):
        Client(url, retry=Retry(attempts=3, backoff=0.1)).request_json("GET", "/a")
    assert 0.2 <= time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("soon", None)],
)
def test_retry_after_values(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds

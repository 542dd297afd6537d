"""The webhook outbox: events queued with the change, leased to one worker, attempts logged."""

from __future__ import annotations

import time

import orjson
import pytest

from tests.store.artifact_helpers import files
from trailmark.errors import InvalidInput
from trailmark.store.store import Store


@pytest.fixture
def store(store: Store) -> Store:
    s = store
    s.artifacts.create_version("p", "clf", type="model", entries=files(s, w=b"w"))
    return s


def test_events_are_queued_for_matching_active_webhooks_only(store: Store) -> None:
    everything = store.webhooks.create("https://hooks.example.com/all")
    aliases = store.webhooks.create(
        "https://hooks.example.com/a", events=["alias_moved"], model="fraud"
    )
    other = store.webhooks.create("https://hooks.example.com/o", model="other-model")
    store.registry.create_version("fraud", "artifact:p/clf", user="ana")
    store.registry.set_alias("fraud", "champion", 1, user="bo")
    kinds = lambda hook: [d["event"] for d in store.webhooks.deliveries(hook["id"])[0]]  # noqa: E731
    assert kinds(everything) == ["alias_moved", "version_created", "model_created"]
    assert kinds(aliases) == ["alias_moved"]
    assert kinds(other) == []
    payload = store.webhooks.deliveries(aliases["id"])[0][0]["payload"]
    assert (payload["user"], payload["model"], payload["data"]["to"]) == ("bo", "fraud", 1)

    hook = store.webhooks.create("https://hooks.example.com/x", active=False)
    store.registry.create_version("fraud", "artifact:p/clf")  # v2: not for the inactive one
    assert store.webhooks.deliveries(hook["id"])[1] == 0
    with pytest.raises(InvalidInput, match="secret"):
        store.webhooks.create("https://hooks.example.com/x", secret="short")
    with pytest.raises(InvalidInput, match="cannot change"):
        store.webhooks.update(hook["id"], {"id": 3})
    assert store.webhooks.update(hook["id"], {"active": True})["active"] is True


def test_a_claimed_delivery_is_leased_and_attempts_are_logged(store: Store) -> None:
    hook = store.webhooks.create("https://hooks.example.com/x", secret="0123456789abcdef")
    store.webhooks.ping(hook["id"])
    [claimed] = store.webhooks.claim(lease=60)
    assert claimed.secret == "0123456789abcdef" and orjson.loads(claimed.body)["event"] == "ping"
    assert store.webhooks.claim() == []  # leased: another worker does not get it
    store.webhooks.record_attempt(
        claimed.id, ok=False, status=503, error="busy", retry_at=time.time() - 1, duration=0.1
    )
    [again] = store.webhooks.claim()
    store.webhooks.record_attempt(
        again.id, ok=True, status=200, error=None, retry_at=None, duration=0.1
    )
    [delivery] = store.webhooks.deliveries(hook["id"])[0]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
    assert [e["status"] for e in delivery["log"]] == [503, 200]
    assert store.webhooks.claim() == []

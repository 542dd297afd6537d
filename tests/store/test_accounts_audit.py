"""The audit log: appended, listed newest first with filters and pages, failed sign-ins
counted for rate limits; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from trailmark.errors import InvalidInput
from trailmark.store.accounts import AuditEntry
from trailmark.store.accounts.audit import AuditLog
from trailmark.store.store import Store

T = 1_800_000_000.0


@pytest.fixture
def audit(store: Store) -> AuditLog:
    log = store.accounts.audit
    entries = [
        AuditEntry(actor="alice", action="sign_in", client="10.0.0.1", at=T),
        AuditEntry(
            actor="bob",
            action="sign_in.failed",
            outcome="failed",
            status=401,
            client="10.0.0.2",
            at=T + 1,
        ),
        AuditEntry(
            actor="bob",
            action="sign_in.failed",
            outcome="failed",
            status=401,
            client="10.0.0.1",
            at=T + 2,
        ),
        AuditEntry(
            actor="alice",
            actor_id=1,
            action="grant.set",
            method="PUT",
            route="PUT /api/v1/projects/{project}/members/{principal}",
            resource="project:mnist",
            detail={"principal": "user:bob", "role": "editor"},
            at=T + 3,
        ),
        AuditEntry(actor="alice", action="key.create", resource=None, at=T + 4),
        AuditEntry(
            actor="anonymous",
            action="write",
            method="DELETE",
            outcome="denied",
            status=401,
            resource="project:mnist",
            at=T + 5,
        ),
    ]
    for entry in entries:
        log.record(entry)
    return log


def test_events_are_listed_newest_first_with_every_field(audit: AuditLog) -> None:
    page = audit.list()
    assert [e.action for e in page.events] == [
        "write",
        "key.create",
        "grant.set",
        "sign_in.failed",
        "sign_in.failed",
        "sign_in",
    ]
    assert page.next_page_token is None
    grant = page.events[2]
    assert (grant.actor, grant.actor_id, grant.method, grant.resource, grant.status) == (
        "alice",
        1,
        "PUT",
        "project:mnist",
        200,
    )
    assert grant.route == "PUT /api/v1/projects/{project}/members/{principal}"
    assert grant.detail == {"principal": "user:bob", "role": "editor"} and grant.at == T + 3


def test_filters(audit: AuditLog) -> None:
    def actions(**filters: object) -> list[str]:
        return [e.action for e in audit.list(**filters).events]  # type: ignore[arg-type]

    assert actions(actor="alice") == ["key.create", "grant.set", "sign_in"]
    assert actions(action="sign_in") == ["sign_in"]
    assert actions(action="sign_in.*") == ["sign_in.failed", "sign_in.failed", "sign_in"]
    assert actions(outcome="denied") == ["write"]
    assert actions(resource="project:mnist") == ["write", "grant.set"]
    assert actions(since=T + 2, until=T + 4) == ["grant.set", "sign_in.failed"]
    assert actions(actor="alice", since=T + 1) == ["key.create", "grant.set"]
    assert actions(actor="nobody") == []
    with pytest.raises(InvalidInput):
        audit.list(outcome="maybe")


def test_pages_follow_each_other_without_gaps(audit: AuditLog) -> None:
    first = audit.list(limit=4)
    assert len(first.events) == 4 and first.next_page_token is not None
    audit.record(AuditEntry(actor="carol", action="sign_in"))  # newer: not in older pages
    second = audit.list(limit=4, page_token=first.next_page_token)
    assert [e.action for e in second.events] == ["sign_in.failed", "sign_in"]
    assert second.next_page_token is None
    exact = audit.list(limit=2, page_token=first.next_page_token)
    assert len(exact.events) == 2 and exact.next_page_token is None
    with pytest.raises(InvalidInput):
        audit.list(page_token="abc")
    with pytest.raises(InvalidInput):
        audit.list(limit=0)


def test_failed_sign_ins_are_counted_by_name_and_by_client(audit: AuditLog) -> None:
    assert audit.failures(actor="bob", since=T) == 2
    assert audit.failures(actor="bob", since=T + 2) == 1
    assert audit.failures(client="10.0.0.1", since=T) == 1
    assert audit.failures(actor="bob", client="10.0.0.2", since=T) == 1
    assert audit.failures(actor="alice", since=T) == 0


def test_the_log_is_append_only_and_clips_long_values(store: Store) -> None:
    log = store.accounts.audit
    assert not any(hasattr(log, name) for name in ("update", "delete", "remove", "clear"))
    with pytest.raises(InvalidInput):
        log.record(AuditEntry(actor="x", action="y", outcome="maybe"))  # type: ignore[arg-type]
    long = log.record(AuditEntry(actor="a" * 1000, action="b" * 100, route="r" * 2000))
    [event] = log.list().events
    assert event.id == long and len(event.actor) == 256 and len(event.action) == 64
    odd = log.record(AuditEntry(actor="eve\x00", action="sign_in.failed", detail={"n": "\x00"}))
    [event] = log.list(limit=1).events
    assert (event.id, event.actor, event.detail) == (odd, "eve\ufffd", {"n": "\x00"})

"""Webhook secrets are kept encrypted with the server key and shown by fingerprint only; the
delivery worker still gets them back to sign with; rows written in clear before 0007 are
sealed when the server starts (issue 16 item 5). On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from trailmark.errors import InvalidInput, Unavailable
from trailmark.store.database import Database
from trailmark.store.migrations import migrate
from trailmark.store.schema_artifacts import webhooks
from trailmark.store.secret_box import KEY_FILE_NAME, SecretBox, fingerprint
from trailmark.store.store import Store

SECRET = "whsec-0123456789abcdef-ZYX"
KEY = "k" * 16 + "0123456789abcdef"


def stored_secrets(db: Database) -> list[str]:
    with db.read() as conn:
        return [str(s) for s in conn.execute(select(webhooks.c.secret)).scalars()]


def test_a_secret_is_stored_sealed_and_listed_by_fingerprint_only(
    database: Database, tmp_path: Path
) -> None:
    store = Store(database, secrets=SecretBox.from_key_file(tmp_path / KEY_FILE_NAME))
    created = store.webhooks.create("https://hooks.example.com/x", secret=SECRET)
    assert created["secret"] == SECRET  # shown once, to the one who set it
    [stored] = stored_secrets(database)
    assert SECRET not in stored and SECRET[:4] not in stored
    assert store.webhooks.secrets.open(stored) == SECRET

    expected = hashlib.sha256(SECRET.encode()).hexdigest()[:8]
    for shown in (store.webhooks.get(created["id"]), *store.webhooks.list_webhooks()):
        assert "secret" not in shown
        assert (shown["secret_set"], shown["secret_fingerprint"]) == (True, expected)
        assert not any(SECRET[:4] in str(value) for value in shown.values())

    store.webhooks.ping(created["id"])
    [claimed] = store.webhooks.claim()
    assert claimed.secret == SECRET


def test_a_changed_secret_is_sealed_too(database: Database, tmp_path: Path) -> None:
    store = Store(database, secrets=SecretBox.from_key_file(tmp_path / KEY_FILE_NAME))
    hook = store.webhooks.create("https://hooks.example.com/x")
    changed = store.webhooks.update(hook["id"], {"secret": SECRET})
    assert changed["secret_fingerprint"] == fingerprint(SECRET)
    assert not [s for s in stored_secrets(database) if SECRET in s]


def test_the_key_file_is_made_private_on_first_use_and_kept(
    database: Database, tmp_path: Path
) -> None:
    before = os.umask(0o022)
    try:
        key_file = tmp_path / "data" / KEY_FILE_NAME
        store = Store(database, secrets=SecretBox.from_key_file(key_file))
        assert not key_file.exists()  # nothing sealed yet: no key made
        hook = store.webhooks.create("https://hooks.example.com/x", secret=SECRET)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    finally:
        os.umask(before)
    again = Store(database, secrets=SecretBox.from_key_file(key_file))  # a restart
    again.webhooks.ping(hook["id"])
    assert [c.secret for c in again.webhooks.claim()] == [SECRET]


def test_replicas_sharing_the_key_setting_read_each_others_secrets(database: Database) -> None:
    one = Store(database, secrets=SecretBox.from_setting(KEY))
    hook = one.webhooks.create("https://hooks.example.com/x", secret=SECRET)
    other = Store(database, secrets=SecretBox.from_setting(KEY))
    other.webhooks.ping(hook["id"])
    assert [c.secret for c in other.webhooks.claim()] == [SECRET]
    with pytest.raises(InvalidInput, match="at least 32"):
        SecretBox.from_setting("short")


def test_a_secret_sealed_with_another_key_fails_its_delivery_with_a_reason(
    database: Database,
) -> None:
    one = Store(database, secrets=SecretBox.from_setting(KEY))
    hook = one.webhooks.create("https://hooks.example.com/x", secret=SECRET)
    stranger = Store(database, secrets=SecretBox.from_setting("z" * 40))
    stranger.webhooks.ping(hook["id"])
    assert stranger.webhooks.claim() == []
    [delivery] = stranger.webhooks.deliveries(hook["id"])[0]
    assert delivery["status"] == "failed" and "server key" in delivery["last_error"]
    with pytest.raises(Unavailable, match="TRAILMARK_SECRET_KEY"):
        SecretBox.unconfigured().seal(SECRET)


def test_secrets_stored_in_clear_before_0007_are_sealed_at_start(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        migrate(db, upto="0006_chunk_blobs_uncompressed")
        with db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO webhooks (url, secret, events, model, description, active, "
                    "created_by, created_at, updated_at) VALUES ('https://hooks.example.com/o', "
                    ":secret, '[\"*\"]', NULL, '', :active, 'ana', 1.0, 1.0)"
                ),
                {"secret": SECRET, "active": True},
            )
        migrate(db)
        store = Store(db, secrets=SecretBox.from_key_file(tmp_path / KEY_FILE_NAME))
        [old] = store.webhooks.list_webhooks()
        assert old["secret_fingerprint"] == fingerprint(SECRET)  # even before it is sealed
        assert store.webhooks.seal_plain_secrets() == 1
        assert store.webhooks.seal_plain_secrets() == 0
        assert not [s for s in stored_secrets(db) if SECRET in s]
        store.webhooks.ping(old["id"])
        assert [c.secret for c in store.webhooks.claim()] == [SECRET]
    finally:
        db.dispose()

"""0007_webhook_secrets_sealed: webhook secrets are kept encrypted with the server key
(:mod:`trailmark.store.secret_box`), with a fingerprint to show instead of their first
characters.

The SQL here makes room: ``secret`` becomes TEXT on PostgreSQL (a sealed secret is longer
than the 256 characters a plain one had; SQLite ignores a declared length), and
``secret_fingerprint`` is added, NULL on rows written before. Those rows still hold their
secret in clear; the key lives outside the database, so the server seals them when it
starts with its key (:meth:`trailmark.store.webhooks.WebhookStore.seal_plain_secrets`),
which a NULL fingerprint tells it to do.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from trailmark.store.migrations.ddl import add_column_if_missing


def apply(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE webhooks ALTER COLUMN secret TYPE TEXT"))
    add_column_if_missing(conn, "webhooks", "secret_fingerprint", "VARCHAR(16)")

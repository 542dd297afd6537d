"""Through the API: a webhook's secret is in no listing and in no stored row in clear, on
SQLite (the database file itself) and PostgreSQL (issue 16 item 5). Deliveries are still
signed with it: tests/server/test_webhooks.py checks the signature at a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings

SECRET = "whsec-Q7x9-0123456789abcdef"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(
        ServerSettings(data_dir=tmp_path, db_url=database_url, webhooks_allow_private=True)
    )
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def test_a_webhook_secret_is_shown_once_and_never_stored_in_clear(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    created = client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "secret": SECRET}
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"] == SECRET
    listed = client.get("/api/v1/webhooks")
    one = client.get(f"/api/v1/webhooks/{created.json()['id']}")
    for answer in (listed.text, one.text):
        assert SECRET[:4] not in answer and "secret_hint" not in answer
    assert one.json()["secret_set"] is True and len(one.json()["secret_fingerprint"]) == 8

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text("SELECT * FROM webhooks"))]
    finally:
        engine.dispose()
    assert rows and not [r for r in rows if any(SECRET in str(v) for v in r)]
    if database_url.startswith("sqlite"):
        client.app.state.store.db.dispose()  # type: ignore[attr-defined]
        stored = b"".join(p.read_bytes() for p in Path(tmp_path).glob("*.db*"))
        assert SECRET.encode() not in stored

"""REST: console lines of a run, and a rank's series, as the dashboard's run page reads them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import ingest

LOGS = "/api/v1/projects/p/runs/r/logs"


def lines(*texts: str, stream: str = "stdout", q: int = 1) -> dict[str, Any]:
    return {"t": "log", "q": q, "lines": [[1.0 + i, stream, t] for i, t in enumerate(texts)]}


def test_pages_tail_stream_and_search(client: TestClient) -> None:
    ingest(
        client, "r", [lines(*[f"step {i}" for i in range(5)]), lines("Oops", stream="stderr", q=2)]
    )
    body = client.get(LOGS).json()
    assert body["next"] is None
    assert body["lines"][0] == {
        "n": 1,
        "time": 1.0,
        "stream": "stdout",
        "rank": None,
        "text": "step 0",
    }
    page = client.get(LOGS, params={"limit": 2}).json()
    assert [x["n"] for x in page["lines"]] == [1, 2] and page["next"] == 2
    following = client.get(LOGS, params={"after": page["next"], "limit": 2}).json()
    assert [x["text"] for x in following["lines"]] == ["step 2", "step 3"]
    tail = client.get(LOGS, params={"tail": "true", "limit": 2}).json()
    assert [x["text"] for x in tail["lines"]] == ["step 4", "Oops"]
    stderr = client.get(LOGS, params={"stream": "stderr"}).json()
    assert [x["text"] for x in stderr["lines"]] == ["Oops"]
    found = client.get(LOGS, params={"search": "oops"}).json()
    assert [x["n"] for x in found["lines"]] == [6]


def test_errors(client: TestClient) -> None:
    assert client.get("/api/v1/projects/p/runs/missing/logs").status_code == 404
    ingest(client, "r", [lines("x")])
    assert client.get(LOGS, params={"stream": "stdin"}).status_code in (400, 422)
    assert client.get(LOGS, params={"limit": 0}).status_code in (400, 422)


def test_a_ranks_series_and_history(client: TestClient) -> None:
    envelope = {"run": "r", "project": "p", "writer": "w2", "rank": 2}
    records = [{"t": "m", "q": 1, "s": 0, "w": 5.0, "d": {"loss": 3.0}}]
    response = client.post("/api/v1/ingest", json={"envelope": envelope, "records": records})
    assert response.status_code == 200, response.text
    series = client.get(
        "/api/v1/projects/p/runs/r/series", params={"key": "loss", "rank": 2}
    ).json()
    assert (series["key"], series["steps"], series["values"]) == ("loss", [0], [3.0])
    history = client.get("/api/v1/projects/p/runs/r/history", params={"rank": 2}).json()
    assert history["rows"] == [{"_step": 0, "_timestamp": 5.0, "loss": 3.0}]
    assert client.get("/api/v1/projects/p/runs/r/history").json()["rows"] == []
    missing = client.get("/api/v1/projects/p/runs/r/series", params={"key": "loss", "rank": 1})
    assert missing.status_code == 404


def test_the_whole_output_as_a_plain_text_file(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trailmark.server.routes import logs

    monkeypatch.setattr(logs, "TEXT_PAGE", 3)  # several pages, streamed one after another
    texts = [f"step {i}" for i in range(7)] + ["ünïcode ✓ <b>not html</b>", ""]
    ingest(client, "r", [lines(*texts), lines("Traceback: boom", stream="stderr", q=2)])
    answer = client.get(LOGS + ".txt")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="r-console.txt"'
    assert answer.content.decode() == "\n".join([*texts, "Traceback: boom"]) + "\n"
    stderr = client.get(LOGS + ".txt", params={"stream": "stderr"})
    assert stderr.text == "Traceback: boom\n"
    assert client.get(LOGS + ".txt", params={"rank": 3}).text == ""
    missing = client.get("/api/v1/projects/p/runs/missing/logs.txt")
    assert missing.status_code == 404 and "missing" in missing.json()["error"]["message"]
    assert client.get(LOGS + ".txt", params={"stream": "stdin"}).status_code in (400, 422)

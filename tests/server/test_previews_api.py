"""The table preview routes: the first rows of CSV and Parquet files as JSON, errors in words."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from tests.server.test_artifacts_api import P, commit, put


def parquet_bytes() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2, 3], "y": ["a", "b", None]}), sink)
    return sink.getvalue()


def test_artifact_and_model_files_have_table_previews(client: TestClient) -> None:
    files = {"t.csv": b'a,b\n1,"x, y"\n2,z\n', "data/t.parquet": parquet_bytes(), "w.bin": b"w"}
    commit(client, "data", files, type="dataset", run_id="r1")
    csv = client.get(f"{P}/artifacts/data/versions/latest/table/t.csv")
    assert csv.status_code == 200, csv.text
    assert csv.json() == {
        "format": "csv",
        "columns": ["a", "b"],
        "types": None,
        "rows": [["1", "x, y"], ["2", "z"]],
        "total_rows": 2,
        "truncated": False,
    }
    parquet = client.get(f"{P}/artifacts/data/versions/v0/table/data/t.parquet", params={"rows": 2})
    body = parquet.json()
    assert (body["columns"], body["types"]) == (["x", "y"], ["int64", "string"])
    assert (body["rows"], body["total_rows"], body["truncated"]) == ([[1, "a"], [2, "b"]], 3, True)

    client.post("/api/v1/models/m/versions", json={"source": "artifact:p/data:v0"})
    model = client.get("/api/v1/models/m/versions/1/table/t.csv")
    assert model.json()["rows"] == [["1", "x, y"], ["2", "z"]]


def test_run_files_have_table_previews(client: TestClient) -> None:
    client.post(
        f"{P}/runs/r1/files", json={"files": [{"path": "out/m.csv", **put(client, b"k\n1\n")}]}
    )
    assert client.get(f"{P}/runs/r1/table/out/m.csv").json()["rows"] == [["1"]]


def test_previews_refuse_in_words(client: TestClient) -> None:
    commit(client, "data", {"w.bin": b"w", "bad.parquet": b"nope"})
    other = client.get(f"{P}/artifacts/data/versions/v0/table/w.bin")
    assert other.status_code == 400
    assert "only .csv, .tsv and .parquet" in other.json()["error"]["message"]
    broken = client.get(f"{P}/artifacts/data/versions/v0/table/bad.parquet")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_input"
    missing = client.get(f"{P}/artifacts/data/versions/v0/table/nope.csv")
    assert missing.status_code == 404
    too_many = client.get(f"{P}/artifacts/data/versions/v0/table/w.bin", params={"rows": 5000})
    assert too_many.status_code in (400, 422)

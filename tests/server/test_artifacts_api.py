"""The artifact, upload, file and registry routes as the dashboard and SDK use them."""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.blobs import folder
from trailmark.blobs.protocol import MAX_SINGLE_PUT

P = "/api/v1/projects/p"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client: TestClient, data: bytes) -> dict[str, Any]:
    response = client.put(f"{P}/blobs/{sha(data)}", content=data)
    assert response.status_code == 201, response.text
    return {"size": len(data), "digest": sha(data)}


def commit(client: TestClient, name: str, files: dict[str, bytes], **extra: Any) -> Any:
    manifest = [{"path": path, **put(client, data)} for path, data in files.items()]
    return client.post(f"{P}/artifacts/{name}/versions", json={"files": manifest, **extra})


def test_upload_commit_and_download(client: TestClient) -> None:
    missing = client.post(f"{P}/blobs/missing", json={"digests": [sha(b"a"), sha(b"a")]})
    assert missing.json() == {"missing": [sha(b"a")]}
    first = commit(client, "data", {"x/a.txt": b"a", "b.txt": b"bb"}, aliases=["best"], run_id="r1")
    assert first.status_code == 201
    body = first.json()
    assert (body["version"], body["new_version"], body["aliases"]) == (0, True, ["best", "latest"])
    again = commit(client, "data", {"b.txt": b"bb", "x/a.txt": b"a"})
    assert again.status_code == 200 and again.json()["new_version"] is False
    assert client.post(f"{P}/blobs/missing", json={"digests": [sha(b"a")]}).json()["missing"] == []

    manifest = client.get(f"{P}/artifacts/data/versions/best/manifest").json()
    assert [f["path"] for f in manifest["files"]] == ["b.txt", "x/a.txt"]
    download = client.get(f"{P}/artifacts/data/versions/v0/files/x/a.txt")
    assert download.content == b"a"
    assert download.headers["x-trailmark-digest"] == f"sha256={sha(b'a')}"
    assert download.headers["content-type"] == "application/octet-stream"
    listed = client.get(f"{P}/artifacts").json()["artifacts"]
    assert [(a["name"], a["latest"]["version"]) for a in listed] == [("data", 0)]
    assert client.get(f"{P}/runs/r1/artifacts").json()["produced"][0]["ref"] == "data:v0"
    used = client.post(f"{P}/artifacts/data/versions/latest/use", json={"run_id": "r2"})
    assert used.status_code == 200
    assert client.get(f"{P}/artifacts/data/versions/v0/users").json() == {"runs": ["r2"]}
    page = client.get(f"{P}/artifacts/data/versions/v0/files", params={"limit": 1}).json()
    assert page["total"] == 2 and page["next_offset"] == 1


def test_aliases_move_over_rest(client: TestClient) -> None:
    commit(client, "m", {"w": b"1"})
    commit(client, "m", {"w": b"2"})
    moved = client.put(f"{P}/artifacts/m/aliases/prod", json={"version": "v0"})
    assert moved.json()["aliases"] == ["prod"]
    client.put(f"{P}/artifacts/m/aliases/prod", json={"version": 1})
    assert client.get(f"{P}/artifacts/m/versions/prod").json()["version"] == 1
    assert client.delete(f"{P}/artifacts/m/aliases/prod").status_code == 204
    assert client.get(f"{P}/artifacts/m/versions/prod").status_code == 404


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "a\\..\\b", "a/\u0000", "C:/x", "a/../../b"]
)
def test_manifest_paths_that_could_escape_are_refused(client: TestClient, path: str) -> None:
    response = client.post(
        f"{P}/artifacts/d/versions", json={"files": [{"path": path, **put(client, b"x")}]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_blobs_are_named_by_digest_only(client: TestClient) -> None:
    for bad in ["..%2F..%2Fetc%2Fpasswd", "A" * 64, "zz" * 32]:
        assert client.put(f"{P}/blobs/{bad}", content=b"x").status_code in (400, 404)
    commit(client, "d", {"a": b"a"})
    escaped = client.get(f"{P}/artifacts/d/versions/v0/files/..%2F..%2Fetc%2Fpasswd")
    assert escaped.status_code == 400


def test_content_must_match_its_digest(client: TestClient) -> None:
    response = client.put(f"{P}/blobs/{sha(b'expected')}", content=b"something else")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "digest_mismatch"


def test_a_damaged_blob_is_detected_at_download(client: TestClient, tmp_path: Path) -> None:
    commit(client, "d", {"weights.bin": b"the real weights"})
    path = tmp_path / "blobs" / "sha256" / sha(b"the real weights")[:2] / sha(b"the real weights")
    path.chmod(0o644)
    path.write_bytes(b"the real weightz")
    response = client.get(f"{P}/artifacts/d/versions/v0/files/weights.bin")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "corrupt_blob"
    assert "damaged" in response.json()["error"]["message"]


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    big = b"\0" * (MAX_SINGLE_PUT + 1)
    response = client.put(f"{P}/blobs/{sha(big)}", content=big)
    assert response.status_code == 413
    assert "upload session" in response.json()["error"]["message"]


def test_a_full_disk_is_507(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(folder.tempfile, "mkstemp", full)
    response = client.put(f"{P}/blobs/{sha(b'x')}", content=b"x")
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "storage_full"
    assert "trailmark gc" in response.json()["error"]["message"]


def test_upload_sessions_over_rest(client: TestClient) -> None:
    data = bytes(range(256)) * (6 * 4096)  # 6 MiB
    begun = client.post(f"{P}/uploads", json={"digest": sha(data), "size": len(data)}).json()
    url = f"{P}/uploads/{begun['id']}"
    first = client.put(url, params={"offset": 0}, content=data[: 5 << 20])
    assert first.json()["offset"] == 5 << 20
    wrong = client.put(url, params={"offset": 0}, content=data[5 << 20 :])
    assert wrong.status_code == 409
    assert client.get(url).json()["offset"] == 5 << 20
    client.put(url, params={"offset": 5 << 20}, content=data[5 << 20 :])
    assert client.post(f"{url}/complete").json()["complete"] is True
    assert client.get(url).status_code == 404
    again = client.post(f"{P}/uploads", json={"digest": sha(data), "size": len(data)}).json()
    assert again["complete"] is True


def test_run_files(client: TestClient) -> None:
    files = [
        {"path": "logs/out.txt", **put(client, b"log")},
        {"path": "model.pt", **put(client, b"m")},
    ]
    added = client.post(f"{P}/runs/r1/files", json={"files": files})
    assert [f["path"] for f in added.json()["files"]] == ["logs/out.txt", "model.pt"]
    listed = client.get(f"{P}/runs/r1/files", params={"prefix": "logs"}).json()
    assert [f["path"] for f in listed["files"]] == ["logs/out.txt"]
    assert client.get(f"{P}/runs/r1/files/model.pt").content == b"m"
    assert client.delete(f"{P}/runs/r1/files/model.pt").status_code == 204
    assert client.get(f"{P}/runs/r1/files/model.pt").status_code == 404


def test_registry_over_rest(client: TestClient) -> None:
    commit(client, "clf", {"w.bin": b"weights"}, type="model", run_id="train1")
    created = client.post("/api/v1/models/fraud/versions", json={"source": "artifact:p/clf:v0"})
    assert created.status_code == 201 and created.json()["version"] == 1
    client.post("/api/v1/models/fraud/versions", json={"source": "artifact:clf", "project": "p"})
    client.put("/api/v1/models/fraud/aliases/champion", json={"version": 1})
    promoted = client.put("/api/v1/models/fraud/versions/2/stage", json={"stage": "production"})
    assert promoted.json()["stage"] == "Production"
    client.put("/api/v1/models/fraud/versions/1/stage", json={"stage": "Production"})
    assert client.get("/api/v1/models/fraud/versions/2").json()["stage"] == "Archived"
    model = client.get("/api/v1/models/fraud").json()
    assert model["aliases"] == {"champion": 1} and model["stages"]["Production"] == [1]
    assert client.get("/api/v1/models/fraud/versions/champion/files/w.bin").content == b"weights"
    kinds = [e["kind"] for e in client.get("/api/v1/models/fraud/events").json()["events"]]
    assert kinds[0] == "stage_changed" and "alias_moved" in kinds and kinds[-1] == "model_created"
    assert all(
        e["user"] == "anonymous" for e in client.get("/api/v1/models/fraud/events").json()["events"]
    )
    missing = client.get("/api/v1/models/nope")
    assert missing.status_code == 404 and "not found" in missing.json()["error"]["message"]
    graph = client.get(
        "/api/v1/lineage", params={"node": "model:fraud@champion", "direction": "upstream"}
    )
    assert {n["id"] for n in graph.json()["nodes"]} == {
        "model:fraud:v1",
        "artifact:p/clf:v0",
        "run:train1",
    }


def test_the_user_comes_from_the_identify_hook(client: TestClient) -> None:
    client.app.state.identify = lambda request: request.headers.get("X-Test-User", "anonymous")  # type: ignore[attr-defined]
    commit(client, "clf", {"w.bin": b"weights"}, type="model")
    client.post(
        "/api/v1/models/fraud/versions",
        json={"source": "artifact:p/clf"},
        headers={"X-Test-User": "ana"},
    )
    assert client.get("/api/v1/models/fraud/versions/1").json()["created_by"] == "ana"

"""Hostile stored files, seeded through every door that stores bytes, for the inert-serving tests.

Each payload holds :data:`MARK`, so a test can tell which answers carry stored bytes. The same
file names are saved as a run's files (MLflow uploads), a logged model's files, an artifact
version, a registered model version (native and MLflow's ``_registry`` path), and console lines.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx

MARK = b"tm-stored-payload"
NAME = "payload"  # the project (MLflow experiment), the artifact and the registered model

# The script each document would run: mark the page, then read the API with the page's origin.
_SCRIPT = (
    "window.__stored = 'ran'; document.title = 'tm-stored-ran'; fetch('/api/v1/projects?stolen=1');"
)
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PAYLOADS: dict[str, bytes] = {
    "evil.js": _SCRIPT.encode() + b" // " + MARK + b"-js",
    "page.html": (
        b"<!doctype html><html><head><title>" + MARK + b"-html</title>"
        b"<script>" + _SCRIPT.encode() + b"</script>"
        b'<script src="evil.js"></script></head><body>stored page</body></html>'
    ),
    "icon.svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'width="10" height="10"><title>' + MARK + b"-svg</title>"
        b"<script>" + _SCRIPT.encode() + b"</script>"
        b'<script href="evil.js" xlink:href="evil.js"></script>'
        b'<rect width="10" height="10" fill="red"/></svg>'
    ),
    "feed.xml": (
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
        b"<title>" + MARK + b"-xml</title><script>" + _SCRIPT.encode() + b"</script>"
        b'<script src="evil.js"></script></head><body>x</body></html>'
    ),
    "README": (
        b"<html><head><title>"
        + MARK
        + b"-noext</title><script>"
        + _SCRIPT.encode()
        + b'</script><script src="evil.js"></script></head><body>x</body></html>'
    ),
    "table.csv": b"name,note\nx,<script>" + MARK + b"-csv</script>\n",
    "plot.png": PNG_1x1,
}
BYTES = {"Content-Type": "application/octet-stream"}
ACTIVE = ["page.html", "icon.svg", "feed.xml", "README"]
"""The files a browser would run as a document if they were served as their type says."""


@dataclass
class Seeded:
    experiment_id: str
    run_id: str
    model_id: str
    upload_id: str
    webhook_id: str
    urls: dict[str, str] = field(default_factory=dict)
    """A file URL per door, ``{file}`` standing for the file name."""


def _ok(response: Any) -> Any:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json() if response.content else None


def seed_payloads(client: httpx.Client, webhooks: bool = True) -> Seeded:
    """Store every payload through every door over HTTP, as users would (a TestClient is
    an httpx.Client too)."""
    mlflow = "/api/2.0/mlflow"
    exp = _ok(client.post(f"{mlflow}/experiments/create", json={"name": NAME}))["experiment_id"]
    run = _ok(client.post(f"{mlflow}/runs/create", json={"experiment_id": exp}))
    run_id = run["run"]["info"]["run_id"]
    metric = {"key": "loss", "value": 1.0, "timestamp": 1_700_000_000_000, "step": 1}
    _ok(client.post(f"{mlflow}/runs/log-batch", json={"run_id": run_id, "metrics": [metric]}))
    model = _ok(
        client.post(f"{mlflow}/logged-models", json={"experiment_id": exp, "source_run_id": run_id})
    )
    model_id = model["model"]["info"]["model_id"]
    root = "/api/2.0/mlflow-artifacts/artifacts"
    for path, data in PAYLOADS.items():
        _ok(client.put(f"{root}/{exp}/{run_id}/artifacts/{path}", content=data, headers=BYTES))
        _ok(
            client.put(
                f"{root}/{exp}/models/{model_id}/artifacts/{path}", content=data, headers=BYTES
            )
        )

    project = f"/api/v1/projects/{NAME}"
    manifest = []
    for path, data in PAYLOADS.items():
        digest = hashlib.sha256(data).hexdigest()
        _ok(client.put(f"{project}/blobs/{digest}", content=data, headers=BYTES))
        manifest.append({"path": path, "size": len(data), "digest": digest})
    _ok(client.post(f"{project}/artifacts/{NAME}/versions", json={"files": manifest}))
    _ok(
        client.post(
            f"/api/v1/models/{NAME}/versions",
            json={"source": f"artifact:{NAME}/{NAME}:v0", "create_model": True},
        )
    )
    _ok(
        client.post(
            f"{mlflow}/registered-models/alias",
            json={"name": NAME, "alias": "best", "version": "1"},
        )
    )
    lines = [
        [1.0 + i, "stdout", data.decode("latin-1")] for i, data in enumerate(PAYLOADS.values())
    ]
    envelope = {"run": run_id, "project": NAME, "writer": "w1"}
    _ok(
        client.post(
            "/api/v1/ingest",
            json={"envelope": envelope, "records": [{"t": "log", "q": 1, "lines": lines}]},
        )
    )
    size = len(PAYLOADS["page.html"]) + 1
    upload = _ok(client.post(f"{project}/uploads", json={"digest": "0" * 64, "size": size}))
    webhook_id = ""
    if webhooks:
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["alias_moved"], "model": NAME}
        webhook_id = str(_ok(client.post("/api/v1/webhooks", json=hook))["id"])
    return Seeded(
        experiment_id=exp,
        run_id=run_id,
        model_id=model_id,
        upload_id=str(upload["id"]),
        webhook_id=webhook_id,
        urls={
            "run file": f"{project}/runs/{run_id}/files/{{file}}",
            "artifact file": f"{project}/artifacts/{NAME}/versions/v0/files/{{file}}",
            "model file": f"/api/v1/models/{NAME}/versions/1/files/{{file}}",
            "mlflow run artifact": f"{root}/{exp}/{run_id}/artifacts/{{file}}",
            "mlflow logged model artifact": f"{root}/{exp}/models/{model_id}/artifacts/{{file}}",
            "mlflow model version artifact": f"{root}/_registry/{NAME}/1/{{file}}",
        },
    )

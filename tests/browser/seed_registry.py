"""Seeded artifacts, lineage and registry for the browser tests, logged through the real SDK
against a running server: a dataset with three versions and files of every preview kind, a
training run that used it and produced model weights, and a registered model with two
versions, aliases and a Production history."""

from __future__ import annotations

import io
import json
import struct
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import trailmark as tm

PROJECT = "registry"
DATASET = "dataset"
WEIGHTS = "classifier-weights"
SHARDS = "shards"
MODEL = "fraud-detector"
SHARD_COUNT = 510  # more than one page (500) of the file listing
HOSTILE = '<img src=x onerror="window.__xss=1">'
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.__xss=1">'
    '<script>window.__xss=1</script><circle cx="20" cy="20" r="16" fill="#4f46e5"/></svg>'
)
CSV = 'id,text,score\n1,"a, quoted ""word""",0.5\n2,plain,1.5\n3,"two\nlines",2\n'
PARQUET_ROWS = 250


@dataclass
class Seeded:
    prep_run: str
    train_run: str


def png_bytes(width: int = 160, height: int = 96) -> bytes:
    """A valid RGB PNG with a colour gradient (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 200)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def parquet_bytes() -> bytes:
    table = pa.table(
        {
            "id": list(range(PARQUET_ROWS)),
            "label": [["cat", "dog", "bird"][i % 3] for i in range(PARQUET_ROWS)],
            "score": [i / 10 for i in range(PARQUET_ROWS)],
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def write(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def patch(url: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url + path,
        json.dumps(body).encode(),
        method="PATCH",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()


def init(url: str, client: Path, **options: Any) -> tm.Run:
    return tm.init(
        project=PROJECT,
        url=url,
        dir=client,
        system_interval=0,
        console="off",
        capture_code=False,
        capture_env=False,
        **options,
    )


def seed_registry(url: str, work: Path) -> Seeded:
    """Log everything through the SDK to the server at ``url``; ``work`` holds the files."""
    client = work / "client"
    base: dict[str, bytes | str] = {
        "readme.txt": "hello from the dataset\nsecond line\n",
        "config.json": '{"classes": ["cat", "dog"], "nested": {"depth": 2, "ok": true}}',
        "table.csv": CSV,
        "images/pixel.png": png_bytes(),
        "nested/deep/leaf.txt": "a leaf deep in the tree\n",
    }
    prep = init(url, client, name="prepare-data", job_type="data")
    for version, extra in enumerate(
        [
            {},
            {"table.csv": CSV + "4,added,3\n"},
            {
                "table.csv": CSV,
                "table.parquet": parquet_bytes(),
                "images/logo.svg": SVG,
                "model.bin": bytes(range(256)) * 4,
                f"{HOSTILE}.txt": "a file with a hostile name\n",
            },
        ]
    ):
        root = write(work / f"dataset-v{version}", {**base, **extra})
        art = tm.Artifact(
            DATASET,
            type="dataset",
            description=f"Labelled images {HOSTILE}",
            metadata={"rows": 3 + version, "note": HOSTILE, "split": {"train": 0.8}},
        )
        art.add_dir(root)
        if version == 2:
            outside = write(work / "outside", {"labels.csv": "id,label\n1,cat\n"})
            art.add_reference((outside / "labels.csv").as_uri(), name="external/labels.csv")
        prep.log_artifact(art, aliases=["best"] if version == 1 else None).wait(60)
    patch(
        url, f"/api/v1/projects/{PROJECT}/artifacts/{DATASET}", {"description": f"Images {HOSTILE}"}
    )
    shards = tm.Artifact(SHARDS, type="dataset", description="Many small files")
    shards.add_dir(
        write(work / "shards", {f"part-{i:04}.txt": f"{i}\n" for i in range(SHARD_COUNT)})
    )
    prep.log_artifact(shards).wait(120)
    prep.finish()

    train = init(url, client, name=f"train {HOSTILE}", config={"lr": 3e-4}, job_type="train")
    train.use_artifact(f"{DATASET}:latest")
    for step in range(20):
        train.log({"val/acc": 0.5 + step / 50, "train/loss": 1 / (step + 1)}, step=step)
    model_dir = write(
        work / "out" / "model", {"model.bin": b"weights v1", "params.json": '{"lr": 0.0003}'}
    )
    train.save(model_dir)
    weights = tm.Artifact(WEIGHTS, type="model", description="Weights of the classifier")
    weights.add_dir(
        write(work / "weights", {"model.bin": b"weights v2", "metrics.csv": "acc\n0.9\n"})
    )
    train.log_artifact(weights).wait(60)
    train.finish()

    tm.models.register(  # registered from the run's files: run → model
        f"runs/{train.id}/model",
        MODEL,
        project=PROJECT,
        description="First model, trained on the latest dataset",
        url=url,
        dir=client,
    )
    tm.models.register(  # registered from an artifact version: artifact → model
        f"artifact:{PROJECT}/{WEIGHTS}:v0", MODEL, url=url, dir=client
    )
    patch(
        url,
        f"/api/v1/models/{MODEL}",
        {"description": f"Flags fraudulent payments {HOSTILE}", "tags": {"team": "risk"}},
    )
    tm.models.set_alias(MODEL, "champion", 1, url=url, dir=client)
    tm.models.set_alias(MODEL, "challenger", 2, url=url, dir=client)
    tm.models.promote(MODEL, 1, "Production", url=url, dir=client)
    tm.models.promote(MODEL, 2, "Production", url=url, dir=client)  # archives v1
    return Seeded(prep_run=prep.id, train_run=train.id)

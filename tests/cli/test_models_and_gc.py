"""``trailmark models`` and ``trailmark gc`` over a local data dir."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from click.testing import CliRunner

from trailmark.cli.main import main
from trailmark.manifest import Entry
from trailmark.store.store import Store


def seed(data_dir: Path) -> None:
    store = Store.open(data_dir=data_dir)
    for content in (b"v1", b"v2"):
        digest = hashlib.sha256(content).hexdigest()
        store.uploads.put(digest, io.BytesIO(content))
        store.artifacts.create_version(
            "p", "clf", type="model", entries=[Entry("w.bin", 2, digest)], run_id="r1"
        )
    store.registry.create_version("fraud", "artifact:p/clf:v0", description="first")
    store.registry.create_version("fraud", "artifact:p/clf:v1")
    store.close()


def test_models_ls_show_alias_promote(tmp_path: Path) -> None:
    seed(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(main, ["models", "ls", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert "fraud" in listed.output and "NAME" in listed.output

    alias = runner.invoke(
        main, ["models", "alias", "fraud", "champion", "1", "--data-dir", str(tmp_path)]
    )
    assert alias.output.strip() == "fraud@champion -> v1"
    promoted = runner.invoke(
        main, ["models", "promote", "fraud", "2", "production", "--data-dir", str(tmp_path)]
    )
    assert promoted.exit_code == 0 and "v2 is now in Production" in promoted.output

    shown = runner.invoke(main, ["models", "show", "fraud", "--data-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "Production" in shown.output and "@champion" in shown.output
    assert "artifact:p/clf:v0" in shown.output and "stage_changed" in shown.output

    missing = runner.invoke(main, ["models", "show", "nope", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "Registered Model with name=nope not found" in missing.output


def test_gc_reports_then_deletes(tmp_path: Path) -> None:
    seed(tmp_path)
    store = Store.open(data_dir=tmp_path)
    store.uploads.put(hashlib.sha256(b"orphan").hexdigest(), io.BytesIO(b"orphan"))
    store.close()
    runner = CliRunner()
    dry = runner.invoke(main, ["gc", "--data-dir", str(tmp_path), "--grace", "-1"])
    assert dry.exit_code == 0, dry.output
    assert "Would free 6 B in 1 blobs" in dry.output and "--delete" in dry.output
    done = runner.invoke(main, ["gc", "--delete", "--data-dir", str(tmp_path), "--grace", "-1"])
    assert "Freed 6 B in 1 blobs" in done.output
    again = runner.invoke(main, ["gc", "--data-dir", str(tmp_path), "--grace", "-1"])
    assert "Would free 0 B in 0 blobs" in again.output

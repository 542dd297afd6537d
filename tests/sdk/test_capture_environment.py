"""Where a run ran: Python, packages, host, selected environment variables with secrets redacted."""

from __future__ import annotations

import platform
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path

import pytest

from trailmark.redact import REDACTED
from trailmark.sdk.capture.environment import (
    environment_metadata,
    host_metadata,
    installed_packages,
    selected_environ,
)


def test_packages_are_names_and_versions() -> None:
    packages = installed_packages()
    assert "trailmark" in packages and "orjson" in packages
    assert list(packages) == sorted(packages, key=str.lower)


def test_packages_match_what_importlib_metadata_reports() -> None:
    expected: dict[str, str] = {}
    for dist in importlib_metadata.distributions():
        expected.setdefault(dist.metadata["Name"], dist.version)
    assert installed_packages() == expected


def test_a_package_folder_with_a_broken_metadata_file_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good_pkg-1.2.3.dist-info"
    good.mkdir()
    (good / "METADATA").write_text("Metadata-Version: 2.1\nName: good-pkg\nVersion: 1.2.3\n\nBody")
    broken = tmp_path / "broken-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_bytes(b"\xff\xfe garbage without fields")
    (tmp_path / "old_egg-0.5.egg-info").write_text("Name: old-egg\nVersion: 0.5\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert installed_packages() == {"good-pkg": "1.2.3", "old-egg": "0.5"}


def test_only_setup_variables_are_kept_and_secrets_are_redacted() -> None:
    environ = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "HF_TOKEN": "hf_abcdef",
        "WANDB_API_KEY": "k",
        "MLFLOW_TRACKING_URI": "https://me:pw@mlflow.example.com",
        "AWS_SECRET_ACCESS_KEY": "x",  # not a setup variable: not even looked at
        "MY_SERVICE_TOKEN": "y",
        "RANK": "0",
        "HOME": "/root",
    }
    assert selected_environ(environ) == {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "HF_TOKEN": REDACTED,
        "MLFLOW_TRACKING_URI": f"https://me:{REDACTED}@mlflow.example.com",
        "RANK": "0",
        "WANDB_API_KEY": REDACTED,
    }


def test_environment_and_host() -> None:
    light, large = environment_metadata(environ={"OMP_NUM_THREADS": "4"})
    assert light["python"]["version"] == platform.python_version()
    assert light["env"] == {"OMP_NUM_THREADS": "4"}
    assert "trailmark" in large["environment.packages"]
    assert environment_metadata(packages=False, environ={})[1] == {}
    host = host_metadata()
    assert host["hostname"] == platform.node()
    assert host["cpu_count"] >= 1 and host["memory_gib"] > 0

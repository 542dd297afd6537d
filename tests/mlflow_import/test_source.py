"""The MLflow source of ``trailmark import``: what a user without mlflow installed is told."""

from __future__ import annotations

import sys

import pytest

from trailmark.errors import NotInstalled
from trailmark.mlflow_import.source import MlflowSource


def test_missing_mlflow_is_not_installed_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # ``import mlflow`` raises ImportError
    with pytest.raises(NotInstalled, match=r"trailmark\[mlflow\]") as caught:
        MlflowSource("sqlite:///nowhere.db")
    assert caught.value.status == 501

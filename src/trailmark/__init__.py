"""Trailmark: track experiments with a few lines, on your own machines.

Example::

    import trailmark as tm

    run = tm.init(project="mnist", config={"lr": 3e-4})
    for step in range(1000):
        run.log({"train/loss": 1 / (step + 1)})
    run.finish()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trailmark._version import __version__
from trailmark.errors import (
    Conflict,
    CorruptBlob,
    InvalidFilter,
    InvalidInput,
    NotFound,
    TrailmarkError,
)
from trailmark.sdk.init import get_current_run, init
from trailmark.sdk.run import Run

if TYPE_CHECKING:
    from types import ModuleType

    from trailmark.sdk.api import Api, ApiRun
    from trailmark.sdk.artifacts import Artifact
    from trailmark.sdk.config import Config, Summary
    from trailmark.sdk.models import ModelVersion

__all__ = [
    "Api",
    "ApiRun",
    "Artifact",
    "Conflict",
    "CorruptBlob",
    "InvalidFilter",
    "InvalidInput",
    "NotFound",
    "Run",
    "TrailmarkError",
    "__version__",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "models",
    "register_model",
    "run",
    "summary",
]


def _current() -> Run:
    run = get_current_run()
    if run is None:
        raise TrailmarkError("no active run: call trailmark.init() first")
    return run


def log(data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
    """Log metrics to the current run; see :meth:`Run.log`."""
    _current().log(data, step=step, commit=commit)


def finish(exit_code: int = 0, timeout: float | None = None) -> None:
    """Finish the current run; see :meth:`Run.finish`."""
    run = get_current_run()
    if run is not None:
        run.finish(exit_code=exit_code, timeout=timeout)


def define_metric(name: str, summary: str = "last") -> None:
    """See :meth:`Run.define_metric`."""
    _current().define_metric(name, summary=summary)


def register_model(source: str, name: str, **options: Any) -> ModelVersion:
    """Register ``"runs/RUN_ID/PATH"`` or ``"artifact:NAME:VERSION"`` as the next version of
    model ``name``; see :func:`trailmark.sdk.models.register`.

    Example: ``tm.register_model("runs/a1b2c3d4/model", "fraud-detector")``
    """
    from trailmark.sdk.models import register

    return register(source, name, **options)


def __getattr__(name: str) -> Any:
    # Lazy attributes keep `import trailmark` fast: Api pulls in the store only when used.
    if name in ("Api", "ApiRun"):
        from trailmark.sdk import api

        return getattr(api, name)
    if name == "Artifact":
        from trailmark.sdk.artifacts import Artifact

        return Artifact
    if name == "models":
        from trailmark.sdk import models

        return models
    if name == "config":
        return _current().config
    if name == "summary":
        return _current().summary
    if name == "run":
        return get_current_run()
    raise AttributeError(f"module 'trailmark' has no attribute {name!r}")


if TYPE_CHECKING:
    models: ModuleType
    config: Config
    summary: Summary
    run: Run | None

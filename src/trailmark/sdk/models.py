"""``trailmark.models``: the model registry from Python (``tm.models.get(...)``, ``tm.register_model``).

Registered models have global names (``fraud-detector``); versions count up from 1 and
each comes from a run's saved files or an artifact version, keeping its lineage. Aliases
(``champion``, ``challenger``) name exactly one version and move atomically; stages are
None, Staging, Production and Archived (promoting to Production archives the previous one).

Calls go to ``url=`` (or ``TRAILMARK_URL``), else to the local data dir (``dir=`` or
``TRAILMARK_DIR``); inside a run, to wherever the run goes.

Example::

    import trailmark as tm

    version = tm.register_model("runs/a1b2c3d4/model", "fraud-detector")
    tm.models.set_alias("fraud-detector", "champion", version.version)
    tm.models.promote("fraud-detector", version.version, "Production")
    champion = tm.models.get("fraud-detector@champion")
    root = champion.download("serving/model")
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.manifest import Entry, check_model_name
from trailmark.sdk.artifacts import download_entries, verify_entries
from trailmark.sdk.content import ContentClient, FileSource
from trailmark.settings import ClientSettings


class ModelVersion:
    """One registered model version: its stage, aliases, source and files."""

    def __init__(self, data: dict[str, Any], client: ContentClient, cache: Path) -> None:
        self.data = data
        self._client = client
        self._cache = cache
        self._files: list[Entry] | None = None

    name = property(lambda self: self.data["model"])
    version = property(lambda self: self.data["version"])
    stage = property(lambda self: self.data["stage"])
    aliases = property(lambda self: self.data["aliases"])
    digest = property(lambda self: self.data["digest"])
    source = property(lambda self: self.data["source"])
    source_run = property(lambda self: self.data["source_run"])

    def _source(self) -> FileSource:
        return FileSource("model", self.name, None, self.version)

    @property
    def files(self) -> list[Entry]:
        """The version's manifest: path, size and sha256 of every file."""
        if self._files is None:
            self._files = self._client.files(self._source())
        return self._files

    def default_root(self) -> Path:
        return Path("models", str(self.name), f"v{self.version}")

    def download(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Fetch the files under ``root`` (``./models/NAME/vN`` by default), verified and cached.

        Example: ``tm.models.get("fraud-detector@champion").download("serving/model")``
        """
        target = Path(root) if root is not None else self.default_root()
        download_entries(self._client, self._source(), self.files, target, self._cache)
        return target

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check the files under ``root`` against the manifest; raise CorruptBlob if they differ."""
        target = Path(root) if root is not None else self.default_root()
        verify_entries(self.files, target, f"{self.name} version {self.version}")

    def __repr__(self) -> str:
        aliases = "".join(f" @{a}" for a in self.aliases)
        return f"<ModelVersion {self.name} v{self.version} {self.stage}{aliases}>"


@contextlib.contextmanager
def _client(
    url: str | None, dir: str | os.PathLike[str] | None
) -> Iterator[tuple[ContentClient, Path]]:
    """The registry client: explicit arguments, else the current run's, else the settings'."""
    from trailmark.sdk.init import get_current_run
    from trailmark.sdk.uploader import client_for

    run = get_current_run()
    if url is None and dir is None and run is not None and run._content is not None:
        yield run._content.client(), run._content.cache_dir
        return
    cfg = ClientSettings.from_env()
    data_dir = Path(dir).expanduser() if dir is not None else cfg.data_dir
    client = client_for(
        url if url is not None else (None if dir is not None else cfg.url), data_dir
    )
    try:
        yield client, data_dir / "cache"
    finally:
        client.close()


def parse_model_ref(ref: str) -> tuple[str, str]:
    """``"name@alias"``, ``"name:3"``, ``"name:v3"`` or ``"name"`` → (name, version ref)."""
    name, sep, alias = ref.partition("@")
    if sep:
        return check_model_name(name), alias
    name, _, version = ref.partition(":")
    return check_model_name(name), version or "latest"


def get(
    ref: str, *, url: str | None = None, dir: str | os.PathLike[str] | None = None
) -> ModelVersion:
    """A version by ``"name@alias"``, ``"name:3"`` or ``"name"`` (the latest).

    Example: ``tm.models.get("fraud-detector@champion").download()``
    """
    name, version = parse_model_ref(ref)
    with _client(url, dir) as (client, cache):
        return ModelVersion(client.registry("get_version", name, version), client, cache)


def register(
    source: str,
    name: str,
    *,
    project: str | None = None,
    description: str = "",
    tags: dict[str, str] | None = None,
    url: str | None = None,
    dir: str | os.PathLike[str] | None = None,
) -> ModelVersion:
    """Register ``source`` as the next version of model ``name`` (created if new).

    ``source`` is ``"runs/RUN_ID/PATH"`` (files the run saved under PATH, or the artifact
    named PATH it produced) or ``"artifact:[PROJECT/]NAME:VERSION"``; the project defaults to
    the current run's.

    Example: ``tm.register_model("artifact:fraud-model:v3", "fraud-detector")``
    """
    from trailmark.sdk.init import get_current_run

    run = get_current_run()
    if project is None and run is not None:
        project = run.project
    with _client(url, dir) as (client, cache):
        data = client.registry(
            "create_version", name, source, project=project, description=description, tags=tags
        )
        return ModelVersion(data, client, cache)


def list_models(
    search: str | None = None, *, url: str | None = None, dir: str | os.PathLike[str] | None = None
) -> list[dict[str, Any]]:
    """Registered models (names containing ``search``), most recently changed first."""
    with _client(url, dir) as (client, _):
        return list(client.registry("list_models", search))


def versions(
    name: str, *, url: str | None = None, dir: str | os.PathLike[str] | None = None
) -> list[dict[str, Any]]:
    """Every version of a model, newest first."""
    with _client(url, dir) as (client, _):
        found, _total = client.registry("list_versions", name, 10_000, 0)
        return list(found)


def set_alias(
    name: str,
    alias: str,
    version: int | str,
    *,
    url: str | None = None,
    dir: str | os.PathLike[str] | None = None,
) -> ModelVersion:
    """Point ``alias`` (e.g. ``champion``) at ``version``, moving it atomically.

    Example: ``tm.models.set_alias("fraud-detector", "champion", 3)``
    """
    with _client(url, dir) as (client, cache):
        return ModelVersion(client.registry("set_alias", name, alias, version), client, cache)


def delete_alias(
    name: str, alias: str, *, url: str | None = None, dir: str | os.PathLike[str] | None = None
) -> None:
    """Remove an alias."""
    with _client(url, dir) as (client, _):
        client.registry("delete_alias", name, alias)


def promote(
    name: str,
    version: int | str,
    stage: str,
    *,
    archive_existing: bool | None = None,
    url: str | None = None,
    dir: str | os.PathLike[str] | None = None,
) -> ModelVersion:
    """Move a version to a stage: None, Staging, Production or Archived. Promoting to
    Production archives the version that was there unless ``archive_existing=False``.

    Example: ``tm.models.promote("fraud-detector", 3, "Production")``
    """
    if not isinstance(stage, str):
        raise InvalidInput("stage must be one of None, Staging, Production, Archived")
    with _client(url, dir) as (client, cache):
        data = client.registry("set_stage", name, version, stage, archive_existing)
        return ModelVersion(data, client, cache)


def events(
    name: str, *, url: str | None = None, dir: str | os.PathLike[str] | None = None
) -> list[dict[str, Any]]:
    """The model's history (who changed what, and when), newest first."""
    with _client(url, dir) as (client, _):
        found, _total = client.registry("events", name, 1000, 0)
        return list(found)

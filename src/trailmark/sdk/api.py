"""``trailmark.Api``: query projects, runs and metric history from Python.

Example::

    api = trailmark.Api()                       # the local data dir; or Api("http://host:5100")
    runs = api.runs("mnist", filter="config.lr < 1e-3 and summary.`train/acc` > 0.9", order="-created")
    rows = runs[0].history(keys=["train/loss"])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from trailmark.errors import InvalidInput
from trailmark.records import TEXT_TO_FLOAT
from trailmark.sdk.backends import Backend, HttpBackend, LocalBackend
from trailmark.settings import ClientSettings


def _floats(mapping: dict[str, Any]) -> dict[str, Any]:
    """Non-finite values ("NaN", "Infinity", "-Infinity") back to floats."""
    return {
        k: (TEXT_TO_FLOAT[v] if isinstance(v, str) and v in TEXT_TO_FLOAT else v)
        for k, v in mapping.items()
    }


class Api:
    """Read access to a data dir or a server."""

    def __init__(
        self,
        url: str | None = None,
        *,
        dir: str | Path | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        cfg = settings or ClientSettings.from_env()
        if url is None and dir is None:
            url = cfg.url
        self.backend: Backend
        if url:
            self.backend = HttpBackend(url)
        else:
            self.backend = LocalBackend(Path(dir).expanduser() if dir is not None else cfg.data_dir)

    def projects(self, search: str | None = None) -> list[dict[str, Any]]:
        """Every project with its run count and last activity, most recent first."""
        return self.backend.list_projects(search)

    def project(self, name: str) -> dict[str, Any]:
        return self.backend.get_project(name)

    def runs(
        self,
        project: str,
        filter: str | None = None,
        order: str | None = "-created",
        per_page: int = 500,
    ) -> Runs:
        """Runs of ``project`` matching ``filter``, in ``order``; fetched page by page.

        The filter language: ``config.lr < 1e-3 and summary.`train/acc` > 0.9``,
        ``state = "finished"``, ``"baseline" in tags``, ``name ~ "bert"``,
        ``created > "2026-01-01"``; see ``docs/filters.md``.
        """
        return Runs(self, project, filter, order, per_page)

    def run(self, path: str) -> ApiRun:
        """A run by ``"project/run_id"``."""
        if "/" not in path:
            raise InvalidInput(f"give the run as 'project/run_id', got {path!r}")
        project, run_id = path.rsplit("/", 1)
        return ApiRun(self, self.backend.get_run(project, run_id))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Runs(Sequence["ApiRun"]):
    """A lazily paged list of runs."""

    def __init__(
        self, api: Api, project: str, filter: str | None, order: str | None, per_page: int
    ):
        self._api = api
        self.project = project
        self.filter = filter
        self.order = order
        self.per_page = per_page
        self._pages: dict[int, list[ApiRun]] = {}
        self._total: int | None = None
        self._page(0)

    def _page(self, number: int) -> list[ApiRun]:
        if number not in self._pages:
            data, total = self._api.backend.search_runs(
                self.project, self.filter, self.order, self.per_page, number * self.per_page
            )
            self._total = total
            self._pages[number] = [ApiRun(self._api, d) for d in data]
        return self._pages[number]

    def __len__(self) -> int:
        assert self._total is not None
        return self._total

    @overload
    def __getitem__(self, index: int) -> ApiRun: ...
    @overload
    def __getitem__(self, index: slice) -> list[ApiRun]: ...
    def __getitem__(self, index: int | slice) -> ApiRun | list[ApiRun]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("run index out of range")
        return self._page(index // self.per_page)[index % self.per_page]

    def __iter__(self) -> Iterator[ApiRun]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<Runs {self.project} filter={self.filter!r} total={len(self)}>"


class ApiRun:
    """A run as stored: its fields, config, summary and metric history."""

    def __init__(self, api: Api, data: dict[str, Any]) -> None:
        self._api = api
        self.data = data

    id = property(lambda self: self.data["id"])
    project = property(lambda self: self.data["project"])
    name = property(lambda self: self.data["name"])
    state = property(lambda self: self.data["state"])
    tags = property(lambda self: self.data["tags"])
    notes = property(lambda self: self.data["notes"])
    group = property(lambda self: self.data["group"])
    created = property(lambda self: self.data["created"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.data["config"])

    @property
    def summary(self) -> dict[str, Any]:
        """Summary values, with non-finite metric values as floats."""
        return _floats(self.data["summary"])

    def keys(self) -> list[str]:
        """The metric keys this run has logged."""
        return [m["key"] for m in self._api.backend.metric_keys(self.project, self.id)]

    def history(
        self,
        keys: list[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        pandas: bool = False,
    ) -> Any:
        """Rows ``{"_step", "_timestamp", key: value}`` for every step in the range.

        With ``pandas=True`` a DataFrame (needs pandas installed).
        """
        rows = [
            _floats(r)
            for r in self._api.backend.history(self.project, self.id, keys, min_step, max_step)
        ]
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("history(pandas=True) needs pandas: pip install pandas") from None
        return pd.DataFrame(rows)

    def scan_history(
        self, keys: list[str] | None = None, page_size: int = 10_000
    ) -> Iterator[dict[str, Any]]:
        """Every history row, fetched ``page_size`` steps at a time."""
        last = self.data.get("last_step")
        if last is None:
            return
        start = 0
        first = min(
            (
                m["stats"].get("first_step", 0)
                for m in self._api.backend.metric_keys(self.project, self.id)
            ),
            default=0,
        )
        start = min(start, int(first))
        while start <= int(last):
            yield from self.history(keys, start, start + page_size - 1)
            start += page_size

    def refresh(self) -> ApiRun:
        self.data = self._api.backend.get_run(self.project, self.id)
        return self

    def update(self, **changes: Any) -> None:
        """Change name, tags, notes, state, config or summary on the stored run."""
        self.data = self._api.backend.update_run(self.project, self.id, changes)

    def delete(self) -> None:
        self._api.backend.delete_run(self.project, self.id)

    def __repr__(self) -> str:
        return f"<ApiRun {self.project}/{self.id} {self.name!r} ({self.state})>"

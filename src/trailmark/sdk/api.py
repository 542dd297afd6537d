"""``trailmark.Api``: query projects, runs and metric history from Python.

Example::

    api = trailmark.Api()                       # the local data dir; or Api("http://host:5100")
    runs = api.runs("mnist", filter="config.lr < 1e-3 and summary.`train/acc` > 0.9", order="-created")
    rows = runs[0].history(keys=["train/loss"])
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.sdk.backends import Backend, HttpBackend, LocalBackend
from trailmark.settings import ClientSettings, runtime_dir

LOG_PAGE = 10_000


def _rows_or_frame(rows: list[dict[str, Any]], pandas: bool, what: str) -> Any:
    if not pandas:
        return rows
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(f"{what}(pandas=True) needs pandas: pip install pandas") from None
    return pd.DataFrame(rows)


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
            self.backend = HttpBackend(url, api_key=cfg.api_key)
        else:
            data_dir = Path(dir).expanduser() if dir is not None else cfg.data_dir
            _wait_for_local_ingest(data_dir, cfg)
            self.backend = LocalBackend(data_dir)

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
        return ApiRun(self, self.backend.get_run(project, run_id), complete=True)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wait_for_local_ingest(data_dir: Path, cfg: ClientSettings) -> None:
    """Wait until the runs that finished in ``data_dir`` are stored: a local run's
    ``finish()`` hands what is left to the ingest service and returns before it is stored
    (:mod:`trailmark.sdk.local_ingest.adopt`)."""
    from trailmark.sdk.local_ingest.adopt import wait_until_stored

    service_dir = cfg.runtime_dir or runtime_dir(os.environ)
    wait_until_stored(data_dir, service_dir, cfg.finish_timeout)


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
    """A run as stored: its fields, config, summary, metadata, metric history and console."""

    def __init__(self, api: Api, data: dict[str, Any], complete: bool = False) -> None:
        self._api = api
        self.data = data
        # Run lists leave out bulky metadata (the diff, the package list); api.run() has it.
        self._complete = complete

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
        return rec.floats_back(self.data["summary"])

    @property
    def metadata(self) -> dict[str, Any]:
        """Where and how the run ran: ``git`` (commit, branch, remote, dirty, diff),
        ``program``/``args``/``command``, ``environment`` (Python, platform, packages,
        selected environment variables), ``host`` (hostname, CPUs, memory, GPUs, driver,
        CUDA), and for distributed runs ``ranks``; a forked run has ``fork``."""
        if not self._complete:
            self.refresh()
        return dict(self.data["metadata"])

    def keys(self, rank: int | None = None) -> list[str]:
        """The metric keys this run has logged (of ``rank``, for a distributed run).

        System metrics are not among them: see :meth:`system_metrics`.
        """
        wanted = None if rec.is_primary(rank) else rank
        found = []
        for m in self._api.backend.metric_keys(self.project, self.id):
            base, owner = rec.split_rank_key(m["key"])
            if owner == wanted and not rec.is_system_key(m["key"]):
                found.append(base)
        return found

    def history(
        self,
        keys: list[str] | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
        pandas: bool = False,
        rank: int | None = None,
    ) -> Any:
        """Rows ``{"_step", "_timestamp", key: value}`` for every step in the range.

        Without ``keys``, every metric of the run (system metrics aside). For a distributed
        run, ``rank=3`` gives rank 3's series under their plain names; by default, rank 0's.
        With ``pandas=True`` a DataFrame (needs pandas installed).
        """
        rows = self._api.backend.history(self.project, self.id, keys, min_step, max_step, rank)
        return _rows_or_frame(rows, pandas, "history")

    def system_metrics(self, rank: int | None = None, pandas: bool = False) -> Any:
        """Rows of system metrics ``{"_timestamp", "_runtime", "system/...": value}``.

        ``_runtime`` is seconds since the run was created (``_step`` is the same in
        milliseconds). GPUs are ``system/gpu.<i>.*``. Without ``rank`` every process's and
        node's series are there (another rank's as ``key@rank<r>``); with ``rank``, that
        one's under plain names.
        """
        wanted = None if rank is None else (None if rec.is_primary(rank) else rank)
        keys = []
        for m in self._api.backend.metric_keys(self.project, self.id):
            base, owner = rec.split_rank_key(m["key"])
            if rec.is_system_key(m["key"]) and (rank is None or owner == wanted):
                keys.append(m["key"] if rank is None else base)
        rows = []
        if keys:
            found = self._api.backend.history(self.project, self.id, keys, None, None, rank)
            for row in found:
                row["_runtime"] = row["_step"] / 1000.0
                rows.append(row)
        return _rows_or_frame(rows, pandas, "system_metrics")

    def logs(
        self,
        stream: str | None = None,
        search: str | None = None,
        tail: int | None = None,
        rank: int | None = None,
    ) -> list[dict[str, Any]]:
        """Console lines ``{"n", "time", "stream", "rank", "text"}`` in the order written.

        ``stream``: ``"stdout"`` or ``"stderr"``; ``search``: a case-insensitive substring;
        ``tail=100``: the last 100 lines only; ``rank``: one process of a distributed run.

        Example::

            for line in api.run("mnist/abc123").logs(stream="stderr", tail=20):
                print(line["text"])
        """
        backend, project = self._api.backend, self.project
        if tail is not None:
            lines: list[dict[str, Any]] = []
            before = None
            while len(lines) < tail:
                want = min(LOG_PAGE, tail - len(lines))
                page = backend.logs(
                    project,
                    self.id,
                    before=before,
                    limit=want,
                    search=search,
                    stream=stream,
                    rank=rank,
                    tail=True,
                )["lines"]
                lines[:0] = page
                if len(page) < want:
                    break
                before = page[0]["n"]
            return lines
        lines, after = [], None
        while True:
            answer = backend.logs(
                project,
                self.id,
                after=after,
                limit=LOG_PAGE,
                search=search,
                stream=stream,
                rank=rank,
            )
            lines.extend(answer["lines"])
            if answer["next"] is None:
                return lines
            after = answer["next"]

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
        self._complete = True
        return self

    def update(self, **changes: Any) -> None:
        """Change name, tags, notes, state, config or summary on the stored run."""
        self.data = self._api.backend.update_run(self.project, self.id, changes)
        self._complete = True

    def delete(self) -> None:
        self._api.backend.delete_run(self.project, self.id)

    def __repr__(self) -> str:
        return f"<ApiRun {self.project}/{self.id} {self.name!r} ({self.state})>"

"""Where ``Api`` reads from: the store in a data dir, or a server's REST API.

Both return the same JSON objects (the REST API's), so ``Api`` has one code path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from trailmark.client import Client, quote
from trailmark.records import floats_back


class Backend(Protocol):
    def list_projects(self, search: str | None) -> list[dict[str, Any]]: ...
    def get_project(self, name: str) -> dict[str, Any]: ...
    def search_runs(
        self, project: str, filter: str | None, order: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]: ...
    def get_run(self, project: str, run_id: str) -> dict[str, Any]: ...
    def update_run(self, project: str, run_id: str, changes: dict[str, Any]) -> dict[str, Any]: ...
    def delete_run(self, project: str, run_id: str) -> None: ...
    def metric_keys(self, project: str, run_id: str) -> list[dict[str, Any]]: ...
    def history(
        self,
        project: str,
        run_id: str,
        keys: list[str] | None,
        min_step: int | None,
        max_step: int | None,
        rank: int | None = None,
    ) -> list[dict[str, Any]]: ...
    def logs(
        self,
        project: str,
        run_id: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 1000,
        search: str | None = None,
        stream: str | None = None,
        rank: int | None = None,
        tail: bool = False,
    ) -> dict[str, Any]:
        """One page of console lines: ``{"lines": [...], "next": n | None}``."""
        ...

    def close(self) -> None: ...


class LocalBackend:
    """Reads the store in a data dir directly (no server needed)."""

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        from trailmark.store.store import Store

        self.store = Store.open(db_url, data_dir)

    def list_projects(self, search: str | None) -> list[dict[str, Any]]:
        return self.store.runs.list_projects(search)

    def get_project(self, name: str) -> dict[str, Any]:
        return self.store.runs.get_project(name)

    def search_runs(
        self, project: str, filter: str | None, order: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        return self.store.runs.search_runs(project, filter, order, limit, offset)

    def get_run(self, project: str, run_id: str) -> dict[str, Any]:
        return self.store.runs.get_run(project, run_id)

    def update_run(self, project: str, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.store.runs.update_run(project, run_id, changes)

    def delete_run(self, project: str, run_id: str) -> None:
        self.store.runs.delete_run(project, run_id)

    def metric_keys(self, project: str, run_id: str) -> list[dict[str, Any]]:
        self.store.runs.get_run(project, run_id)
        return self.store.metrics.keys(run_id)

    def history(
        self,
        project: str,
        run_id: str,
        keys: list[str] | None,
        min_step: int | None,
        max_step: int | None,
        rank: int | None = None,
    ) -> list[dict[str, Any]]:
        return self.store.metrics.history(
            run_id, keys, min_step, max_step, rank=rank, project=project
        )

    def logs(
        self,
        project: str,
        run_id: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 1000,
        search: str | None = None,
        stream: str | None = None,
        rank: int | None = None,
        tail: bool = False,
    ) -> dict[str, Any]:
        self.store.runs.get_run(project, run_id)
        return self.store.console.lines(
            run_id,
            after=after,
            before=before,
            limit=limit,
            search=search,
            stream=stream,
            rank=rank,
            tail=tail,
        )

    def close(self) -> None:
        self.store.close()


class HttpBackend:
    """Reads a Trailmark server through its REST API."""

    def __init__(self, url: str, timeout: float = 60.0, api_key: str | None = None) -> None:
        from trailmark.credentials import auth_for, sign_in_errors

        self.client = Client(
            url, timeout=timeout, auth=auth_for(url, api_key), errors=sign_in_errors(url)
        )

    def _run_path(self, project: str, run_id: str) -> str:
        return f"/api/v1/projects/{quote(project)}/runs/{quote(run_id)}"

    def list_projects(self, search: str | None) -> list[dict[str, Any]]:
        return list(self.client.request_json("GET", "/api/v1/projects", search=search)["projects"])

    def get_project(self, name: str) -> dict[str, Any]:
        return dict(self.client.request_json("GET", f"/api/v1/projects/{quote(name)}"))

    def search_runs(
        self, project: str, filter: str | None, order: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        body = {"filter": filter, "order": order, "limit": limit, "offset": offset}
        page = self.client.request_json(
            "POST", f"/api/v1/projects/{quote(project)}/runs/search", body
        )
        return list(page["runs"]), int(page["total"])

    def get_run(self, project: str, run_id: str) -> dict[str, Any]:
        return dict(self.client.request_json("GET", self._run_path(project, run_id)))

    def update_run(self, project: str, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.request_json("PATCH", self._run_path(project, run_id), changes))

    def delete_run(self, project: str, run_id: str) -> None:
        self.client.request_json("DELETE", self._run_path(project, run_id))

    def metric_keys(self, project: str, run_id: str) -> list[dict[str, Any]]:
        return list(
            self.client.request_json("GET", self._run_path(project, run_id) + "/metrics")["metrics"]
        )

    def history(
        self,
        project: str,
        run_id: str,
        keys: list[str] | None,
        min_step: int | None,
        max_step: int | None,
        rank: int | None = None,
    ) -> list[dict[str, Any]]:
        answer = self.client.request_json(
            "GET",
            self._run_path(project, run_id) + "/history",
            keys=keys,
            min_step=min_step,
            max_step=max_step,
            rank=rank,
        )
        return [floats_back(row) for row in answer["rows"]]

    def logs(
        self,
        project: str,
        run_id: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 1000,
        search: str | None = None,
        stream: str | None = None,
        rank: int | None = None,
        tail: bool = False,
    ) -> dict[str, Any]:
        return dict(
            self.client.request_json(
                "GET",
                self._run_path(project, run_id) + "/logs",
                after=after,
                before=before,
                limit=limit,
                search=search,
                stream=stream,
                rank=rank,
                tail="true" if tail else None,
            )
        )

    def close(self) -> None:
        self.client.close()

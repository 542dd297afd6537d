"""Docs that restate code, generated from it: settings, CLI help, REST routes (from the app's
OpenAPI document), filter language.

``make docs`` writes them; ``tests/test_docs.py`` fails when a checked-in copy is stale.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from trailmark.settings import CLIENT_SETTINGS, OTHER_VARIABLES, SYNC_SETTINGS, Setting

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _settings_table(settings: tuple[Setting, ...]) -> list[str]:
    lines = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    lines += [f"| `{s.name}` | `{s.env}` | `{s.default}` | {s.help} |" for s in settings]
    return lines


def settings_md() -> str:
    from trailmark.server.settings import SERVER_SETTINGS

    parts = [
        "# Settings",
        "",
        "Generated from `trailmark.settings` and `trailmark.server.settings` by `make docs`.",
        "Each is read once, where the program starts; arguments to `init()` or command-line",
        "flags win over the environment.",
        "",
        "## Training scripts (the SDK)",
        "",
        *_settings_table(CLIENT_SETTINGS),
        "",
        "## The server (`trailmark server`, `trailmark ui`)",
        "",
        "Each is also the command's option of the same name (`data_dir`: `--data-dir`).",
        "",
        *_settings_table(SERVER_SETTINGS),
        "",
        "## `trailmark sync`",
        "",
        *_settings_table(SYNC_SETTINGS),
        "",
        "## Read from the environment, set by others",
        "",
        "| environment variables | what Trailmark does with them |",
        "|---|---|",
        *[f"| {', '.join(f'`{n}`' for n in v.names)} | {v.help} |" for v in OTHER_VARIABLES],
        "",
    ]
    return "\n".join(parts)


def cli_md() -> str:
    from trailmark.cli.main import main

    parts = [
        "# The `trailmark` command",
        "",
        "Generated from the command's own help by `make docs`.",
        "",
    ]
    ctx = click.Context(main, info_name="trailmark", terminal_width=100)
    parts += ["```", main.get_help(ctx), "```", ""]
    for name in sorted(main.list_commands(ctx)):
        command = main.get_command(ctx, name)
        assert command is not None
        sub = click.Context(command, info_name=f"trailmark {name}", parent=ctx, terminal_width=100)
        parts += [f"## trailmark {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(parts)


def _openapi() -> dict[str, Any]:
    """The server's own OpenAPI document (an app over a scratch data dir, never served)."""
    from trailmark.server.app import create_app
    from trailmark.server.settings import ServerSettings

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(ServerSettings(data_dir=Path(scratch)))
        try:
            return app.openapi()
        finally:
            app.state.store.close()


def _mlflow_paths() -> set[str]:
    """The paths of the MLflow-compatible routes: those of ``routers.MLFLOW_ROUTERS``."""
    from fastapi.routing import iter_route_contexts

    from trailmark.server.routers import MLFLOW_ROUTERS

    return {
        str(context.path_format)
        for router in MLFLOW_ROUTERS
        for context in iter_route_contexts(router.routes)
        if context.path_format
    }


def _route_rows(paths: dict[str, Any]) -> list[str]:
    rows = ["| method | path | what it does |", "|---|---|---|"]
    for path, methods in paths.items():
        for method, op in methods.items():
            text = (op.get("description") or op.get("summary") or "").strip().split("\n")[0]
            rows.append(f"| {method.upper()} | `{path}` | {text} |")
    return rows


def routes_md() -> str:
    paths = _openapi()["paths"]
    mlflow = _mlflow_paths()
    native = {p: ops for p, ops in paths.items() if p not in mlflow}
    lines = [
        "# REST API routes",
        "",
        "Generated from the server's OpenAPI document by `make docs`. The full schema is",
        "served at `/api/v1/openapi.json`. Errors are",
        '`{"error": {"code": ..., "message": ...}}` with the HTTP status of the error.',
        "",
        *_route_rows(native),
        "",
        "## MLflow-compatible API",
        "",
        "MLflow clients (`MLFLOW_TRACKING_URI=http://host:5100`) use these routes. Errors are",
        'MLflow\'s `{"error_code": ..., "message": ...}`; any other path under `/api/2.0/mlflow`',
        "answers `ENDPOINT_NOT_FOUND` (404).",
        "",
        *_route_rows({p: ops for p, ops in paths.items() if p in mlflow}),
        "",
    ]
    return "\n".join(lines)


def filters_md() -> str:
    from trailmark.store.filters import FILTER_HELP

    return "\n".join(
        [
            "# The filter language",
            "",
            "Generated from `trailmark.store.filters.FILTER_HELP` by `make docs`. Used by",
            "`Api.runs(filter=..., order=...)` and `GET /api/v1/projects/{project}/runs?filter=...&order=...`.",
            "",
            "```",
            FILTER_HELP,
            "```",
            "",
        ]
    )


GENERATED = {
    "settings.md": settings_md,
    "cli.md": cli_md,
    "routes.md": routes_md,
    "filters.md": filters_md,
}


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, render in GENERATED.items():
        (DOCS / name).write_text(render())
        print(f"wrote docs/{name}")


if __name__ == "__main__":
    main()

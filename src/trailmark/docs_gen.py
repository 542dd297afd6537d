"""Docs that restate code, generated from it: settings, CLI help, REST routes, filter language.

``make docs`` writes them; ``tests/test_docs.py`` fails when a checked-in copy is stale.
"""

from __future__ import annotations

from pathlib import Path

import click

from trailmark.settings import CLIENT_SETTINGS, Setting

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
        *_settings_table(SERVER_SETTINGS),
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


def routes_md() -> str:
    from fastapi.openapi.utils import get_openapi

    from trailmark.server.routes import (
        artifacts,
        blobs,
        charts,
        files,
        ingest,
        lineage,
        logs,
        metrics,
        previews,
        projects,
        registry,
        runs,
        webhooks,
    )

    routers = [
        projects.router,
        runs.router,
        metrics.router,
        logs.router,
        charts.router,
        ingest.router,
        blobs.router,
        artifacts.router,
        files.router,
        registry.router,
        previews.router,
        webhooks.router,
        lineage.router,
    ]
    routes = [r for router in routers for r in router.routes]
    openapi = get_openapi(title="Trailmark", version="", routes=routes)
    lines = [
        "# REST API routes",
        "",
        "Generated from the server's routes by `make docs`. The full schema is served at",
        "`/api/v1/openapi.json`. Errors are",
        '`{"error": {"code": ..., "message": ...}}` with the HTTP status of the error.',
        "",
        "| method | path | what it does |",
        "|---|---|---|",
    ]
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            text = (op.get("description") or op.get("summary") or "").strip().split("\n")[0]
            lines.append(f"| {method.upper()} | `{path}` | {text} |")
    lines += ["| GET | `/health` | Liveness: status, version and database kind. |", ""]
    lines += mlflow_routes_md()
    return "\n".join(lines)


def mlflow_routes_md() -> list[str]:
    """The MLflow-compatible routes (``trailmark.server.mlflow``), in their own table."""
    from fastapi.openapi.utils import get_openapi

    from trailmark.server.mlflow import (
        artifacts,
        experiments,
        logged_models,
        metrics,
        registry,
        runs,
    )

    routers = [
        experiments.router,
        runs.router,
        metrics.router,
        artifacts.router,
        logged_models.router,
        registry.router,
    ]
    routes = [r for router in routers for r in router.routes]
    openapi = get_openapi(title="Trailmark MLflow API", version="", routes=routes)
    lines = [
        "## MLflow-compatible API",
        "",
        "MLflow clients (`MLFLOW_TRACKING_URI=http://host:5100`) use these routes. Errors are",
        'MLflow\'s `{"error_code": ..., "message": ...}`; any other path under `/api/2.0/mlflow`',
        "answers `ENDPOINT_NOT_FOUND` (404).",
        "",
        "| method | path | what it does |",
        "|---|---|---|",
    ]
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            text = (op.get("description") or op.get("summary") or "").strip().split("\n")[0]
            lines.append(f"| {method.upper()} | `{path}` | {text} |")
    return [*lines, ""]


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

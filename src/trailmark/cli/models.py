"""``trailmark models ls | show NAME | promote NAME VERSION STAGE | alias NAME ALIAS VERSION``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from trailmark.errors import TrailmarkError
from trailmark.sdk.content import ContentClient
from trailmark.settings import ClientSettings

URL_HELP = "Server (default: $TRAILMARK_URL; without one, the local data dir)."
DIR_HELP = "Data dir (default: $TRAILMARK_DIR or ~/.trailmark)."


@contextmanager
def _registry(url: str | None, data_dir: str | None) -> Iterator[ContentClient]:
    from trailmark.sdk.uploader import client_for

    cfg = ClientSettings.from_env()
    directory = Path(data_dir).expanduser() if data_dir else cfg.data_dir
    client = client_for(url or (None if data_dir else cfg.url), directory)
    try:
        yield client
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        client.close()


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


def _options(fn: Any) -> Any:
    fn = click.option("--data-dir", help=DIR_HELP)(fn)
    return click.option("--url", help=URL_HELP)(fn)


@click.group("models")
def models_group() -> None:
    """The model registry: registered models, versions, aliases and stages."""


@models_group.command("ls")
@click.option("--search", help="Only models whose name contains this.")
@_options
def ls(search: str | None, url: str | None, data_dir: str | None) -> None:
    """List registered models."""
    with _registry(url, data_dir) as client:
        models = client.registry("list_models", search)
    if not models:
        click.echo("No registered models.")
        return
    rows = []
    for m in models:
        aliases = ", ".join(f"@{a}=v{v}" for a, v in m["aliases"].items())
        production = ",".join(f"v{v}" for v in m["stages"].get("Production", []))
        rows.append(
            [
                m["name"],
                str(m["version_count"]),
                production or "-",
                aliases or "-",
                _when(m["updated"]),
            ]
        )
    _table(rows, ["NAME", "VERSIONS", "PRODUCTION", "ALIASES", "UPDATED"])


@models_group.command("show")
@click.argument("name")
@_options
def show(name: str, url: str | None, data_dir: str | None) -> None:
    """Show a model: description, tags, versions with stage, aliases and source."""
    with _registry(url, data_dir) as client:
        model = client.registry("get_model", name)
        versions, _ = client.registry("list_versions", name, 10_000, 0)
        events, _ = client.registry("events", name, 5, 0)
    click.echo(f"{model['name']}: {model['description'] or '(no description)'}")
    for key, value in sorted(model["tags"].items()):
        click.echo(f"  {key} = {value}")
    rows = [
        [
            f"v{v['version']}",
            v["stage"],
            ", ".join(f"@{a}" for a in v["aliases"]) or "-",
            v["source"],
            _when(v["created"]),
            v["created_by"],
        ]
        for v in versions
    ]
    if rows:
        _table(rows, ["VERSION", "STAGE", "ALIASES", "SOURCE", "CREATED", "BY"])
    if events:
        click.echo("Recent changes:")
        for e in events:
            click.echo(
                f"  {_when(e['created'])} {e['user']}: {e['kind']} v{e['version']} {e['data']}"
            )


@models_group.command("promote")
@click.argument("name")
@click.argument("version")
@click.argument(
    "stage", type=click.Choice(["None", "Staging", "Production", "Archived"], case_sensitive=False)
)
@click.option(
    "--keep-existing",
    is_flag=True,
    help="Do not archive the versions already in the stage (by default promoting to "
    "Production archives the previous Production version).",
)
@_options
def promote(
    name: str, version: str, stage: str, keep_existing: bool, url: str | None, data_dir: str | None
) -> None:
    """Move VERSION of model NAME to STAGE."""
    archive = False if keep_existing else None
    with _registry(url, data_dir) as client:
        result = client.registry("set_stage", name, version, stage, archive)
    click.echo(f"{name} v{result['version']} is now in {result['stage']}")


@models_group.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@_options
def alias(name: str, alias: str, version: str, url: str | None, data_dir: str | None) -> None:
    """Point ALIAS (e.g. champion) of model NAME at VERSION."""
    with _registry(url, data_dir) as client:
        result = client.registry("set_alias", name, alias, version)
    click.echo(f"{name}@{alias} -> v{result['version']}")

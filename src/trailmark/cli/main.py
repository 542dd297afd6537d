"""The ``trailmark`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trailmark._version import __version__
from trailmark.cli.gc import gc_command
from trailmark.cli.importer import import_group
from trailmark.cli.models import models_group
from trailmark.errors import TrailmarkError
from trailmark.settings import ClientSettings

F = TypeVar("F", bound=Callable[..., Any])

DATA_DIR_HELP = "Data dir (default: $TRAILMARK_DIR or ~/.trailmark)."


def _data_dir(value: str | None) -> Path:
    return Path(value).expanduser() if value else ClientSettings.from_env().data_dir


@click.group()
@click.version_option(__version__, prog_name="trailmark")
def main() -> None:
    """Trailmark: experiment tracking, artifacts and model registry on your own machines."""


def _serve(
    host: str,
    port: int,
    db: str | None,
    data_dir: str | None,
    insecure_allow_remote: bool,
    blobs: str | None = None,
    webhooks_allow_private: bool = False,
    allowed_host: tuple[str, ...] = (),
) -> None:
    import uvicorn

    from trailmark.server.app import create_app
    from trailmark.server.hosts import parse_allowed_hosts
    from trailmark.server.settings import ServerSettings

    settings = ServerSettings(
        data_dir=_data_dir(data_dir),
        db_url=db,
        host=host,
        port=port,
        insecure_allow_remote=insecure_allow_remote,
        blobs=blobs,
        webhooks_allow_private=webhooks_allow_private,
        allowed_hosts=parse_allowed_hosts(allowed_host),
        dedicated_process=True,
    )
    try:
        settings.check_bind()
        app = create_app(settings)
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    where = db or f"{settings.data_dir}"
    click.echo(f"Trailmark {__version__} serving {where} at http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _server_options(default_port: int = 5100) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        fn = click.option(
            "--allowed-host",
            multiple=True,
            envvar="TRAILMARK_ALLOWED_HOSTS",
            help="A host name to answer to besides localhost, 127.0.0.1, [::1] and --host "
            "(DNS-rebinding protection), e.g. the name a reverse proxy forwards; repeatable.",
        )(fn)
        fn = click.option(
            "--webhooks-allow-private",
            is_flag=True,
            envvar="TRAILMARK_WEBHOOKS_ALLOW_PRIVATE",
            help="Let webhooks reach loopback, private and link-local addresses.",
        )(fn)
        fn = click.option(
            "--blobs",
            envvar="TRAILMARK_BLOBS",
            help="Where file contents go: s3://bucket/prefix (credentials and endpoint from the "
            "usual AWS settings, e.g. AWS_ENDPOINT_URL) or a folder. Default: DATA_DIR/blobs.",
        )(fn)
        fn = click.option(
            "--insecure-allow-remote",
            is_flag=True,
            envvar="TRAILMARK_INSECURE_ALLOW_REMOTE",
            help="Allow a non-loopback bind without authentication.",
        )(fn)
        fn = click.option("--data-dir", envvar="TRAILMARK_DIR", help=DATA_DIR_HELP)(fn)
        fn = click.option(
            "--port", default=default_port, show_default=True, envvar="TRAILMARK_PORT", type=int
        )(fn)
        fn = click.option(
            "--host", default="127.0.0.1", show_default=True, envvar="TRAILMARK_HOST"
        )(fn)
        return fn

    return decorate


@main.command()
@_server_options()
@click.option(
    "--db",
    envvar="TRAILMARK_DB",
    help="Database URL (postgresql://... or sqlite:///...). Default: SQLite in the data dir.",
)
def server(
    host: str,
    port: int,
    db: str | None,
    data_dir: str | None,
    insecure_allow_remote: bool,
    blobs: str | None,
    webhooks_allow_private: bool,
    allowed_host: tuple[str, ...],
) -> None:
    """Run the tracking server (REST API at /api/v1, MLflow-compatible API at /api/2.0/mlflow)."""
    _serve(
        host,
        port,
        db,
        data_dir,
        insecure_allow_remote,
        blobs,
        webhooks_allow_private,
        allowed_host=allowed_host,
    )


@main.command()
@_server_options()
def ui(
    host: str,
    port: int,
    data_dir: str | None,
    insecure_allow_remote: bool,
    blobs: str | None,
    webhooks_allow_private: bool,
    allowed_host: tuple[str, ...],
) -> None:
    """Serve the local data dir (what runs logged without a server wrote)."""
    _serve(
        host,
        port,
        None,
        data_dir,
        insecure_allow_remote,
        blobs,
        webhooks_allow_private,
        allowed_host=allowed_host,
    )


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--url",
    envvar="TRAILMARK_SYNC_URL",
    help="Server to ship to (default: where each run was headed).",
)
@click.option("--data-dir", help=DATA_DIR_HELP)
def sync(paths: tuple[Path, ...], url: str | None, data_dir: str | None) -> None:
    """Ship offline or leftover spools (default: every spool in the data dir). Safe to repeat."""
    from trailmark.sdk.sync import find_spools, sync_spool

    roots = list(paths) or [_data_dir(data_dir) / "spool"]
    spools = find_spools(roots)
    if not spools:
        click.echo("Nothing to sync.")
        return
    failed = False
    for path in spools:
        try:
            result = sync_spool(path, url, Path(data_dir).expanduser() if data_dir else None)
        except (ValueError, OSError) as exc:
            click.echo(f"{path}: cannot read this spool: {exc}", err=True)
            failed = True
            continue
        line = f"{result.project}/{result.run}: shipped {result.shipped} records to {result.destination}"
        if result.rejected:
            line += f", {result.rejected} refused (see {path.with_suffix('.rejected')})"
        if result.marked_crashed:
            line += "; its process had died, so the run is marked crashed"
        if result.remaining:
            failed = True
            line += f"; {result.remaining} left ({result.error}) - run sync again"
        click.echo(line)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--data-dir", help=DATA_DIR_HELP)
@click.option("--runs", default=6, show_default=True, help="How many demo runs to log.")
def demo(data_dir: str | None, runs: int) -> None:
    """Log a small demo project (a toy training loop with different hyperparameters)."""
    from trailmark.demo import log_demo_project

    directory = _data_dir(data_dir)
    log_demo_project(directory, runs)
    click.echo(f"Logged {runs} runs to project 'demo' in {directory}")


main.add_command(import_group)
main.add_command(models_group)
main.add_command(gc_command)

if __name__ == "__main__":
    main()

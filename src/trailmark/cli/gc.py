"""``trailmark gc``: free stored file contents nothing references any more."""

from __future__ import annotations

from pathlib import Path

import click

from trailmark.cli.options import setting_options
from trailmark.errors import TrailmarkError
from trailmark.server.settings import SERVER_SETTINGS
from trailmark.settings import ClientSettings


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1024
    return f"{n} B"


@click.command("gc")
@click.option("--delete", "delete_now", is_flag=True, help="Delete (default: only report).")
@setting_options(SERVER_SETTINGS, only=("db", "data_dir", "blobs"))
@click.option(
    "--grace",
    default=3600.0,
    show_default=True,
    help="Seconds a content must have been unreferenced and untouched before it is freed.",
)
def gc_command(
    delete_now: bool, db: str | None, data_dir: str | None, blobs: str | None, grace: float
) -> None:
    """Find file contents that no artifact, model version or run file references (a dry run
    unless --delete), and abandoned uploads. Safe while the server runs."""
    from trailmark.blobs.location import open_blob_store
    from trailmark.store.gc import collect_garbage
    from trailmark.store.store import Store

    directory = Path(data_dir).expanduser() if data_dir else ClientSettings.from_env().data_dir
    try:
        store = Store.open(db, directory, open_blob_store(blobs, directory))
        try:
            report = collect_garbage(store.db, store.blobs, delete_now=delete_now, grace=grace)
        finally:
            store.close()
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    verb = "Freed" if delete_now else "Would free"
    click.echo(
        f"{verb} {_size(report.bytes)} in {len(report.blobs) + len(report.orphans)} blobs "
        f"({len(report.orphans)} not in the index), {report.manifests} unused manifests and "
        f"{report.sessions} abandoned uploads from {store.blobs.description}."
    )
    if not delete_now and (report.blobs or report.orphans or report.sessions):
        click.echo("Run `trailmark gc --delete` to free them.")

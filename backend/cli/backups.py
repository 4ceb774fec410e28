"""``faregate backup`` and ``faregate restore``: the configured database to one file and back.

Backups go to ``--output`` (a file, or a folder to name the file in), else to the folder
``--directory`` (``FAREGATE_BACKUP_DIR``, by default ``var/backups`` under the working
directory) under a name holding the UTC time. PostgreSQL backups need the client programs
(``pg_dump``; ``pg_restore`` and ``psql`` to restore) of the server's major version or newer:
from the PATH, or from ``--pg-bindir`` (``FAREGATE_PG_BINDIR``).
"""

from __future__ import annotations

from pathlib import Path

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.services import backups

DEFAULT_DIRECTORY = Path("var/backups")

_pg_bindir = click.option(
    "--pg-bindir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FAREGATE_PG_BINDIR",
    help="Folder of pg_dump, pg_restore and psql (default: found on the PATH).",
)


def _target(ctx: CliContext, pg_bindir: Path | None) -> backups.Target:
    settings = ctx.settings
    return backups.target_of(
        settings.database_url,
        connect_timeout_s=settings.db_connect_timeout_s,
        pg_bindir=pg_bindir,
    )


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="File to write (or a folder to write it in); it must not exist yet.",
)
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FAREGATE_BACKUP_DIR",
    default=DEFAULT_DIRECTORY,
    show_default=True,
    help="Folder of backups named by their UTC time, used without --output.",
)
@_pg_bindir
@pass_context
def backup(ctx: CliContext, output: Path | None, directory: Path, pg_bindir: Path | None) -> None:
    """Back up the configured database to one file, consistent while the server runs."""
    now = utc_now()
    target = _target(ctx, pg_bindir)
    destination = (
        output if output is not None else directory / backups.default_name(target.engine, now)
    )
    written = backups.back_up(target, destination, now=now)
    click.echo(f"backup written: {written.path}")
    click.echo(f"  size: {written.size} bytes")
    click.echo(f"  engine: {written.engine}")
    click.echo(f"  schema revision: {', '.join(written.revisions)}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace the content of a database that already holds Faregate tables.",
)
@_pg_bindir
@pass_context
def restore(ctx: CliContext, file: Path, force: bool, pg_bindir: Path | None) -> None:
    """Restore FILE, a backup made by `faregate backup`, into the configured database.

    All or nothing: when anything fails, the database is left as it was. Stop the server
    (and the job runner) first.
    """
    restored = backups.restore(_target(ctx, pg_bindir), file, force=force)
    revision = ", ".join(restored.revisions) or "none"
    replaced = f", replacing {restored.replaced} tables" if restored.replaced else ""
    click.echo(f"restored {restored.path} into the {restored.engine} database{replaced}")
    click.echo(f"  schema revision: {revision}")
    if restored.state == "behind":
        click.echo(
            "  the backup is older than this version of Faregate: "
            "run `faregate db upgrade` before starting the server"
        )
    elif restored.state == "unknown":
        click.echo(
            "  warning: this version of Faregate does not know that revision; the backup "
            "was made by a newer Faregate, which the server must run"
        )

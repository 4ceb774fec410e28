"""The ``faregate`` command: serve the app and run operator tasks."""

from __future__ import annotations

import click

from backend.cli.backups import backup, restore
from backend.cli.check import check
from backend.cli.context import CliContext, FaregateGroup
from backend.cli.database import db_group
from backend.cli.feeds import gtfs_group
from backend.cli.jobs import jobs
from backend.cli.keys import keys_group
from backend.cli.reconcile import reconcile
from backend.cli.serve import serve
from backend.cli.settings import config_group
from backend.cli.tokens import token_group
from backend.cli.travelers import travelers_group
from backend.cli.trips import trips_group
from backend.cli.users import user_group
from backend.cli.vehicles import vehicles_group


@click.group(cls=FaregateGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="FAREGATE_CONFIG",
    help="Settings file (default: config/faregate.toml when present).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Faregate transit fare and reservation server."""
    ctx.obj = CliContext(config_path)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(db_group)
cli.add_command(user_group)
cli.add_command(gtfs_group)
cli.add_command(token_group)
cli.add_command(serve)
cli.add_command(jobs)
cli.add_command(config_group)
cli.add_command(keys_group)
cli.add_command(reconcile)
cli.add_command(vehicles_group)
cli.add_command(trips_group)
cli.add_command(travelers_group)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(check)


def main() -> None:
    """Console-script entry point."""
    cli()

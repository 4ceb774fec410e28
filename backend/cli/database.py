"""``faregate db``: apply and inspect schema migrations."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError

from backend import schema
from backend.cli.context import CliContext, pass_context
from backend.errors import ServiceError


@click.group("db")
def db_group() -> None:
    """Database schema migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_context
def upgrade(ctx: CliContext, revision: str) -> None:
    """Apply migrations up to REVISION (does nothing when already there)."""
    engine = ctx.database.engine
    try:
        before = schema.current_revisions(engine)
        schema.upgrade(engine, revision)
        after = schema.current_revisions(engine)
    except OperationalError as exc:
        raise _unreachable(exc) from exc
    if before == after:
        click.echo(f"database already at {_label(after)}")
    else:
        click.echo(f"database upgraded from {_label(before)} to {_label(after)}")


@db_group.command("current")
@pass_context
def current(ctx: CliContext) -> None:
    """Show the database's revision and whether it is at the head."""
    try:
        revisions = schema.current_revisions(ctx.database.engine)
    except OperationalError as exc:
        raise _unreachable(exc) from exc
    heads = schema.head_revisions()
    state = "head" if revisions == heads else f"behind head {_label(heads)}"
    click.echo(f"{_label(revisions)} ({state})")


def _label(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) if revisions else "no revision (empty database)"


def _unreachable(exc: OperationalError) -> ServiceError:
    return ServiceError("database_unreachable", f"cannot reach the database: {exc.orig}")

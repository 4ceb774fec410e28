"""``faregate user``: staff accounts."""

from __future__ import annotations

import sys

import click

from backend.auth.roles import Role
from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.services import accounts

ROLE_CHOICE = click.Choice([role.value for role in Role])


@click.group("user")
def user_group() -> None:
    """Staff accounts (admin, planner, support)."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, required=True, help="The user's role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def create(ctx: CliContext, email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user with EMAIL (prompts for the password)."""
    password = _read_password(password_stdin)
    with ctx.session() as session:
        user = accounts.create_user(session, email, password, role, now=utc_now())
        click.echo(f"created {user.role} {user.email} (id {user.id})")


@user_group.command("list")
@pass_context
def list_users(ctx: CliContext) -> None:
    """List staff users."""
    with ctx.session() as session:
        for user in accounts.list_users(session):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}")


@user_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def set_password(ctx: CliContext, email: str, password_stdin: bool) -> None:
    """Replace the password of EMAIL."""
    password = _read_password(password_stdin)
    with ctx.session() as session:
        accounts.set_password(session, email, password)
    click.echo(f"password of {email} replaced")


@user_group.command("disable")
@click.argument("email")
@pass_context
def disable(ctx: CliContext, email: str) -> None:
    """Disable EMAIL; their tokens stop working at once."""
    _set_active(ctx, email, active=False)


@user_group.command("enable")
@click.argument("email")
@pass_context
def enable(ctx: CliContext, email: str) -> None:
    """Enable EMAIL again."""
    _set_active(ctx, email, active=True)


def _set_active(ctx: CliContext, email: str, *, active: bool) -> None:
    with ctx.session() as session:
        user = accounts.set_active(session, email, active)
    click.echo(f"{user.email} {'enabled' if active else 'disabled'}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password

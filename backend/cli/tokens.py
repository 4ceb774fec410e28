"""``faregate token``: API bearer tokens for staff."""

from __future__ import annotations

from datetime import timedelta

import click

from backend.cli.context import CliContext, pass_context
from backend.cli.users import ROLE_CHOICE
from backend.clock import utc_now
from backend.services import accounts


@click.group("token")
def token_group() -> None:
    """API bearer tokens, scoped by role and revocable."""


@token_group.command("create")
@click.option("--user", "email", required=True, help="Email of the staff user who owns it.")
@click.option("--name", required=True, help="What the token is for, e.g. 'timetable upload'.")
@click.option("--role", type=ROLE_CHOICE, help="Scope (default: the user's role).")
@click.option("--expires-days", type=click.IntRange(min=1), help="Expire after this many days.")
@pass_context
def create(
    ctx: CliContext, email: str, name: str, role: str | None, expires_days: int | None
) -> None:
    """Issue a token and print it once (only its digest is kept)."""
    now = utc_now()
    expires_at = now + timedelta(days=expires_days) if expires_days else None
    with ctx.session() as session:
        user = accounts.find_user(session, email)
        token, plaintext = accounts.create_token(
            session, user, name=name, role=role, now=now, expires_at=expires_at
        )
        click.echo(
            f"token {token.id} ({token.role}) for {user.email}; it is shown only now:", err=True
        )
        click.echo(plaintext)


@token_group.command("list")
@click.option("--user", "email", help="Only this user's tokens.")
@pass_context
def list_tokens(ctx: CliContext, email: str | None) -> None:
    """List tokens (id, prefix, role, owner, state)."""
    with ctx.session() as session:
        owner = accounts.find_user(session, email).id if email else None
        for token in accounts.list_tokens(session, owner):
            state = "revoked" if token.revoked_at else "active"
            click.echo(
                f"{token.id}\t{token.prefix}…\t{token.role}\t{token.user.email}\t{token.name}\t{state}"
            )


@token_group.command("revoke")
@click.argument("token_id", type=int)
@pass_context
def revoke(ctx: CliContext, token_id: int) -> None:
    """Revoke token TOKEN_ID; it stops working at once."""
    with ctx.session() as session:
        accounts.revoke_token(session, token_id, now=utc_now())
    click.echo(f"token {token_id} revoked")

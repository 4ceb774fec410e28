"""``faregate config``: show the effective settings and what each key means."""

from __future__ import annotations

import dataclasses

import click
from sqlalchemy.engine import make_url

from backend.cli.context import CliContext, pass_context
from backend.settings import ENV_PREFIX, SETTINGS_HELP


@click.group("config")
def config_group() -> None:
    """Server settings."""


@config_group.command("show")
@pass_context
def show(ctx: CliContext) -> None:
    """Print every setting, its effective value and its meaning (passwords hidden)."""
    for field in dataclasses.fields(ctx.settings):
        value = getattr(ctx.settings, field.name)
        if field.name == "database_url":
            value = make_url(value).render_as_string(hide_password=True)
        click.echo(f"{field.name} = {value!r}")
        click.echo(f"    {SETTINGS_HELP[field.name]} (env {ENV_PREFIX}{field.name.upper()})")

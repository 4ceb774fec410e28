"""``faregate jobs``: the job runner (APScheduler) in the foreground."""

from __future__ import annotations

import click

from backend.cli.context import CliContext, pass_context
from backend.jobs import run_jobs


@click.command("jobs")
@pass_context
def jobs(ctx: CliContext) -> None:
    """Run the periodic jobs (expired-hold sweep) until interrupted."""
    click.echo("job runner started", err=True)
    run_jobs(ctx.settings)

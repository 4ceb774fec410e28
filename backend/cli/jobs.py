"""``faregate jobs``: the job runner (APScheduler) in the foreground, and which runner leads."""

from __future__ import annotations

import click

from backend import metrics
from backend.cli.context import CliContext, pass_context
from backend.jobs import run_jobs
from backend.leadership import leader


@click.group("jobs", invoke_without_command=True)
@click.pass_context
def jobs(click_ctx: click.Context) -> None:
    """Run the periodic jobs until interrupted (only the leading runner of several runs them)."""
    if click_ctx.invoked_subcommand is None:
        click.echo("job runner started", err=True)
        context = click_ctx.find_object(CliContext)
        if context is None:  # pragma: no cover - the faregate group always sets it
            raise click.UsageError("run as `faregate jobs`")
        metrics.serve_job_runner_metrics(context.settings.jobs_metrics_bind)
        run_jobs(context.settings)


@jobs.command("leader")
@pass_context
def show_leader(ctx: CliContext) -> None:
    """Show which job runner leads (PostgreSQL; a SQLite server's runner always leads)."""
    with ctx.database.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            click.echo("SQLite: the one job runner leads")
            return
        found = leader(connection)
    if found is None:
        raise click.ClickException("no job runner leads: none is running")
    click.echo(f"{found.application_name} (database session {found.backend_pid})")

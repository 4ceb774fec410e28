"""``faregate reconcile``: reconcile validator taps now, for one travel day or the due ones."""

from __future__ import annotations

from datetime import datetime

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.errors import ConflictError
from backend.services.reconciliation import (
    DayReport,
    Outcome,
    Reconciler,
    reconcile_day,
    reconcile_due,
)


@click.command("reconcile")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Travel day YYYY-MM-DD to reconcile (again); default: the days that are due.",
)
@pass_context
def reconcile(ctx: CliContext, day: datetime | None) -> None:
    """Flag passback, pair and price account journeys, apply caps, for one travel day (again,
    replacing what an earlier run made of it) or for every day due, like the job runner."""
    reconciler = Reconciler.from_settings(ctx.settings, ctx.database)
    now = utc_now()
    if day is None:
        reports = reconcile_due(reconciler, now)
    else:
        reports = [reconcile_day(reconciler, day.date(), now)]
    for report in reports:
        click.echo(_line(report))
    if any(report.outcome is Outcome.SKIPPED_LOCKED for report in reports):
        raise ConflictError(
            "reconciliation_busy", "another server is reconciling; try again when it is done"
        )
    if not reports:
        click.echo("no travel day is due")


def _line(report: DayReport) -> str:
    day = report.travel_day.isoformat()
    if report.outcome is not Outcome.RECONCILED:
        return f"{day} {report.outcome.value}"
    return (
        f"{day} reconciled: {report.taps} taps, {report.journeys} journeys"
        f" ({report.incomplete} incomplete), {report.flags} passback flags"
    )

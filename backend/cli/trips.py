"""``faregate trips``: cancel a trip instance (its bookings re-accommodated or refunded) and
list the cancellations."""

from __future__ import annotations

from datetime import date

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.jobs import inventory_for
from backend.services import cancellation_views, cancellations


@click.group("trips")
def trips_group() -> None:
    """Trip instances: cancellations and their re-accommodation."""


@trips_group.command("cancel")
@click.argument("trip_instance")
@click.option("--reason", required=True, help="Why, in words the travelers are sent.")
@pass_context
def cancel(ctx: CliContext, trip_instance: str, reason: str) -> None:
    """Cancel TRIP_INSTANCE (TRIP@YYYY-MM-DD, or TRIP@YYYY-MM-DDTHH:MM:SS for one run of a
    frequency-based trip): rebook its travelers on other trips, or refund them."""
    settings = ctx.settings
    report = cancellations.cancel(
        inventory_for(settings, ctx.database),
        trip_instance,
        source="operator",
        reason=reason,
        now=utc_now(),
        policy=cancellations.policy_for(settings),
    )
    if not report.recorded:
        click.echo(f"{trip_instance} was cancelled already")
    for outcome in report.outcomes:
        if outcome.outcome == "rebooked":
            seats = " ".join(outcome.seats) or "places"
            click.echo(
                f"{outcome.reference}\trebooked\t{outcome.new_reference}\t"
                f"{outcome.trip_instance}\t{seats}\t{outcome.delay_minutes:+d} min"
            )
        else:
            click.echo(f"{outcome.reference}\trefunded\t{outcome.refund_amount}")
    click.echo(
        f"{trip_instance}: {report.rebooked} booking(s) rebooked, {report.refunded} refunded"
        + (f", {report.left} left for the job runner" if report.left else "")
    )


@trips_group.command("cancellations")
@click.option("--since", help="First service date (YYYY-MM-DD); yesterday by default.")
@pass_context
def list_cancellations(ctx: CliContext, since: str | None) -> None:
    """List cancelled trip instances: instance, source, status, rebooked, refunded, reason."""
    try:
        first = (
            date.fromisoformat(since) if since else cancellation_views.looking_back_from(utc_now())
        )
    except ValueError as error:
        raise click.BadParameter(f"{since!r} is not a date (YYYY-MM-DD)") from error
    with ctx.session() as session:
        for row in cancellation_views.list_cancellations(session, first):
            click.echo(
                f"{row.trip_instance}\t{row.source}\t{row.status}\t{row.rebooked}\t"
                f"{row.refunded}\t{row.reason}"
            )

"""``faregate vehicles``: which block or trip instances each vehicle runs on a service day."""

from __future__ import annotations

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.services import vehicle_assignments
from backend.services.trip_lookup import TripStopsCache
from backend.services.vehicle_assignments import Assignment, TimetableCaches, parse_service_date
from backend.services.version_facts import VersionFactsCache


@click.group("vehicles")
def vehicles_group() -> None:
    """Vehicle assignments, which bus validators learn from their rule bundle."""


def _caches() -> TimetableCaches:
    return TimetableCaches(VersionFactsCache(), TripStopsCache())


def _line(assignment: Assignment) -> str:
    source = f"block {assignment.block_id}" if assignment.block_id is not None else "trips"
    return f"{assignment.vehicle_id}\t{source}\t{' '.join(assignment.trips)}"


@vehicles_group.command("assign")
@click.argument("service_date")
@click.argument("vehicle_id")
@click.option("--block", "block_id", help="GTFS block_id: every trip of the block that day.")
@click.option(
    "--trip", "trips", multiple=True, help="A trip instance TRIP@YYYY-MM-DD, in running order."
)
@pass_context
def assign(
    ctx: CliContext, service_date: str, vehicle_id: str, block_id: str | None, trips: tuple[str]
) -> None:
    """Give VEHICLE_ID a block (--block) or trip instances (--trip ...) on SERVICE_DATE
    (YYYY-MM-DD), replacing what it had that day."""
    day = parse_service_date(service_date)
    with ctx.database.writer_sessions() as session:
        assignment = vehicle_assignments.assign(
            session,
            _caches(),
            day,
            vehicle_id,
            block_id=block_id,
            trips=list(trips) if trips else None,
            now=utc_now(),
        )
    click.echo(_line(assignment))


@vehicles_group.command("list")
@click.argument("service_date")
@pass_context
def list_assignments(ctx: CliContext, service_date: str) -> None:
    """List the assignments of SERVICE_DATE: vehicle, block or trips, trip instances in order."""
    day = parse_service_date(service_date)
    with ctx.session() as session:
        for assignment in vehicle_assignments.assignments_on(session, _caches(), day):
            click.echo(_line(assignment))


@vehicles_group.command("unassign")
@click.argument("service_date")
@click.argument("vehicle_id")
@pass_context
def unassign(ctx: CliContext, service_date: str, vehicle_id: str) -> None:
    """Remove VEHICLE_ID's assignment for SERVICE_DATE."""
    day = parse_service_date(service_date)
    with ctx.database.writer_sessions() as session:
        vehicle_assignments.unassign(session, day, vehicle_id)
    click.echo(f"{vehicle_id} has no assignment on {day.isoformat()}")

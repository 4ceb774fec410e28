"""Consistency checks of the seat inventory's claims (``backend.models.reservations``);
bookings against their claims are checked by ``consistency_bookings``.

What the database guards and these checks re-verify (a guard may have been dropped by hand,
data written around it, or a restore made from a damaged copy):

- a *live* seat claim is one whose expiry is unset (booked) or still ahead; two live claims
  on one seat of one trip instance never cover a common leg (the exclusion constraint on
  PostgreSQL, a trigger on SQLite);
- ``leg_capacity.used`` counts the places of every place claim covering the leg, expired or
  not (an expired place claim gives its places back only when a sweep or a new hold deletes
  it), and stays within ``[0, capacity]``;
- a hold still ``held`` after its expiry frees its seats to readers at once, but the sweep
  job should end it within a minute: one older than the grace means the job is not running
  (a warning).
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from backend.models import Hold, LegCapacity, PlaceClaim, SeatClaim
from backend.services.claim_reads import live
from backend.services.consistency import CheckOptions, CheckResult, Findings, Status, plural


def check_seat_overlaps(connection: Connection, options: CheckOptions) -> CheckResult:
    """No two live seat claims overlap on a seat of a trip instance."""
    first, second = aliased(SeatClaim), aliased(SeatClaim)
    rows = connection.execute(
        select(
            first.trip_instance,
            first.seat,
            first.id,
            first.hold_id,
            first.board,
            first.alight,
            second.id,
            second.hold_id,
            second.board,
            second.alight,
        )
        .join(
            second,
            and_(
                second.trip_instance == first.trip_instance,
                second.seat == first.seat,
                second.id > first.id,
                second.board < first.alight,
                first.board < second.alight,
            ),
        )
        .where(live(first.expires_at, options.now), live(second.expires_at, options.now))
        .order_by(first.trip_instance, first.seat, first.id, second.id)
    )
    found = Findings()
    for trip, seat, a_id, a_hold, a_board, a_alight, b_id, b_hold, b_board, b_alight in rows:
        found.add(
            f"{trip} seat {seat}",
            f"claim {a_id} (hold {a_hold}, legs {a_board}-{a_alight}) overlaps claim {b_id} "
            f"(hold {b_hold}, legs {b_board}-{b_alight})",
        )
    counted = connection.scalar(
        select(func.count()).select_from(SeatClaim).where(live(SeatClaim.expires_at, options.now))
    )
    return found.result(
        "seat_overlaps",
        ok=f"{plural(counted or 0, 'live seat claim')}, none overlapping",
        failed=f"{plural(found.count, 'overlap')} between live seat claims",
    )


def check_leg_capacity(connection: Connection, options: CheckOptions) -> CheckResult:  # noqa: ARG001
    """Each leg's used places equal its place claims' and stay within its capacity."""
    claimed = func.coalesce(func.sum(PlaceClaim.places), 0)
    rows = connection.execute(
        select(
            LegCapacity.trip_instance,
            LegCapacity.seat_class,
            LegCapacity.leg,
            LegCapacity.capacity,
            LegCapacity.used,
            claimed,
        )
        .outerjoin(
            PlaceClaim,
            and_(
                PlaceClaim.trip_instance == LegCapacity.trip_instance,
                PlaceClaim.seat_class == LegCapacity.seat_class,
                PlaceClaim.board <= LegCapacity.leg,
                PlaceClaim.alight > LegCapacity.leg,
            ),
        )
        .group_by(
            LegCapacity.trip_instance,
            LegCapacity.seat_class,
            LegCapacity.leg,
            LegCapacity.capacity,
            LegCapacity.used,
        )
        .having(
            or_(
                LegCapacity.used != claimed,
                LegCapacity.used < 0,
                LegCapacity.used > LegCapacity.capacity,
            )
        )
        .order_by(LegCapacity.trip_instance, LegCapacity.seat_class, LegCapacity.leg)
    )
    found = Findings()
    for trip, seat_class, leg, capacity, used, places in rows:
        found.add(
            f"{trip} {seat_class} leg {leg}",
            f"used {used} of capacity {capacity}, but its place claims hold {places}",
        )
    _claims_without_legs(connection, found)
    legs = connection.scalar(select(func.count()).select_from(LegCapacity)) or 0
    return found.result(
        "leg_capacity",
        ok=f"{plural(legs, 'leg capacity row')} match their place claims, within capacity",
        failed=f"{plural(found.count, 'disagreement')} between legs' places and their claims",
    )


def _claims_without_legs(connection: Connection, found: Findings) -> None:
    """Place claims covering a leg that has no capacity row to count them on."""
    counted = (
        select(func.count())
        .where(
            LegCapacity.trip_instance == PlaceClaim.trip_instance,
            LegCapacity.seat_class == PlaceClaim.seat_class,
            LegCapacity.leg >= PlaceClaim.board,
            LegCapacity.leg < PlaceClaim.alight,
        )
        .scalar_subquery()
    )
    rows = connection.execute(
        select(PlaceClaim.id, PlaceClaim.trip_instance, PlaceClaim.seat_class, PlaceClaim.hold_id)
        .where(counted < PlaceClaim.alight - PlaceClaim.board)
        .order_by(PlaceClaim.id)
    )
    for claim_id, trip, seat_class, hold_id in rows:
        found.add(
            f"{trip} {seat_class}",
            f"place claim {claim_id} (hold {hold_id}) covers legs with no capacity row",
        )


def check_stale_holds(connection: Connection, options: CheckOptions) -> CheckResult:
    """No hold is still held longer than the sweep grace after its expiry (a warning)."""
    overdue = options.now - options.sweep_grace
    rows = connection.execute(
        select(Hold.id, Hold.trip_instance, Hold.expires_at)
        .where(Hold.status == "held", Hold.expires_at < overdue)
        .order_by(Hold.expires_at)
    )
    found = Findings()
    for hold_id, trip, expires_at in rows:
        late = int((options.now - expires_at).total_seconds() // 60)
        found.add(f"hold {hold_id}", f"on {trip}, expired {late} min ago and still held")
    minutes = int(options.sweep_grace.total_seconds() // 60)
    return found.result(
        "stale_holds",
        ok=f"no hold is held more than {minutes} min past its expiry",
        failed=(
            f"{plural(found.count, 'hold')} expired more than {minutes} min ago "
            "and not ended: is the job runner (faregate jobs) running?"
        ),
        status=Status.WARN,
    )

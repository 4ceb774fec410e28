"""Small vehicles, timetables and bookings for the re-accommodation tests, and a checker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from inventory.legs import LegRange
from inventory.reaccommodation import (
    Alternative,
    DisplacedBooking,
    Reaccommodation,
    StopCall,
)
from inventory.seatmaps import Seat, SeatMap

DAY = datetime(2026, 6, 1, 8, 0)
MINUTES_PER_LEG = 10


def vehicle(
    *classes: str, name: str = "vehicle", special: Mapping[int, str] | None = None
) -> SeatMap:
    """A row of seats, one per class given, labelled 1A, 1B, ... in that order (26 a row).

    ``special`` gives a seat (by position) an attribute: ``{0: "accessible"}``.
    """
    special = special or {}
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    seats = tuple(
        Seat(
            f"{1 + n // 26}{letters[n % 26]}",
            1 + n // 26,
            1 + n % 26,
            seat_class,
            attributes=frozenset({special[n]}) if n in special else frozenset(),
        )
        for n, seat_class in enumerate(classes)
    )
    return SeatMap(name, seats)


def calls(stops: int, departure: datetime, prefix: str = "S") -> tuple[StopCall, ...]:
    """A trip calling at ``prefix``0 .. ``prefix``(stops-1), ten minutes apart."""
    return tuple(
        StopCall(f"{prefix}{n}", departure + timedelta(minutes=MINUTES_PER_LEG * n))
        for n in range(stops)
    )


def alternative(
    name: str,
    seat_map: SeatMap,
    *,
    stops: int = 4,
    late_min: int = 0,
    taken: Mapping[str, Sequence[LegRange]] | None = None,
) -> Alternative:
    """An alternative running ``late_min`` minutes after the cancelled trip."""
    return Alternative(
        name, calls(stops, DAY + timedelta(minutes=late_min)), seat_map, dict(taken or {})
    )


def booking(
    booking_id: str,
    party: int = 1,
    legs: tuple[int, int] = (0, 3),
    seat_class: str = "standard",
    *,
    accessible: int = 0,
    bikes: int = 0,
) -> DisplacedBooking:
    """A booking from stop ``legs[0]`` to ``legs[1]`` of the cancelled trip (leaving at DAY)."""
    board, alight = legs
    return DisplacedBooking(
        booking_id,
        party,
        seat_class,
        f"S{board}",
        f"S{alight}",
        DAY + timedelta(minutes=MINUTES_PER_LEG * alight),
        accessible=accessible,
        bikes=bikes,
    )


def check_answer(
    result: Reaccommodation,
    bookings: Sequence[DisplacedBooking],
    alternatives: Sequence[Alternative],
    upgrades: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Fail on a split party, a wrong class, a seat-leg used twice or already claimed, or
    unmet needs."""
    by_trip = {a.trip_instance: a for a in alternatives}
    used: set[tuple[str, str, int]] = set()
    assert [p.booking_id for p in result.placements] == [b.booking_id for b in bookings]
    for placement, displaced in zip(result.placements, bookings, strict=True):
        assert placement.party == displaced.party
        if not placement.placed:
            assert placement.seats == ()
            assert placement.delay_min is None
            continue
        allowed = {displaced.seat_class, *((upgrades or {}).get(displaced.seat_class, ()))}
        assert placement.seat_class in allowed
        assert placement.upgraded == (placement.seat_class != displaced.seat_class)
        ride = by_trip[placement.trip_instance or ""]
        journey = ride.journey(displaced)
        assert journey is not None
        assert placement.legs == journey.legs
        if displaced.unassigned:
            assert placement.seats == ()
            continue
        assert len(set(placement.seats)) == len(placement.seats) == displaced.party
        seats = [ride.seat_map.seat(label) for label in placement.seats]
        assert all(seat.seat_class == placement.seat_class for seat in seats)
        assert sum(seat.has("accessible") for seat in seats) >= displaced.accessible
        assert sum(seat.has("bike") for seat in seats) >= displaced.bikes
        for label in placement.seats:
            assert not any(claim.overlaps(journey.legs) for claim in ride.taken.get(label, ()))
            for leg in journey.legs.legs:
                key = (ride.trip_instance, label, leg)
                assert key not in used, f"seat {label} of {ride.trip_instance} leg {leg} twice"
                used.add(key)

"""How full a trip instance is on each leg, and the GTFS-Realtime occupancy level of that.

Claims are counted per leg: a seat claim takes one seat on every leg of its range
[board, alight), a place claim takes its ``places`` unassigned places on every leg of its
range. The level of a leg compares what is taken with what the vehicle's seat map offers
(its reservable seats plus its unassigned places, standing room and the like), using the
names of GTFS-Realtime's ``OccupancyStatus``:

================================  ==========================================================
level                             when, on the leg
================================  ==========================================================
``EMPTY``                         nothing is taken
``MANY_SEATS_AVAILABLE``          a seat is free and under half of the capacity is taken
``FEW_SEATS_AVAILABLE``           a seat is free and half of the capacity or more is taken
``STANDING_ROOM_ONLY``            every seat is taken, unassigned places are left, and under
                                  90 % of the capacity is taken
``CRUSHED_STANDING_ROOM_ONLY``    every seat is taken and 90 % of the capacity or more, but
                                  not all of it
``FULL``                          the whole capacity is taken
================================  ==========================================================

"Seat" means a reservable seat when the map has any; a map of unassigned places only has
no seats to run out of, so its places count as seats (it goes from ``FEW_SEATS_AVAILABLE``
straight to ``FULL``). Claims of seats the map no longer has still count as taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EMPTY = "EMPTY"
MANY_SEATS_AVAILABLE = "MANY_SEATS_AVAILABLE"
FEW_SEATS_AVAILABLE = "FEW_SEATS_AVAILABLE"
STANDING_ROOM_ONLY = "STANDING_ROOM_ONLY"
CRUSHED_STANDING_ROOM_ONLY = "CRUSHED_STANDING_ROOM_ONLY"
FULL = "FULL"

FEW_SEATS_FROM = 0.5
"""Share of the capacity taken from which seats are "few"."""
CRUSHED_FROM = 0.9
"""Share of the capacity taken from which standing room is "crushed"."""

LegClaim = tuple[int, int, int]
"""(board, alight, count): ``count`` seats or places taken on the legs [board, alight)."""


@dataclass(frozen=True)
class LegLoad:
    """What is taken on one leg: seats, and unassigned places."""

    seats: int
    places: int


def per_leg(legs: int, claims: Iterable[LegClaim]) -> list[int]:
    """How much ``claims`` take on each of the ``legs`` legs (ranges outside are clipped)."""
    changes = [0] * (legs + 1)
    for board, alight, count in claims:
        start, end = max(board, 0), min(alight, legs)
        if start < end:
            changes[start] += count
            changes[end] -= count
    taken: list[int] = []
    running = 0
    for change in changes[:legs]:
        running += change
        taken.append(running)
    return taken


def leg_loads(
    legs: int, seat_claims: Iterable[LegClaim], place_claims: Iterable[LegClaim]
) -> list[LegLoad]:
    """Seats and places taken on each leg of a trip instance of ``legs`` legs."""
    seats = per_leg(legs, seat_claims)
    places = per_leg(legs, place_claims)
    return [LegLoad(seat, place) for seat, place in zip(seats, places, strict=True)]


def occupancy_level(load: LegLoad, seats: int, places: int) -> str:
    """The level of a leg with ``load`` taken, for a map of ``seats`` seats and ``places``
    unassigned places (the table in the module docstring)."""
    capacity = seats + places
    taken = load.seats + load.places
    if taken <= 0:
        return EMPTY
    if taken >= capacity:
        return FULL
    share = taken / capacity
    seating, seated = (seats, load.seats) if seats else (places, load.places)
    if seated < seating:
        return MANY_SEATS_AVAILABLE if share < FEW_SEATS_FROM else FEW_SEATS_AVAILABLE
    return STANDING_ROOM_ONLY if share < CRUSHED_FROM else CRUSHED_STANDING_ROOM_ONLY

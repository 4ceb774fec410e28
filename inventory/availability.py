"""What is free on a trip instance, given the claims already made on it.

Claims come in two kinds. A reserved seat is claimed by label for a leg range (``taken`` maps
each label to the ranges held or booked on it, and ranges on one seat never overlap); a seat
is free for a journey when none of those ranges shares a leg with it. Unassigned places
(standing room and the like) are claimed by count per class: ``(legs, places)`` pairs that may
overlap freely, and the places free for a journey are the capacity minus the busiest of its
legs, because a traveler occupies a place on every leg travelled.

The free interval around a journey measures how well a seat fits it: a seat free only for
the journey's legs is a tight fit, one free from end to end has slack a longer journey could use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inventory.errors import SEAT_TAKEN, InventoryError
from inventory.legs import LegRange
from inventory.seatmaps import Seat, SeatMap

PlaceClaim = tuple[LegRange, int]


def seat_is_free(taken_ranges: Sequence[LegRange], legs: LegRange) -> bool:
    """Whether no range in ``taken_ranges`` shares a leg with ``legs``."""
    return not any(taken.overlaps(legs) for taken in taken_ranges)


def free_seats(
    seat_map: SeatMap, taken: Mapping[str, Sequence[LegRange]], legs: LegRange
) -> list[Seat]:
    """The seats of ``seat_map`` free on every leg of ``legs``, in map order."""
    return [seat for seat in seat_map.seats if seat_is_free(taken.get(seat.label, ()), legs)]


def peak_claimed(claims: Sequence[PlaceClaim], legs: LegRange) -> int:
    """The most places claimed on any one leg of ``legs`` (0 when nothing overlaps it)."""
    changes: list[tuple[int, int]] = []
    for claimed, places in claims:
        if claimed.overlaps(legs):
            changes.append((max(claimed.board, legs.board), places))
            changes.append((min(claimed.alight, legs.alight), -places))
    # At a stop where one claim ends and another starts, the ending one is counted off first.
    changes.sort()
    peak = load = 0
    for _, change in changes:
        load += change
        peak = max(peak, load)
    return peak


def unassigned_free(capacity: int, claims: Sequence[PlaceClaim], legs: LegRange) -> int:
    """Places of a ``capacity`` free on every leg of ``legs``, never below 0."""
    return max(0, capacity - peak_claimed(claims, legs))


def free_interval(
    taken_ranges: Sequence[LegRange], legs: LegRange, last_leg_end: int
) -> tuple[int, int]:
    """The longest run of legs ``[start, end)`` containing ``legs`` that the seat is free for.

    ``last_leg_end`` is the trip's number of legs (its stop count minus one), where a seat free
    to the end of the trip stops being counted.
    """
    start, end = 0, last_leg_end
    for taken in taken_ranges:
        if taken.overlaps(legs):
            raise InventoryError(SEAT_TAKEN, f"the seat is taken on part of {legs}")
        if taken.alight <= legs.board:
            start = max(start, taken.alight)
        else:
            end = min(end, taken.board)
    return start, max(end, legs.alight)


def slack(taken_ranges: Sequence[LegRange], legs: LegRange, last_leg_end: int) -> int:
    """How many more legs the seat's free interval around ``legs`` has than ``legs`` itself."""
    start, end = free_interval(taken_ranges, legs, last_leg_end)
    return (end - start) - len(legs)


def class_counts(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    legs: LegRange,
    unassigned_claims: Mapping[str, Sequence[PlaceClaim]],
) -> dict[str, int]:
    """Free places on ``legs`` per class of the map: free seats plus free unassigned places."""
    counts = dict.fromkeys(seat_map.classes(), 0)
    for seat in free_seats(seat_map, taken, legs):
        counts[seat.seat_class] += 1
    for seat_class, capacity in seat_map.unassigned.items():
        claims = unassigned_claims.get(seat_class, ())
        counts[seat_class] += unassigned_free(capacity, claims, legs)
    return counts

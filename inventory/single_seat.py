"""The best seat for a party of one, found in one pass over the seat map.

A lone traveler has no one to sit with, so the assignment objective (``inventory.assignment``)
reduces to ranking each free seat that meets the traveler's needs by position miss, spare
special seats, slack and seat order, and taking the first. This is the path of nearly every
booking in a rush, so it builds nothing per seat: a seat nobody has claimed has the most slack
there is (the whole trip less the journey), and only claimed seats need their free interval
worked out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inventory.legs import LegRange
from inventory.seatmaps import SeatMap

Rank = tuple[bool, int, int]  # position missed, special attributes, slack


def best_single_seat(
    seat_map: SeatMap,
    taken: Mapping[str, Sequence[LegRange]],
    legs: LegRange,
    *,
    last_leg_end: int,
    seat_class: str | None = None,
    position: str | None = None,
    accessible: bool = False,
    bike: bool = False,
) -> str | None:
    """The label of the best free seat for one traveler, or None when no seat qualifies.

    Qualifying seats are of ``seat_class`` (any, when None), free on every leg of ``legs``,
    accessible when ``accessible`` and bike seats when ``bike``. The best has, in this order:
    the ``position`` (window or aisle) if one is preferred, the fewest special attributes
    (accessible, bike) so that those seats stay for the travelers who need them, the least
    slack, and the earliest place in the map.
    """
    board, alight, length = legs.board, legs.alight, len(legs)
    most_slack = last_leg_end - length
    # Nothing can rank better than this: the preferred position, only the special
    # attributes asked for, and no slack at all. The first seat that reaches it is the best.
    perfect: Rank = (False, accessible + bike, 0)
    best: Rank | None = None
    best_label: str | None = None
    for seat in seat_map.seats:  # in map order, so that the first of equal rank is kept
        if seat_class is not None and seat.seat_class != seat_class:
            continue
        attributes = seat.attributes
        is_accessible = "accessible" in attributes
        is_bike = "bike" in attributes
        if (accessible and not is_accessible) or (bike and not is_bike):
            continue
        ranges = taken.get(seat.label)
        if ranges:
            # The free interval around the journey, as ``inventory.availability.slack`` has it.
            start, end, free = 0, last_leg_end, True
            for claim in ranges:
                if claim.alight <= board:
                    start = max(start, claim.alight)
                elif claim.board >= alight:
                    end = min(end, claim.board)
                else:
                    free = False  # taken on a leg of the journey
                    break
            if not free:
                continue
            room = end - start - length
        else:
            room = most_slack
        rank = (position is not None and position not in attributes, is_accessible + is_bike, room)
        if best is None or rank < best:
            best, best_label = rank, seat.label
            if rank == perfect:
                break
    return best_label

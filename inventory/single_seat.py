"""The best seat for a party of one, found without a pass over the whole seat map.

A lone traveler has no one to sit with, so the assignment objective (``inventory.assignment``)
reduces to ranking each free seat that meets the traveler's needs by position miss, spare
special seats, slack and seat order, and taking the first. This is the path of nearly every
booking in a rush, so it does as little per request as it can:

- the seats that meet a kind of traveler's needs, in order of position miss, spare special
  seats and map order, are worked out once per seat map (``SeatMap.derived``);
- a seat nobody has claimed has the most slack there is (the whole trip less the journey), so
  the best of those is the first unclaimed one in that order;
- only the claimed seats need their free interval worked out, and only those that could still
  beat the best found so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inventory.legs import LegRange
from inventory.seatmaps import SeatMap

Rank = tuple[bool, int, int, int]  # position missed, special attributes, slack, map index
Fit = tuple[bool, int, int]  # position missed, special attributes, map index
Needs = tuple[str | None, str | None, bool, bool]  # class, position, accessible, bike


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
    needs: Needs = (seat_class, position, accessible, bike)
    ordered, fits = seat_map.derived(("single seat", needs), lambda m: _fitting(m, needs))
    board, alight, length = legs.board, legs.alight, len(legs)
    best: Rank | None = None
    best_label: str | None = None
    for label in ordered:
        if not taken.get(label):
            missed, special, index = fits[label]
            best, best_label = (missed, special, last_leg_end - length, index), label
            break
    for label, ranges in taken.items():
        fit = fits.get(label)
        if fit is None or not ranges or (best is not None and fit[:2] > best[:2]):
            continue  # not for this traveler, unclaimed, or beaten whatever its slack
        # The free interval around the journey, as ``inventory.availability.slack`` has it.
        start, end = 0, last_leg_end
        for claim in ranges:
            if claim.alight <= board:
                start = max(start, claim.alight)
            elif claim.board >= alight:
                end = min(end, claim.board)
            else:
                break  # taken on a leg of the journey
        else:
            rank = (fit[0], fit[1], end - start - length, fit[2])
            if best is None or rank < best:
                best, best_label = rank, label
    return best_label


def _fitting(seat_map: SeatMap, needs: Needs) -> tuple[tuple[str, ...], dict[str, Fit]]:
    """The labels of the seats that meet ``needs``, best first but for slack, and how well
    each fits."""
    seat_class, position, accessible, bike = needs
    fits: dict[str, Fit] = {}
    for index, seat in enumerate(seat_map.seats):
        is_accessible = seat.has("accessible")
        is_bike = seat.has("bike")
        if seat_class is not None and seat.seat_class != seat_class:
            continue
        if (accessible and not is_accessible) or (bike and not is_bike):
            continue
        missed = position is not None and not seat.has(position)
        fits[seat.label] = (missed, is_accessible + is_bike, index)
    return tuple(sorted(fits, key=fits.__getitem__)), fits

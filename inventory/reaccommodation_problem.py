"""The re-accommodation problem: each booking's options and each alternative's seat gaps.

An *option* is one way to place a booking whole: an alternative, a class, the legs it would
travel there and its delay. Options outside the time window, on alternatives that do not serve
the journey, or where the party would not fit even as the only newcomer are left out.

A *gap* is a maximal run of legs on which one seat is free of the claims already made. A
newcomer sits in exactly one gap of its seat (claims separate the gaps), and the gaps of one
alternative and class are grouped by the option leg ranges they can hold: gaps that hold the
same set of ranges are identical machines for every job that may reach them (each is free
over the whole span of those ranges), so a group is just a count. ``inventory.reaccommodation``
explains why counting per group and leg is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from inventory.errors import INVALID_REACCOMMODATION, InventoryError
from inventory.legs import LegRange
from inventory.reaccommodation_input import (
    Alternative,
    DisplacedBooking,
    Rules,
    minutes_between,
)


@dataclass(frozen=True)
class Option:
    """Booking ``booking`` placed on alternative ``alternative`` (indexes) in ``seat_class``."""

    index: int
    booking: int
    alternative: int
    seat_class: str
    legs: LegRange
    delay_min: int
    class_rank: int

    @property
    def upgraded(self) -> bool:
        """Whether the option seats the booking in a higher class than it booked."""
        return self.class_rank > 0


@dataclass(frozen=True)
class Gap:
    """Seat ``label`` free on every leg of ``window`` (and claimed on the legs around it)."""

    label: str
    window: LegRange
    accessible: bool
    bike: bool


@dataclass(frozen=True)
class GapGroup:
    """Gaps of one alternative and class that hold the same option ranges (see the module)."""

    index: int
    alternative: int
    seat_class: str
    accessible: bool
    bike: bool
    ranges: tuple[LegRange, ...]
    gaps: tuple[Gap, ...]

    @property
    def capacity(self) -> int:
        """How many travelers the group seats on any one leg."""
        return len(self.gaps)


@dataclass(frozen=True)
class Problem:
    """The bookings, alternatives, options and gap groups of one re-accommodation.

    ``place_free`` gives, per (alternative, class) with unassigned places, the places free on
    each leg; ``seat_gaps`` the windows of each (alternative, seat) kept in a group, and which.
    """

    bookings: tuple[DisplacedBooking, ...]
    alternatives: tuple[Alternative, ...]
    options: tuple[Option, ...]
    groups: tuple[GapGroup, ...]
    place_free: Mapping[tuple[int, str], tuple[int, ...]]
    seat_gaps: Mapping[tuple[int, str], tuple[tuple[LegRange, int], ...]]
    by_booking: tuple[tuple[Option, ...], ...]
    rules: Rules

    def group_of(self, alternative: int, label: str, legs: LegRange) -> int:
        """The group of the gap of seat ``label`` that holds ``legs``."""
        for window, group in self.seat_gaps[(alternative, label)]:
            if window.covers(legs):
                return group
        raise KeyError((alternative, label, legs))

    def option(self, booking: int, alternative: int, seat_class: str) -> Option:
        """The option placing ``booking`` on ``alternative`` in ``seat_class``."""
        for option in self.by_booking[booking]:
            if option.alternative == alternative and option.seat_class == seat_class:
                return option
        raise KeyError((booking, alternative, seat_class))


def build_problem(
    bookings: Sequence[DisplacedBooking], alternatives: Sequence[Alternative], rules: Rules
) -> Problem:
    """Check the input and work out every option and gap group."""
    _check_unique((b.booking_id for b in bookings), "booking")
    _check_unique((a.trip_instance for a in alternatives), "alternative trip instance")
    for booking in bookings:
        booking.validate()
    for alternative in alternatives:
        if alternative.stop_count < 2:
            raise InventoryError(
                INVALID_REACCOMMODATION,
                f"alternative {alternative.trip_instance!r} has {alternative.stop_count} stops; "
                "a trip calls at two or more",
            )
    gaps = _Gaps(alternatives)
    options = _options(bookings, alternatives, rules, gaps)
    groups, seat_gaps = _groups(bookings, options, gaps)
    by_booking: list[list[Option]] = [[] for _ in bookings]
    for option in options:
        by_booking[option.booking].append(option)
    return Problem(
        tuple(bookings),
        tuple(alternatives),
        tuple(options),
        groups,
        MappingProxyType(gaps.place_free),
        MappingProxyType(seat_gaps),
        tuple(tuple(found) for found in by_booking),
        rules,
    )


def _options(
    bookings: Sequence[DisplacedBooking],
    alternatives: Sequence[Alternative],
    rules: Rules,
    gaps: _Gaps,
) -> list[Option]:
    """Every (booking, alternative, class) inside the window where the party could fit."""
    options: list[Option] = []
    for index, booking in enumerate(bookings):
        for number, alternative in enumerate(alternatives):
            journey = alternative.journey(booking)
            if journey is None:
                continue
            delay = minutes_between(booking.arrival, journey.arrival)
            if not rules.earliest_min <= delay <= rules.latest_min:
                continue
            for rank, seat_class in enumerate(rules.classes_for(booking.seat_class)):
                if gaps.has_room(number, seat_class, booking, journey.legs):
                    options.append(
                        Option(len(options), index, number, seat_class, journey.legs, delay, rank)
                    )
    return options


def _check_unique(keys: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise InventoryError(INVALID_REACCOMMODATION, f"{what} {key!r} is given twice")
        seen.add(key)


def free_windows(taken: Sequence[LegRange], leg_count: int) -> list[LegRange]:
    """The maximal runs of legs of ``[0, leg_count)`` that no range in ``taken`` covers."""
    gaps: list[LegRange] = []
    start = 0
    for claim in sorted(taken):
        if claim.board > start:
            gaps.append(LegRange(start, min(claim.board, leg_count)))
        start = max(start, claim.alight)
    if start < leg_count:
        gaps.append(LegRange(start, leg_count))
    return [gap for gap in gaps if len(gap) > 0]


def fewest_with_both(
    free: Mapping[tuple[bool, bool], int], party: int, accessible: int, bikes: int
) -> int | None:
    """The fewest seats with both attributes that ``party`` seats meeting the needs take from
    free seats counted by (accessible, bike) kind, or None when no choice meets them."""
    if sum(free.values()) < party:
        return None
    both = free.get((True, True), 0)
    accessible_only = free.get((True, False), 0)
    bikes_only = free.get((False, True), 0)
    for with_both in range(min(both, party) + 1):
        more_accessible = max(0, accessible - with_both)
        more_bikes = max(0, bikes - with_both)
        if (
            more_accessible <= accessible_only
            and more_bikes <= bikes_only
            and with_both + more_accessible + more_bikes <= party
        ):
            return with_both
    return None


class _Gaps:
    """Every seat's gaps and every class's free unassigned places, per alternative."""

    def __init__(self, alternatives: Sequence[Alternative]) -> None:
        self.by_class: dict[tuple[int, str], list[Gap]] = {}
        self.place_free: dict[tuple[int, str], tuple[int, ...]] = {}
        self._room: dict[tuple[int, str, LegRange], dict[tuple[bool, bool], int]] = {}
        for number, alternative in enumerate(alternatives):
            legs = alternative.stop_count - 1
            for seat in alternative.seat_map.seats:
                found = self.by_class.setdefault((number, seat.seat_class), [])
                for window in free_windows(alternative.taken.get(seat.label, ()), legs):
                    found.append(Gap(seat.label, window, seat.has("accessible"), seat.has("bike")))
            for seat_class, capacity in alternative.seat_map.unassigned.items():
                load = [0] * legs
                for claimed, places in alternative.unassigned_claims.get(seat_class, ()):
                    for leg in claimed.legs:
                        if 0 <= leg < legs:
                            load[leg] += places
                self.place_free[(number, seat_class)] = tuple(
                    max(0, capacity - used) for used in load
                )

    def has_room(
        self, alternative: int, seat_class: str, booking: DisplacedBooking, legs: LegRange
    ) -> bool:
        """Whether the party would fit on the alternative were it the only newcomer."""
        if booking.unassigned:
            free = self.place_free.get((alternative, seat_class))
            return free is not None and min(free[leg] for leg in legs.legs) >= booking.party
        key = (alternative, seat_class, legs)
        counts = self._room.get(key)
        if counts is None:
            counts = {}
            for gap in self.by_class.get((alternative, seat_class), ()):
                if gap.window.covers(legs):
                    kind = (gap.accessible, gap.bike)
                    counts[kind] = counts.get(kind, 0) + 1
            self._room[key] = counts
        return (
            fewest_with_both(counts, booking.party, booking.accessible, booking.bikes) is not None
        )


def _groups(
    bookings: Sequence[DisplacedBooking], options: Sequence[Option], gaps: _Gaps
) -> tuple[tuple[GapGroup, ...], dict[tuple[int, str], tuple[tuple[LegRange, int], ...]]]:
    """Group the gaps that hold some seat option's legs by the ranges they hold."""
    ranges: dict[tuple[int, str], set[LegRange]] = {}
    with_needs: set[tuple[int, str]] = set()
    for option in options:
        booking = bookings[option.booking]
        if booking.unassigned:
            continue
        key = (option.alternative, option.seat_class)
        ranges.setdefault(key, set()).add(option.legs)
        if booking.has_needs:
            with_needs.add(key)
    groups: list[GapGroup] = []
    seat_gaps_found: dict[tuple[int, str], list[tuple[LegRange, int]]] = {}
    for (alternative, seat_class), wanted in sorted(ranges.items()):
        ordered = sorted(wanted)
        held: dict[LegRange, tuple[LegRange, ...]] = {}
        members: dict[tuple[bool, bool, tuple[LegRange, ...]], list[Gap]] = {}
        needs = (alternative, seat_class) in with_needs
        for gap in gaps.by_class.get((alternative, seat_class), ()):
            fits = held.get(gap.window)
            if fits is None:
                fits = held[gap.window] = tuple(r for r in ordered if gap.window.covers(r))
            if fits:
                kind = (gap.accessible and needs, gap.bike and needs, fits)
                members.setdefault(kind, []).append(gap)
        for (accessible, bike, fits), found in members.items():
            group = GapGroup(
                len(groups), alternative, seat_class, accessible, bike, fits, tuple(found)
            )
            groups.append(group)
            for gap in found:
                seat_gaps_found.setdefault((alternative, gap.label), []).append(
                    (gap.window, group.index)
                )
    return tuple(groups), {key: tuple(value) for key, value in seat_gaps_found.items()}

"""Greedy first fit: the solver's starting point and fallback, and the benchmark's baseline.

Bookings are taken in the order given (the caller's order: first booked, first served). Each
goes whole to the earliest-arriving alternative with room in its own class, else, where the
rules allow upgrades, to the earliest-arriving one with room in a higher class (in the order
the rules list the classes); ties go to the alternative given first. *Room* is checked seat
by seat against the claims already made and the seats given to earlier bookings, so the
answer is always feasible. Seats are chosen as in ``inventory.assignment``'s greedy, without
gathering the party: the seats the party needs first (the fewest with both attributes), then
seats with the fewest spare special attributes, the least slack (a seat free only for the
journey's legs before one free from end to end) and the earliest place in the map.

``shorten_delays`` uses the same bookkeeping to move already placed bookings closer to their
original arrival where there is room, for answers whose delay is not optimised as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inventory.legs import LegRange
from inventory.reaccommodation_input import DisplacedBooking
from inventory.reaccommodation_problem import Option, Problem, fewest_with_both
from inventory.seatmaps import Seat


@dataclass(frozen=True)
class Seated:
    """A booking placed by an option on ``seats`` (empty for unassigned places)."""

    option: Option
    seats: tuple[str, ...]


Placed = dict[int, Seated]
"""Placed bookings by booking index."""


@dataclass(frozen=True)
class _Free:
    seat: Seat
    index: int
    special: int
    slack: int

    @property
    def kind(self) -> tuple[bool, bool]:
        return (self.seat.has("accessible"), self.seat.has("bike"))


def leg_mask(legs: LegRange) -> int:
    """The legs of ``legs`` as bits (bit ``i`` for leg ``i``)."""
    return (1 << legs.alight) - (1 << legs.board)


class _State:
    """What the greedy has given out so far, on top of the claims already made.

    Each seat's claimed legs are kept as the bits of one integer, so that checking a seat and
    measuring its slack take a few integer operations.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.claimed: dict[tuple[int, str], int] = {}
        self.places: dict[tuple[int, str], list[int]] = {
            key: list(free) for key, free in problem.place_free.items()
        }
        self.seats: dict[tuple[int, str], list[tuple[int, Seat, int]]] = {}
        self.free_count: dict[tuple[int, str], list[int]] = {}
        for number, alternative in enumerate(problem.alternatives):
            legs = alternative.stop_count - 1
            every_leg = (1 << legs) - 1
            for index, seat in enumerate(alternative.seat_map.seats):
                key = (number, seat.seat_class)
                special = int(seat.has("accessible")) + int(seat.has("bike"))
                self.seats.setdefault(key, []).append((index, seat, special))
                mask = 0
                for claim in alternative.taken.get(seat.label, ()):
                    mask |= leg_mask(claim) & every_leg
                self.claimed[(number, seat.label)] = mask
                counts = self.free_count.setdefault(key, [0] * legs)
                for leg in range(legs):
                    counts[leg] += not mask >> leg & 1

    def place(self, booking: DisplacedBooking, option: Option) -> tuple[str, ...] | None:
        """Give the booking room by ``option`` if there is any: its seats, or () for places."""
        key = (option.alternative, option.seat_class)
        legs = option.legs
        if booking.unassigned:
            free = self.places[key]
            if min(free[leg] for leg in legs.legs) < booking.party:
                return None
            for leg in legs.legs:
                free[leg] -= booking.party
            return ()
        counts = self.free_count[key]
        if min(counts[leg] for leg in legs.legs) < booking.party:
            return None  # some leg has too few free seats: no need to look at each seat
        chosen = self._choose(booking, option)
        if chosen is None:
            return None
        bits = leg_mask(legs)
        for pick in chosen:
            self.claimed[(option.alternative, pick.seat.label)] |= bits
        for leg in legs.legs:
            counts[leg] -= booking.party
        return tuple(pick.seat.label for pick in sorted(chosen, key=lambda f: f.index))

    def release(self, booking: DisplacedBooking, seated: Seated) -> None:
        """Give back what ``seated`` holds."""
        self._mark(booking, seated, -1)

    def claim(self, booking: DisplacedBooking, seated: Seated) -> None:
        """Take what ``seated`` holds (a placement made elsewhere)."""
        self._mark(booking, seated, 1)

    def _mark(self, booking: DisplacedBooking, seated: Seated, sign: int) -> None:
        option = seated.option
        key = (option.alternative, option.seat_class)
        if booking.unassigned:
            free = self.places[key]
            for leg in option.legs.legs:
                free[leg] -= sign * booking.party
            return
        bits = leg_mask(option.legs)
        for label in seated.seats:
            seat = (option.alternative, label)
            self.claimed[seat] = (
                self.claimed[seat] | bits if sign > 0 else self.claimed[seat] & ~bits
            )
        counts = self.free_count[key]
        for leg in option.legs.legs:
            counts[leg] -= sign * booking.party

    def _choose(self, booking: DisplacedBooking, option: Option) -> list[_Free] | None:
        number = option.alternative
        last_leg_end = self.problem.alternatives[number].stop_count - 1
        board, alight = option.legs.board, option.legs.alight
        bits = leg_mask(option.legs)
        before = (1 << board) - 1
        found: list[_Free] = []
        claimed = self.claimed
        for index, seat, special in self.seats[(number, option.seat_class)]:
            mask = claimed[(number, seat.label)]
            if mask & bits:
                continue
            # The free interval around the journey, as ``inventory.availability.slack`` has it.
            start = (mask & before).bit_length()
            after = mask >> alight
            end = alight + (after & -after).bit_length() - 1 if after else last_leg_end
            found.append(_Free(seat, index, special, end - start - (alight - board)))
        counts: dict[tuple[bool, bool], int] = {}
        for free in found:
            counts[free.kind] = counts.get(free.kind, 0) + 1
        with_both = fewest_with_both(counts, booking.party, booking.accessible, booking.bikes)
        if with_both is None:
            return None
        return _pick(found, with_both, booking)


def _pick(found: Sequence[_Free], with_both: int, booking: DisplacedBooking) -> list[_Free]:
    """The needed special seats (``with_both`` with both attributes), then the best-ranked
    rest."""
    ranked = sorted(found, key=lambda f: (f.special, f.slack, f.index))
    quota = {
        (True, True): with_both,
        (True, False): max(0, booking.accessible - with_both),
        (False, True): max(0, booking.bikes - with_both),
    }
    needed: list[_Free] = []
    for free in ranked:
        if quota.get(free.kind, 0) > 0:
            quota[free.kind] -= 1
            needed.append(free)
    rest = [free for free in ranked if free not in needed]
    return needed + rest[: booking.party - len(needed)]


def first_fit(problem: Problem) -> Placed:
    """Place each booking in turn on the earliest-arriving alternative with room."""
    state = _State(problem)
    placed: Placed = {}
    for index, booking in enumerate(problem.bookings):
        ordered = sorted(
            problem.by_booking[index], key=lambda o: (o.class_rank, o.delay_min, o.alternative)
        )
        for option in ordered:
            seats = state.place(booking, option)
            if seats is not None:
                placed[index] = Seated(option, seats)
                break
    return placed


def shorten_delays(problem: Problem, placed: Placed) -> Placed:
    """Move placed bookings, largest traveler-delay first, to the alternative closest to their
    original arrival that has room, never into a higher class than they sit in now: the
    travelers placed and upgraded stay the same and the delay only goes down."""
    state = _State(problem)
    for index, seated in placed.items():
        state.claim(problem.bookings[index], seated)
    moved = dict(placed)

    def cost(index: int) -> tuple[int, int]:
        option = moved[index].option
        return (-problem.bookings[index].party * abs(option.delay_min), index)

    for index in sorted(moved, key=cost):
        booking = problem.bookings[index]
        now = moved[index]
        better = sorted(
            (
                o
                for o in problem.by_booking[index]
                if abs(o.delay_min) < abs(now.option.delay_min)
                and o.upgraded <= now.option.upgraded
            ),
            key=lambda o: (abs(o.delay_min), o.class_rank, o.alternative),
        )
        if not better:
            continue
        state.release(booking, now)
        for option in better:
            seats = state.place(booking, option)
            if seats is not None:
                moved[index] = Seated(option, seats)
                break
        else:
            state.claim(booking, now)
    return moved

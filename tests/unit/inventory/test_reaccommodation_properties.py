"""Re-accommodation on generated cases: always feasible, never below the greedy, and exact.

Exact means: on cases small enough to try every answer, CP-SAT on the gap-group model places
as many travelers as the best seat-by-seat answer, so counting per gap group loses nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory import reaccommodation
from inventory.greedy_reaccommodation import first_fit, shorten_delays
from inventory.legs import LegRange
from inventory.reaccommodation import (
    Alternative,
    DisplacedBooking,
    Rules,
    greedy_first_fit,
    reaccommodate,
    upper_bound,
)
from inventory.reaccommodation_problem import build_problem
from inventory.seatmaps import Seat, SeatMap
from tests.unit.inventory.reaccommodation_builders import alternative, booking, check_answer

CLASSES = ("standard", "standard", "standard", "first")


@dataclass(frozen=True)
class Case:
    """Generated bookings and alternatives, all on one line, and the rules."""

    bookings: list[DisplacedBooking]
    alternatives: list[Alternative]
    rules: Rules = field(default_factory=Rules)


def _runs(claimed: Sequence[bool]) -> list[LegRange]:
    """Each run of claimed legs as one range."""
    ranges: list[LegRange] = []
    start = None
    for leg, busy in enumerate([*claimed, False]):
        if busy and start is None:
            start = leg
        elif not busy and start is not None:
            ranges.append(LegRange(start, leg))
            start = None
    return ranges


@st.composite
def cases(draw: st.DrawFn, most_bookings: int = 6, upgrades: bool = False) -> Case:
    stops = draw(st.integers(3, 6))
    legs = stops - 1
    alternatives = []
    for number in range(draw(st.integers(1, 2))):
        count = draw(st.integers(1, 3))
        seats = tuple(
            Seat(
                f"1{'ABCD'[n]}",
                1,
                n + 1,
                draw(st.sampled_from(CLASSES)),
                attributes=frozenset({"accessible"})
                if n == 0 and draw(st.booleans())
                else frozenset(),
            )
            for n in range(count)
        )
        taken = {
            seat.label: _runs(
                draw(st.lists(st.sampled_from([False, False, True]), min_size=legs, max_size=legs))
            )
            for seat in seats
        }
        late = draw(st.sampled_from([-20, 0, 30, 90]))
        seat_map = SeatMap(f"map{number}", seats)
        alternatives.append(
            alternative(f"T{number}", seat_map, stops=stops, late_min=late, taken=taken)
        )
    bookings = []
    for number in range(draw(st.integers(1, most_bookings))):
        board = draw(st.integers(0, legs - 1))
        alight = draw(st.integers(board + 1, legs))
        party = draw(st.sampled_from([1, 1, 1, 2, 2, 3]))
        accessible = draw(st.sampled_from([0, 0, 0, 0, 0, 1]))
        bookings.append(
            booking(
                f"B{number}",
                party=party,
                legs=(board, alight),
                seat_class=draw(st.sampled_from(CLASSES)),
                accessible=accessible,
            )
        )
    if upgrades and draw(st.booleans()):
        return Case(bookings, alternatives, Rules(upgrades={"standard": ("first",)}))
    return Case(bookings, alternatives)


@st.composite
def tight_cases(draw: st.DrawFn) -> Case:
    """One vehicle of one class on a longer line, partly claimed, with many short parties:
    where seats free on different stretches make the greedy go wrong."""
    stops = draw(st.integers(5, 8))
    legs = stops - 1
    seats = tuple(
        Seat(f"1{'ABC'[n]}", 1, n + 1, "standard") for n in range(draw(st.integers(2, 3)))
    )
    taken = {
        seat.label: _runs(
            draw(st.lists(st.sampled_from([False, False, True]), min_size=legs, max_size=legs))
        )
        for seat in seats
    }
    ride = alternative("T", SeatMap("tight", seats), stops=stops, late_min=10, taken=taken)
    bookings = []
    for number in range(draw(st.integers(3, 7))):
        board = draw(st.integers(0, legs - 1))
        alight = draw(st.integers(board + 1, min(legs, board + 4)))
        party = draw(st.sampled_from([1, 1, 2]))
        bookings.append(booking(f"B{number}", party=party, legs=(board, alight)))
    return Case(bookings, [ride])


def _seatable(ride: Alternative, riders: Sequence[DisplacedBooking]) -> bool:
    """Whether the riders fit on the alternative, trying every choice of seats."""
    used: dict[str, list[LegRange]] = {k: list(v) for k, v in ride.taken.items()}

    def place(index: int) -> bool:
        if index == len(riders):
            return True
        rider = riders[index]
        journey = ride.journey(rider)
        assert journey is not None
        free = [
            seat
            for seat in ride.seat_map.seats
            if seat.seat_class == rider.seat_class
            and not any(c.overlaps(journey.legs) for c in used.get(seat.label, ()))
        ]
        for chosen in itertools.combinations(free, rider.party):
            if sum(seat.has("accessible") for seat in chosen) < rider.accessible:
                continue
            for seat in chosen:
                used.setdefault(seat.label, []).append(journey.legs)
            if place(index + 1):
                return True
            for seat in chosen:
                used[seat.label].pop()
        return False

    return place(0)


def best_placed(case: Case) -> int:
    """The most travelers any seat-by-seat answer places (every assignment is tried)."""
    best = 0
    choices = [None, *range(len(case.alternatives))]
    for assignment in itertools.product(choices, repeat=len(case.bookings)):
        placed = sum(
            b.party for b, a in zip(case.bookings, assignment, strict=True) if a is not None
        )
        if placed <= best:
            continue
        if all(
            _seatable(
                ride,
                [b for b, a in zip(case.bookings, assignment, strict=True) if a == number],
            )
            for number, ride in enumerate(case.alternatives)
        ):
            best = placed
    return best


@settings(max_examples=80, deadline=None)
@given(st.one_of(cases(), tight_cases()))
def test_the_answer_is_feasible_never_below_greedy_and_best(case: Case) -> None:
    result = reaccommodate(case.bookings, case.alternatives, time_limit_s=10.0)
    check_answer(result, case.bookings, case.alternatives)
    greedy = greedy_first_fit(case.bookings, case.alternatives)
    check_answer(greedy, case.bookings, case.alternatives)
    assert result.placed_passengers >= greedy.placed_passengers
    assert result.status == "optimal"
    assert result.placed_passengers == best_placed(case)
    assert result.placed_passengers <= upper_bound(case.bookings, case.alternatives)


@settings(max_examples=60, deadline=None)
@given(cases(most_bookings=8, upgrades=True), st.booleans())
def test_every_way_of_solving_is_feasible_never_below_greedy_nor_above_the_bound(
    case: Case, one_at_a_time: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        if one_at_a_time:
            patch.setattr(reaccommodation, "WHOLE_MODEL_OPTIONS", 0)
        result = reaccommodate(case.bookings, case.alternatives, case.rules, time_limit_s=10.0)
    check_answer(result, case.bookings, case.alternatives, case.rules.upgrades)
    greedy = greedy_first_fit(case.bookings, case.alternatives, case.rules)
    check_answer(greedy, case.bookings, case.alternatives, case.rules.upgrades)
    assert result.objective() >= greedy.objective()
    assert result.placed_passengers <= upper_bound(case.bookings, case.alternatives, case.rules)


@settings(max_examples=60, deadline=None)
@given(cases(most_bookings=8))
def test_shortening_delays_keeps_every_traveler_and_every_seat_leg_once(case: Case) -> None:
    problem = build_problem(case.bookings, case.alternatives, Rules(earliest_min=-60))
    placed = first_fit(problem)
    shorter = shorten_delays(problem, placed)
    assert shorter.keys() == placed.keys()
    used: set[tuple[int, str, int]] = set()
    for index, seated in shorter.items():
        option = seated.option
        assert abs(option.delay_min) <= abs(placed[index].option.delay_min)
        assert option.seat_class == case.bookings[index].seat_class
        assert len(seated.seats) == case.bookings[index].party
        ride = case.alternatives[option.alternative]
        for label in seated.seats:
            assert not any(c.overlaps(option.legs) for c in ride.taken.get(label, ()))
            for leg in option.legs.legs:
                assert (option.alternative, label, leg) not in used
                used.add((option.alternative, label, leg))

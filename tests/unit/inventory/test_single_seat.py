"""Seat assignment for a party of one: the best seat found without the solver, checked
against the brute-force objective (the cheapest seat, then the first in the map)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.assignment import SeatRequest, assign_seats, choice_cost
from inventory.availability import free_seats, seat_is_free
from inventory.legs import LegRange
from tests.unit.inventory.test_assignment import (
    SMALL,
    STOPS,
    WHOLE,
    as_claims,
    assign,
    check,
    leg_grid,
    leg_ranges,
    sixty_seat_coach_at_seventy_percent,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(leg_grid, min_size=len(SMALL.seats), max_size=len(SMALL.seats)),
    leg_ranges,
    st.sampled_from([None, "window", "aisle"]),
    st.booleans(),
    st.booleans(),
)
def test_a_single_traveler_gets_a_best_seat(
    grid: list[list[int]], legs: LegRange, position: str | None, accessible: bool, bike: bool
) -> None:
    taken = {seat.label: as_claims(row) for seat, row in zip(SMALL.seats, grid, strict=True)}
    taken["9Z"] = [WHOLE]  # a claim on a seat the map no longer has counts for nothing
    request = SeatRequest(1, legs, position=position, accessible=int(accessible), bikes=int(bike))
    check(SMALL, taken, request)
    fitting = [
        (choice_cost(SMALL, taken, request, [seat.label], stop_count=STOPS), index, seat.label)
        for index, seat in enumerate(SMALL.seats)
        if seat_is_free(taken.get(seat.label, []), legs)
        and (seat.has("accessible") or not accessible)
        and (seat.has("bike") or not bike)
    ]
    if fitting:  # the cheapest, and of those the first in the map
        assert assign(request, taken, SMALL).seats == (min(fitting)[2],)


@pytest.mark.parametrize("seed", range(5))
def test_a_single_traveler_gets_the_best_seat_without_the_solver(seed: int) -> None:
    coach, taken = sixty_seat_coach_at_seventy_percent(seed)
    legs = LegRange(3, 7)
    request = SeatRequest(1, legs, position="window")
    free = [seat.label for seat in free_seats(coach, taken, legs)]
    result = assign_seats(coach, taken, request, stop_count=20)
    assert result.method == "direct"
    best = min(free, key=lambda label: choice_cost(coach, taken, request, [label], stop_count=20))
    assert result.seats == (best,)

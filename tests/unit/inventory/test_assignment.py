"""Seat assignment: hard constraints, preferences, the greedy fallback and optimality."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.assignment import (
    Assignment,
    SeatRequest,
    assign_greedy,
    assign_seats,
    choice_cost,
    is_together,
    validate_explicit,
)
from inventory.availability import free_seats, seat_is_free
from inventory.errors import InventoryError
from inventory.legs import LegRange
from inventory.seatmap_files import load_seat_maps, parse_seat_map
from inventory.seatmaps import SeatMap

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "seatmaps"
STOPS = 6
WHOLE = LegRange(0, STOPS - 1)
Taken = dict[str, list[LegRange]]

# Four 2+2 rows; the front pair is accessible, 4D is beside the bike place.
COACH = parse_seat_map(
    "coach-16",
    """
[[rows]]
first = 1
last = 4
pattern = "AB_CD"

[overrides.1A]
attributes = ["accessible"]

[overrides.1B]
attributes = ["accessible"]

[overrides.4D]
attributes = ["bike"]
""",
)


def taking(*labels: str, legs: LegRange = WHOLE) -> Taken:
    return {label: [legs] for label in labels}


def assign(
    request: SeatRequest, taken: Taken | None = None, seat_map: SeatMap = COACH
) -> Assignment:
    return assign_seats(seat_map, taken or {}, request, stop_count=STOPS)


def code_of(request: SeatRequest, taken: Taken | None = None, seat_map: SeatMap = COACH) -> str:
    with pytest.raises(InventoryError) as caught:
        assign(request, taken, seat_map)
    return caught.value.code


@pytest.mark.parametrize(
    "request_",
    [
        SeatRequest(0, WHOLE),
        SeatRequest(10, WHOLE),
        SeatRequest(2, WHOLE, accessible=3),
        SeatRequest(2, WHOLE, bikes=-1),
        SeatRequest(2, WHOLE, position="middle"),
    ],
)
def test_malformed_parties_are_refused(request_: SeatRequest) -> None:
    assert code_of(request_) == "invalid_party"


def test_legs_outside_the_trip_are_refused() -> None:
    assert code_of(SeatRequest(1, LegRange(2, STOPS))) == "invalid_leg_range"


def test_a_class_without_seats_is_refused() -> None:
    assert code_of(SeatRequest(1, WHOLE, seat_class="first")) == "class_mismatch"
    regional = load_seat_maps(EXAMPLES)["regional-60"]
    # Standing places are counted, never assigned.
    assert code_of(SeatRequest(1, WHOLE, seat_class="standing"), seat_map=regional) == (
        "class_mismatch"
    )


def test_too_few_free_seats_is_sold_out() -> None:
    everything_but_one = taking(*(seat.label for seat in COACH.seats[1:]))
    with pytest.raises(InventoryError) as caught:
        assign(SeatRequest(2, WHOLE), everything_but_one)
    assert caught.value.code == "sold_out"
    assert "needs 2 seats but 1 is free" in caught.value.message
    assert assign(SeatRequest(1, WHOLE), everything_but_one).seats == ("1A",)


def test_unmet_accessible_or_bike_needs_are_sold_out() -> None:
    assert code_of(SeatRequest(3, WHOLE, accessible=3)) == "sold_out"
    assert code_of(SeatRequest(2, WHOLE, bikes=2)) == "sold_out"
    with pytest.raises(InventoryError) as caught:
        assign(SeatRequest(1, WHOLE, accessible=1), taking("1A", "1B"))
    assert "0 accessible" in caught.value.message


def test_one_seat_with_both_attributes_serves_both_needs() -> None:
    regional = load_seat_maps(EXAMPLES)["regional-60"]
    result = assign(SeatRequest(1, WHOLE, accessible=1, bikes=1), seat_map=regional)
    assert result.seats in {("T3",), ("T4",)}


def test_accessible_seats_are_hard_constraints_and_kept_for_those_who_need_them() -> None:
    assert assign(SeatRequest(2, WHOLE, accessible=1)).seats == ("1A", "1B")
    assert assign(SeatRequest(2, WHOLE, accessible=1, together=False)).seats == ("1A", "1C")
    assert assign(SeatRequest(2, WHOLE, bikes=1)).seats == ("4C", "4D")
    # Without the need, the accessible front row and the bike seat stay free.
    assert assign(SeatRequest(4, WHOLE)).seats == ("2A", "2B", "2C", "2D")
    assert assign(SeatRequest(1, WHOLE, position="window")).seats == ("1D",)


def test_position_preference() -> None:
    assert assign(SeatRequest(1, WHOLE, position="aisle")).seats == ("1C",)
    assert assign(SeatRequest(2, WHOLE, position="window")).seats == ("1C", "1D")
    assert assign(SeatRequest(2, WHOLE, position="window", together=False)).seats == (
        "1D",
        "2A",
    )


def test_a_pair_sits_side_by_side_rather_than_across_the_aisle() -> None:
    taken = taking("1B", "1D", "2A", "3A", "3B", "3C", "3D", "4A", "4B", "4C", "4D")
    result = assign(SeatRequest(2, WHOLE), taken)
    assert result == Assignment(("2C", "2D"), "cp-sat", together=True)
    # Apart, the accessible 1A is spared and the seats go by map order.
    apart = assign(SeatRequest(2, WHOLE, together=False), taken)
    assert apart.seats == ("1C", "2B")
    assert not apart.together


def test_four_take_a_whole_row_when_one_is_free() -> None:
    taken = taking("2C", "4A")
    result = assign(SeatRequest(4, WHOLE), taken)
    assert result.seats == ("3A", "3B", "3C", "3D")
    assert result.together


def test_four_take_two_pairs_one_behind_the_other_when_no_row_is_free() -> None:
    taken = taking("1B", "2C", "2D", "3C", "3D", "4A", "4B", "4C", "4D")
    result = assign(SeatRequest(4, WHOLE), taken)
    assert result.seats == ("2A", "2B", "3A", "3B")
    assert result.together


def test_a_short_journey_takes_the_seat_that_fits_it_tightly() -> None:
    pair = parse_seat_map("pair", '[[rows]]\nfirst = 1\npattern = "AB"\n')
    stops = 5
    taken = {"1B": [LegRange(2, 4)]}
    short = SeatRequest(1, LegRange(0, 2))
    # The first free seat, 1A, is free end to end; 1B is free only for the short journey.
    assert assign_seats(pair, taken, short, stop_count=stops).seats == ("1B",)
    through = SeatRequest(1, LegRange(0, 4))
    after_tight_fit = {**taken, "1B": [LegRange(0, 2), LegRange(2, 4)]}
    assert assign_seats(pair, after_tight_fit, through, stop_count=stops).seats == ("1A",)
    after_first_free = {**taken, "1A": [LegRange(0, 2)]}
    with pytest.raises(InventoryError) as caught:
        assign_seats(pair, after_first_free, through, stop_count=stops)
    assert caught.value.code == "sold_out"


def test_the_same_inputs_give_the_same_answer() -> None:
    taken = taking("1C", "2B", "3D", legs=LegRange(1, 3))
    request = SeatRequest(3, LegRange(0, 4), position="window")
    first = assign(request, taken)
    reordered = dict(reversed(list(taken.items())))
    assert assign(request, reordered) == first
    assert assign(request, taken) == first


def test_the_greedy_meets_the_hard_constraints() -> None:
    request = SeatRequest(3, WHOLE, accessible=2, bikes=1)
    greedy = assign_greedy(COACH, {}, request, stop_count=STOPS)
    assert greedy.method == "greedy"
    assert greedy.seats == ("1A", "1B", "4D")
    assert assign_seats(COACH, {}, request, stop_count=STOPS, time_limit_s=0) == greedy


def test_the_greedy_keeps_a_party_together_where_it_can() -> None:
    taken = taking("1B", "2C", "2D", "3C", "3D", "4A", "4B", "4C", "4D")
    greedy = assign_greedy(COACH, taken, SeatRequest(4, WHOLE), stop_count=STOPS)
    assert greedy.seats == ("2A", "2B", "3A", "3B")
    assert greedy.together


def test_a_tiny_time_limit_still_gives_a_valid_answer() -> None:
    result = assign_seats(COACH, {}, SeatRequest(4, WHOLE), stop_count=STOPS, time_limit_s=1e-9)
    assert result.method in {"cp-sat", "greedy"}
    assert len(set(result.seats)) == 4


def test_the_example_coach_seats_a_family_side_by_side() -> None:
    coach = load_seat_maps(EXAMPLES)["coach-49"]
    # Four side by side on the rear bench have three adjacent pairs, a 2+2 row only two.
    result = assign_seats(coach, {}, SeatRequest(4, LegRange(0, 3)), stop_count=4)
    assert result.seats == ("12A", "12B", "12C", "12D")
    taken = taking("12C")
    result = assign_seats(coach, taken, SeatRequest(4, LegRange(0, 3)), stop_count=4)
    assert result.seats == ("2A", "2B", "2C", "2D")


def test_together_means_one_group_of_row_and_column_neighbours() -> None:
    seat = COACH.seat
    assert is_together(COACH, [seat("1B"), seat("1C")])
    assert is_together(COACH, [seat("1A"), seat("2A"), seat("2B")])
    assert not is_together(COACH, [seat("1A"), seat("1C")])
    assert not is_together(COACH, [seat("1A"), seat("1D")])
    assert not is_together(COACH, [seat("1A"), seat("1B"), seat("2C"), seat("2D")])
    assert not is_together(COACH, [])


def test_chosen_seats_are_checked() -> None:
    taken = taking("2A", legs=LegRange(1, 3))
    validate_explicit(COACH, taken, ["1A", "2A"], LegRange(3, 5))
    cases = [
        (["1A", "9Z"], "unknown_seat", "'9Z'"),
        (["1A", "1B", "1A"], "duplicate_seat", "'1A'"),
        (["1A", "2A"], "seat_taken", "seat '2A'"),
        ([], "invalid_party", "not 0"),
    ]
    for labels, code, words in cases:
        with pytest.raises(InventoryError) as caught:
            validate_explicit(COACH, taken, labels, LegRange(0, 2))
        assert caught.value.code == code
        assert words in caught.value.message


def test_choice_cost_checks_the_choice() -> None:
    request = SeatRequest(2, WHOLE)
    with pytest.raises(InventoryError) as caught:
        choice_cost(COACH, {}, request, ["1A"], stop_count=STOPS)
    assert caught.value.code == "invalid_party"
    assert choice_cost(COACH, {}, request, ["1A", "1B"], stop_count=STOPS) < choice_cost(
        COACH, {}, request, ["1B", "1C"], stop_count=STOPS
    )


def sixty_seat_coach_at_seventy_percent(seed: int) -> tuple[SeatMap, Taken]:
    """A 60-seat coach on a 20-stop trip with bookings of 1 to 6 legs on about 70 % of legs."""
    coach = parse_seat_map("coach-60", '[[rows]]\nfirst = 1\nlast = 15\npattern = "AB_CD"\n')
    draws = itertools.count(seed * 1000)
    legs = 19
    taken: Taken = {}
    for seat in coach.seats:
        claims: list[LegRange] = []
        board = 0
        while board < legs:
            draw = (next(draws) * 2654435761) % 2**32
            length = 1 + draw % 6
            if draw >> 16 & 0xFF < 0.7 * 256:
                claims.append(LegRange(board, min(legs, board + length)))
            board += length
        taken[seat.label] = claims
    return coach, taken


@pytest.mark.parametrize("seed", range(5))
def test_a_busy_sixty_seat_coach(seed: int) -> None:
    coach, taken = sixty_seat_coach_at_seventy_percent(seed)
    legs = next(
        LegRange(board, board + 2)
        for board in range(18)
        if len(free_seats(coach, taken, LegRange(board, board + 2))) >= 4
    )
    result = assign_seats(coach, taken, SeatRequest(4, legs), stop_count=20)
    assert result.method == "cp-sat"
    assert all(seat_is_free(taken[label], legs) for label in result.seats)


def best_cost(seat_map: SeatMap, taken: Taken, request: SeatRequest) -> tuple[int, ...] | None:
    """The least choice cost over every choice meeting the hard constraints, or None."""
    free = free_seats(seat_map, taken, request.legs)
    costs = [
        choice_cost(seat_map, taken, request, [seat.label for seat in combo], stop_count=STOPS)
        for combo in itertools.combinations(free, request.party)
        if sum(seat.has("accessible") for seat in combo) >= request.accessible
        and sum(seat.has("bike") for seat in combo) >= request.bikes
    ]
    return min(costs, default=None)


def check(seat_map: SeatMap, taken: Taken, request: SeatRequest) -> None:
    """Both methods give valid answers, CP-SAT a best one, or both say sold out rightly."""
    best = best_cost(seat_map, taken, request)
    for method in (assign_seats, assign_greedy):
        if best is None:
            with pytest.raises(InventoryError) as caught:
                method(seat_map, taken, request, stop_count=STOPS)
            assert caught.value.code == "sold_out"
            continue
        result = method(seat_map, taken, request, stop_count=STOPS)
        assert len(result.seats) == len(set(result.seats)) == request.party
        for label in result.seats:
            assert seat_is_free(taken.get(label, []), request.legs)
        chosen = [seat_map.seat(label) for label in result.seats]
        assert sum(seat.has("accessible") for seat in chosen) >= request.accessible
        assert sum(seat.has("bike") for seat in chosen) >= request.bikes
        cost = choice_cost(seat_map, taken, request, result.seats, stop_count=STOPS)
        assert cost >= best
        if result.method in ("cp-sat", "direct"):
            assert cost == best


SMALL = parse_seat_map(
    "small",
    """
[[rows]]
first = 1
last = 3
pattern = "AB_C"

[overrides.1A]
attributes = ["accessible"]

[overrides.2C]
attributes = ["accessible", "bike"]

[overrides.3C]
attributes = ["bike"]
""",
)

leg_grid = st.lists(st.integers(0, 2), min_size=STOPS - 1, max_size=STOPS - 1)
leg_ranges = st.tuples(st.integers(0, STOPS - 2), st.integers(1, STOPS - 1)).map(
    lambda t: LegRange(t[0], min(STOPS - 1, t[0] + t[1]))
)


def as_claims(legs: Sequence[int]) -> list[LegRange]:
    claims: list[LegRange] = []
    start = 0
    for leg in range(1, len(legs) + 1):
        if leg == len(legs) or legs[leg] != legs[start]:
            if legs[start]:
                claims.append(LegRange(start, leg))
            start = leg
    return claims


seat_requests = st.builds(
    lambda legs, party, together, position, accessible, bikes: SeatRequest(
        party,
        legs,
        together=together,
        position=position,
        accessible=min(accessible, party),
        bikes=min(bikes, party),
    ),
    leg_ranges,
    st.integers(1, 4),
    st.booleans(),
    st.sampled_from([None, "window", "aisle"]),
    st.integers(0, 2),
    st.integers(0, 1),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(leg_grid, min_size=len(SMALL.seats), max_size=len(SMALL.seats)), seat_requests)
def test_assignments_are_valid_and_best(grid: list[list[int]], request: SeatRequest) -> None:
    taken = {seat.label: as_claims(row) for seat, row in zip(SMALL.seats, grid, strict=True)}
    check(SMALL, taken, request)


@pytest.mark.parametrize("party", [2, 3])
@pytest.mark.parametrize("taken", [{}, {"4B": [WHOLE]}, {"1A": [WHOLE], "7C": [LegRange(0, 2)]}])
def test_long_runs_of_free_rows_still_give_a_best_answer(party: int, taken: Taken) -> None:
    seven_rows = parse_seat_map("seven", '[[rows]]\nfirst = 1\nlast = 7\npattern = "AB_C"\n')
    check(seven_rows, taken, SeatRequest(party, LegRange(1, 3), position="window"))

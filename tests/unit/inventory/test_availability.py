"""Free seats and places on a leg range, against a leg-by-leg count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.availability import (
    class_counts,
    free_interval,
    free_seats,
    peak_claimed,
    seat_is_free,
    slack,
    unassigned_free,
)
from inventory.errors import InventoryError
from inventory.legs import LegRange
from inventory.seatmap_files import parse_seat_map
from inventory.seatmaps import SeatMap

LEGS = 6
MAP = parse_seat_map(
    "availability",
    """
[[rows]]
first = 1
last = 2
pattern = "AB_CD"

[[rows]]
first = 3
pattern = "A_CD"
class = "first"

[unassigned]
standing = 10
first = 2
""",
)


def labels(seat_map: SeatMap, taken: dict[str, list[LegRange]], legs: LegRange) -> list[str]:
    return [seat.label for seat in free_seats(seat_map, taken, legs)]


def test_a_seat_is_free_when_no_claim_shares_a_leg() -> None:
    claims = [LegRange(0, 2), LegRange(4, 6)]
    assert seat_is_free(claims, LegRange(2, 4))
    assert not seat_is_free(claims, LegRange(1, 3))
    assert not seat_is_free(claims, LegRange(3, 5))
    assert seat_is_free([], LegRange(0, 6))


def test_free_seats_keep_map_order() -> None:
    taken = {"1A": [LegRange(0, 3)], "2C": [LegRange(3, 6)], "gone": [LegRange(0, 6)]}
    assert labels(MAP, taken, LegRange(2, 4)) == [
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "2D",
        "3A",
        "3C",
        "3D",
    ]
    assert "1A" in labels(MAP, taken, LegRange(3, 6))


def test_unassigned_places_count_the_busiest_leg() -> None:
    claims = [(LegRange(0, 3), 4), (LegRange(2, 5), 3), (LegRange(5, 6), 9)]
    assert peak_claimed(claims, LegRange(0, 2)) == 4
    assert unassigned_free(10, claims, LegRange(0, 5)) == 3
    # Claims meeting at a stop never add up: 3 alight where 9 board.
    assert unassigned_free(10, claims, LegRange(3, 6)) == 1
    assert unassigned_free(5, claims, LegRange(0, 6)) == 0
    assert unassigned_free(10, [], LegRange(0, 6)) == 10


def test_free_interval_spans_the_gap_between_claims() -> None:
    claims = [LegRange(0, 1), LegRange(4, 5)]
    assert free_interval(claims, LegRange(2, 3), LEGS) == (1, 4)
    assert free_interval([], LegRange(2, 3), LEGS) == (0, LEGS)
    assert free_interval([LegRange(5, 6)], LegRange(0, 2), LEGS) == (0, 5)
    assert slack(claims, LegRange(2, 3), LEGS) == 2
    assert slack(claims, LegRange(1, 4), LEGS) == 0


def test_free_interval_of_a_taken_seat_is_refused() -> None:
    with pytest.raises(InventoryError) as caught:
        free_interval([LegRange(1, 3)], LegRange(2, 4), LEGS)
    assert caught.value.code == "seat_taken"


def test_class_counts_add_seats_and_unassigned_places() -> None:
    taken = {"1A": [LegRange(0, 3)], "3A": [LegRange(0, 6)]}
    claims = {"standing": [(LegRange(1, 4), 7)], "first": [(LegRange(0, 6), 2)]}
    counts = class_counts(MAP, taken, LegRange(2, 4), claims)
    assert counts == {"first": 2, "standard": 7, "standing": 3}
    assert class_counts(MAP, {}, LegRange(0, 6), {}) == {"first": 5, "standard": 8, "standing": 10}


# Claims on one seat, drawn leg by leg: 0 is free, and each run of one non-zero value is one
# claim, so neighbouring claims may meet at a stop but never overlap.
occupancy = st.lists(st.integers(0, 2), min_size=LEGS, max_size=LEGS)
requests = st.tuples(st.integers(0, LEGS - 1), st.integers(1, LEGS)).map(
    lambda t: LegRange(t[0], min(LEGS, t[0] + t[1]))
)


def as_claims(legs: list[int]) -> list[LegRange]:
    claims: list[LegRange] = []
    start = 0
    for leg in range(1, LEGS + 1):
        if leg == LEGS or legs[leg] != legs[start]:
            if legs[start]:
                claims.append(LegRange(start, leg))
            start = leg
    return claims


@settings(max_examples=150)
@given(st.lists(occupancy, min_size=len(MAP.seats), max_size=len(MAP.seats)), requests)
def test_free_seats_match_a_leg_by_leg_count(grid: list[list[int]], legs: LegRange) -> None:
    taken = {seat.label: as_claims(row) for seat, row in zip(MAP.seats, grid, strict=True)}
    expected = [
        seat.label
        for seat, row in zip(MAP.seats, grid, strict=True)
        if all(row[leg] == 0 for leg in legs.legs)
    ]
    assert labels(MAP, taken, legs) == expected


@settings(max_examples=150)
@given(
    st.lists(st.tuples(requests, st.integers(1, 5)), max_size=8),
    requests,
    st.integers(0, 20),
)
def test_unassigned_places_match_a_leg_by_leg_count(
    claims: list[tuple[LegRange, int]], legs: LegRange, capacity: int
) -> None:
    used = [0] * LEGS
    for claimed, places in claims:
        for leg in claimed.legs:
            used[leg] += places
    busiest = max(used[leg] for leg in legs.legs)
    assert unassigned_free(capacity, claims, legs) == max(0, capacity - busiest)


@settings(max_examples=150)
@given(occupancy, requests)
def test_free_interval_is_the_widest_free_run_around_the_request(
    row: list[int], legs: LegRange
) -> None:
    claims = as_claims(row)
    if not seat_is_free(claims, legs):
        return
    start, end = free_interval(claims, legs, LEGS)
    assert start <= legs.board < legs.alight <= end
    assert all(row[leg] == 0 for leg in range(start, end))
    assert start == 0 or row[start - 1] != 0
    assert end == LEGS or row[end] != 0

"""Leg-by-leg loads of a trip instance and their GTFS-Realtime occupancy levels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory import occupancy
from inventory.occupancy import LegLoad, leg_loads, occupancy_level, per_leg

claims = st.lists(
    st.tuples(st.integers(-2, 8), st.integers(-2, 10), st.integers(1, 5)).filter(
        lambda claim: claim[0] < claim[1]
    ),
    max_size=20,
)


@given(legs=st.integers(0, 8), taken=claims)
def test_per_leg_counts_what_covers_each_leg(legs: int, taken: list[tuple[int, int, int]]) -> None:
    expected = [
        sum(count for board, alight, count in taken if board <= leg < alight) for leg in range(legs)
    ]
    assert per_leg(legs, taken) == expected


def test_leg_loads_keep_seats_and_places_apart() -> None:
    loads = leg_loads(3, [(0, 2, 1), (1, 3, 1)], [(2, 3, 4)])
    assert loads == [LegLoad(1, 0), LegLoad(2, 0), LegLoad(1, 4)]


@pytest.mark.parametrize(
    ("seats_taken", "places_taken", "level"),
    [
        (0, 0, occupancy.EMPTY),
        (1, 0, occupancy.MANY_SEATS_AVAILABLE),
        (0, 4, occupancy.MANY_SEATS_AVAILABLE),  # 4 of 10 taken, seats free
        (5, 0, occupancy.FEW_SEATS_AVAILABLE),  # half the capacity
        (5, 2, occupancy.FEW_SEATS_AVAILABLE),  # one seat still free
        (6, 0, occupancy.STANDING_ROOM_ONLY),  # every seat, 60 %
        (6, 2, occupancy.STANDING_ROOM_ONLY),  # 80 %
        (6, 3, occupancy.CRUSHED_STANDING_ROOM_ONLY),  # 90 %
        (6, 4, occupancy.FULL),
    ],
)
def test_levels_of_a_map_with_six_seats_and_four_standing_places(
    seats_taken: int, places_taken: int, level: str
) -> None:
    assert occupancy_level(LegLoad(seats_taken, places_taken), seats=6, places=4) == level


@pytest.mark.parametrize(
    ("seats_taken", "level"),
    [
        (0, occupancy.EMPTY),
        (24, occupancy.MANY_SEATS_AVAILABLE),
        (25, occupancy.FEW_SEATS_AVAILABLE),
        (49, occupancy.FEW_SEATS_AVAILABLE),
        (50, occupancy.FULL),
        (51, occupancy.FULL),  # claims of seats a changed map no longer has
    ],
)
def test_a_map_without_standing_room_never_says_standing(seats_taken: int, level: str) -> None:
    assert occupancy_level(LegLoad(seats_taken, 0), seats=50, places=0) == level


def test_a_map_of_unassigned_places_only_counts_them_as_seats() -> None:
    assert occupancy_level(LegLoad(0, 9), seats=0, places=10) == occupancy.FEW_SEATS_AVAILABLE
    assert occupancy_level(LegLoad(0, 10), seats=0, places=10) == occupancy.FULL


@given(
    seats=st.integers(0, 60),
    places=st.integers(0, 60),
    seats_taken=st.integers(0, 70),
    places_taken=st.integers(0, 70),
)
def test_more_taken_never_reads_emptier(
    seats: int, places: int, seats_taken: int, places_taken: int
) -> None:
    order = [
        occupancy.EMPTY,
        occupancy.MANY_SEATS_AVAILABLE,
        occupancy.FEW_SEATS_AVAILABLE,
        occupancy.STANDING_ROOM_ONLY,
        occupancy.CRUSHED_STANDING_ROOM_ONLY,
        occupancy.FULL,
    ]
    if seats + places == 0:
        return
    level = order.index(occupancy_level(LegLoad(seats_taken, places_taken), seats, places))
    one_more_seat = occupancy_level(LegLoad(seats_taken + 1, places_taken), seats, places)
    one_more_place = occupancy_level(LegLoad(seats_taken, places_taken + 1), seats, places)
    assert order.index(one_more_seat) >= level
    assert order.index(one_more_place) >= level

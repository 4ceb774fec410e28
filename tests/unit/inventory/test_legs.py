"""Leg ranges: validation, overlap and stops to legs."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.errors import InventoryError
from inventory.legs import LegRange, leg_range_between


def test_error_carries_a_code_and_prints_its_message() -> None:
    error = InventoryError("sold_out", "no seats left")
    assert (error.code, error.message, str(error)) == ("sold_out", "no seats left", "no seats left")
    copied = copy.deepcopy(error)
    assert (copied.code, copied.message) == ("sold_out", "no seats left")


def test_a_range_knows_its_legs() -> None:
    legs = LegRange(2, 5)
    assert list(legs.legs) == [2, 3, 4]
    assert len(legs) == 3
    assert str(legs) == "stops 2 to 5"
    assert LegRange(0, 3).covers(LegRange(1, 2))
    assert not LegRange(1, 2).covers(LegRange(0, 3))
    assert sorted([LegRange(1, 3), LegRange(0, 4), LegRange(0, 2)]) == [
        LegRange(0, 2),
        LegRange(0, 4),
        LegRange(1, 3),
    ]


def test_ranges_meeting_at_a_stop_do_not_overlap() -> None:
    assert not LegRange(0, 2).overlaps(LegRange(2, 4))
    assert not LegRange(2, 4).overlaps(LegRange(0, 2))
    assert LegRange(0, 3).overlaps(LegRange(2, 4))
    assert LegRange(1, 2).overlaps(LegRange(0, 4))


@pytest.mark.parametrize(("board", "alight"), [(0, 1), (0, 4), (3, 4)])
def test_ranges_inside_the_trip_are_valid(board: int, alight: int) -> None:
    LegRange(board, alight).validate(stop_count=5)


@pytest.mark.parametrize(("board", "alight"), [(-1, 2), (2, 2), (3, 1), (0, 5), (4, 5)])
def test_empty_reversed_or_outside_ranges_are_refused(board: int, alight: int) -> None:
    with pytest.raises(InventoryError) as caught:
        LegRange(board, alight).validate(stop_count=5)
    assert caught.value.code == "invalid_leg_range"
    assert "5 stops" in caught.value.message


def test_stops_map_to_the_legs_between_them() -> None:
    stops = ["A", "B", "C", "D"]
    assert leg_range_between(stops, "A", "D") == LegRange(0, 3)
    assert leg_range_between(stops, "B", "C") == LegRange(1, 2)


def test_a_loop_trip_boards_at_the_first_call_and_alights_at_the_next_one() -> None:
    loop = ["DEPOT", "A", "B", "A", "DEPOT"]
    assert leg_range_between(loop, "A", "DEPOT") == LegRange(1, 4)
    assert leg_range_between(loop, "DEPOT", "DEPOT") == LegRange(0, 4)
    assert leg_range_between(loop, "B", "A") == LegRange(2, 3)


@pytest.mark.parametrize(
    ("board", "alight", "words"),
    [
        ("X", "C", "boarding stop 'X'"),
        ("A", "X", "alighting stop 'X'"),
        ("C", "A", "'A' after 'C'"),
        ("C", "C", "'C' after 'C'"),
    ],
)
def test_missing_or_misordered_stops_are_refused(board: str, alight: str, words: str) -> None:
    with pytest.raises(InventoryError) as caught:
        leg_range_between(["A", "B", "C"], board, alight)
    assert caught.value.code == "invalid_leg_range"
    assert words in caught.value.message


ranges = st.tuples(st.integers(0, 12), st.integers(1, 6)).map(lambda t: LegRange(t[0], t[0] + t[1]))


@given(ranges, ranges)
def test_overlap_means_sharing_a_leg(a: LegRange, b: LegRange) -> None:
    assert a.overlaps(b) == bool(set(a.legs) & set(b.legs)) == b.overlaps(a)
    assert a.covers(b) == (set(b.legs) <= set(a.legs))

"""The decomposition's last pass: with the time left, each alternative is packed again for
the most travelers, from the bookings it holds and those still waiting."""

from __future__ import annotations

import time

from inventory.greedy_reaccommodation import Placed, Seated
from inventory.reaccommodation_decomposition import _polish
from inventory.reaccommodation_input import Rules
from inventory.reaccommodation_problem import build_problem
from tests.unit.inventory.reaccommodation_builders import alternative, booking, vehicle

TWO = vehicle("standard", "standard")


def polished(placed_on: dict[int, tuple[str, ...]], seconds: float = 5.0) -> Placed:
    """A single traveler and a pair, two seats: polish an answer seating ``placed_on``."""
    problem = build_problem(
        [booking("single"), booking("pair", party=2)], [alternative("A", TWO)], Rules()
    )
    placed = {
        index: Seated(problem.option(index, 0, "standard"), seats)
        for index, seats in placed_on.items()
    }
    _polish(
        problem,
        placed,
        [0],
        deadline=time.monotonic() + seconds,
        work_limit=None,
        seat_time_limit_s=0.0,
    )
    return placed


def test_an_alternative_packed_again_seats_more_travelers() -> None:
    placed = polished({0: ("1A",)})  # the single traveler took a seat the pair needed
    assert set(placed) == {1}
    assert sorted(placed[1].seats) == ["1A", "1B"]


def test_an_answer_no_packing_beats_is_kept() -> None:
    assert {i: s.seats for i, s in polished({1: ("1A", "1B")}).items()} == {1: ("1A", "1B")}


def test_with_no_time_left_nothing_changes() -> None:
    assert {i: s.seats for i, s in polished({0: ("1B",)}, seconds=-1).items()} == {0: ("1B",)}

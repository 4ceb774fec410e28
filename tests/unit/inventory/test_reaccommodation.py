"""Re-accommodation on cases worked out by hand: parties, classes, legs, delay, fallbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory import reaccommodation
from inventory.errors import InventoryError
from inventory.legs import LegRange
from inventory.reaccommodation import (
    Alternative,
    DisplacedBooking,
    Journey,
    Reaccommodation,
    Rules,
    StopCall,
    greedy_first_fit,
    reaccommodate,
    upper_bound,
)
from inventory.reaccommodation_model import tier_weights
from inventory.seatmaps import SeatMap
from tests.unit.inventory.reaccommodation_builders import (
    DAY,
    alternative,
    booking,
    calls,
    check_answer,
    vehicle,
)

TWO = vehicle("standard", "standard")


def solve(
    bookings: list[DisplacedBooking], alternatives: list[Alternative], rules: Rules | None = None
) -> Reaccommodation:
    result = reaccommodate(bookings, alternatives, rules, time_limit_s=5.0)
    check_answer(result, bookings, alternatives, rules.upgrades if rules else None)
    return result


def where(result: Reaccommodation) -> dict[str, str | None]:
    return {p.booking_id: p.trip_instance for p in result.placements}


def test_a_party_is_placed_whole_or_not_at_all() -> None:
    bookings = [booking("P", party=3), booking("Q", party=2)]
    result = solve(bookings, [alternative("A", TWO, late_min=20)])
    assert where(result) == {"P": None, "Q": "A"}
    assert result.placements[1].seats == ("1A", "1B")
    assert (result.placed_passengers, result.unplaced_passengers) == (2, 3)
    assert result.status == "optimal"


def test_a_party_is_never_split_over_two_alternatives() -> None:
    alternatives = [alternative("A", TWO, late_min=10), alternative("B", TWO, late_min=20)]
    bookings = [booking("P", party=3), booking("Q", party=2), booking("R", party=2)]
    result = solve(bookings, alternatives)
    assert where(result)["P"] is None
    assert {where(result)["Q"], where(result)["R"]} == {"A", "B"}


def test_a_booking_keeps_its_class_unless_the_rules_allow_an_upgrade() -> None:
    seats = vehicle("first", "first", "standard")
    bookings = [
        booking("F", seat_class="first"),
        booking("S1", seat_class="standard"),
        booking("S2", seat_class="standard"),
    ]
    alternatives = [alternative("A", seats, late_min=10)]
    same_class = solve(bookings, alternatives)
    assert where(same_class)["F"] == "A"
    assert sorted(map(str, [where(same_class)["S1"], where(same_class)["S2"]])) == ["A", "None"]
    assert same_class.placements[0].seats in {("1A",), ("1B",)}
    assert same_class.upgraded_passengers == 0

    rules = Rules(upgrades={"standard": ("first",)})
    upgraded = solve(bookings, alternatives, rules)
    assert upgraded.placed_passengers == 3
    assert upgraded.upgraded_passengers == 1  # only the one the standard seat cannot take
    assert sorted(p.seat_class or "" for p in upgraded.placements) == [
        "first",
        "first",
        "standard",
    ]


def test_an_upgrade_is_not_used_while_the_own_class_has_room() -> None:
    rules = Rules(upgrades={"standard": ("first",)})
    seats = vehicle("first", "standard")
    result = solve([booking("S")], [alternative("A", seats, late_min=10)], rules)
    assert result.placements[0].seats == ("1B",)
    assert not result.placements[0].upgraded


def test_seats_free_on_different_legs_do_not_add_up_to_a_journey() -> None:
    # Each leg has one free seat, but no seat is free on all three.
    taken = {"1A": [LegRange(0, 1)], "1B": [LegRange(2, 3)]}
    alternatives = [alternative("A", TWO, late_min=10, taken=taken)]
    whole_line = [booking("W", legs=(0, 3))]
    assert where(solve(whole_line, alternatives)) == {"W": None}
    assert upper_bound(whole_line, alternatives) == 0

    halves = [booking("X", legs=(1, 3)), booking("Y", legs=(0, 2))]
    result = solve(halves, alternatives)
    assert [p.seats for p in result.placements] == [("1A",), ("1B",)]


def test_the_model_packs_journeys_the_greedy_cannot() -> None:
    # 1A is free on legs 0-4 only, 1B on the whole line. Seating j1 on the tight 1A first
    # leaves no seat for j3; the best answer puts j3 on 1A and j1, j2 one after the other on 1B.
    taken = {"1A": [LegRange(5, 10)]}
    alternatives = [alternative("A", TWO, stops=11, late_min=10, taken=taken)]
    bookings = [booking("j1", legs=(0, 4)), booking("j2", legs=(4, 9)), booking("j3", legs=(1, 5))]
    assert greedy_first_fit(bookings, alternatives).placed_passengers == 2
    result = solve(bookings, alternatives)
    assert result.placed_passengers == 3
    assert [p.seats for p in result.placements] == [("1B",), ("1B",), ("1A",)]
    assert upper_bound(bookings, alternatives) == 3


def test_delay_is_minimised_among_answers_placing_as_many() -> None:
    alternatives = [alternative("A", TWO, late_min=10), alternative("B", TWO, late_min=60)]
    bookings = [booking("Q"), booking("P", party=2)]
    greedy = greedy_first_fit(bookings, alternatives)
    assert where(greedy) == {"Q": "A", "P": "B"}
    assert greedy.total_delay_min == 10 + 2 * 60
    result = solve(bookings, alternatives)
    assert where(result) == {"Q": "B", "P": "A"}
    assert result.total_delay_min == 60 + 2 * 10


def test_an_earlier_arrival_counts_as_a_deviation_too() -> None:
    alternatives = [alternative("E", TWO, late_min=-10), alternative("L", TWO, late_min=20)]
    result = solve([booking("B")], alternatives)
    assert where(result) == {"B": "E"}
    assert result.placements[0].delay_min == -10
    assert result.total_delay_min == 10


def test_placing_more_travelers_beats_any_delay() -> None:
    # B does not call at S1, so Q can only go on A; P fits on A alone, or on the late B.
    late = DAY + timedelta(minutes=200)
    skipping = (StopCall("S0", late), StopCall("S2", late), StopCall("S3", late))
    alternatives = [alternative("A", TWO), Alternative("B", skipping, TWO)]
    bookings = [booking("P", party=2, legs=(0, 3)), booking("Q", legs=(0, 1))]
    result = solve(bookings, alternatives)
    assert where(result) == {"P": "B", "Q": "A"}
    assert result.placed_passengers == 3


def test_the_time_window_bounds_the_alternatives() -> None:
    rules = Rules(earliest_min=-30, latest_min=60)
    alternatives = [
        alternative("too-early", TWO, late_min=-31),
        alternative("too-late", TWO, late_min=61),
    ]
    assert where(solve([booking("B")], alternatives, rules)) == {"B": None}
    edges = [alternative("early", vehicle("standard"), late_min=-30)]
    edges.append(alternative("late", vehicle("standard"), late_min=60))
    result = solve([booking("B1"), booking("B2")], edges, rules)
    assert sorted(p.delay_min or 0 for p in result.placements) == [-30, 60]


def test_a_booking_no_alternative_serves_is_left_to_be_refunded() -> None:
    stray = DisplacedBooking("X", 2, "standard", "S0", "NOWHERE", DAY)
    result = solve([stray, booking("B")], [alternative("A", TWO)])
    assert where(result) == {"X": None, "B": "A"}
    assert result.unplaced_passengers == 2
    assert result.placements[0].legs is None


def test_unassigned_places_are_counted_per_leg() -> None:
    bus = SeatMap("bus", vehicle("standard").seats, unassigned={"standing": 3})
    standing = Alternative(
        "A",
        calls(4, DAY + timedelta(minutes=10)),
        bus,
        unassigned_claims={"standing": [(LegRange(0, 2), 2)]},
    )

    def standee(booking_id: str, party: int, legs: tuple[int, int]) -> DisplacedBooking:
        base = booking(booking_id, party, legs, "standing")
        return DisplacedBooking(
            base.booking_id,
            base.party,
            base.seat_class,
            base.origin,
            base.destination,
            base.arrival,
            unassigned=True,
        )

    bookings = [standee("U1", 2, (1, 3)), standee("U2", 3, (2, 3))]
    result = solve(bookings, [standing])
    assert where(result) == {"U1": None, "U2": "A"}  # leg 1 has one place left, leg 2 three
    assert result.placements[1].seats == ()


def test_needs_are_met_with_accessible_and_bike_seats() -> None:
    seats = vehicle("standard", "standard", "standard", special={2: "accessible", 0: "bike"})
    alternatives = [alternative("A", seats)]
    result = solve([booking("N", party=2, accessible=1, bikes=1)], alternatives)
    assert result.placements[0].seats == ("1A", "1C")
    taken = {"1C": [LegRange(0, 1)]}
    busy = [alternative("A", seats, taken=taken)]
    assert where(solve([booking("N", accessible=1)], busy)) == {"N": None}


def test_journeys_can_be_given_outright() -> None:
    renamed = Alternative(
        "A",
        calls(4, DAY + timedelta(minutes=15), prefix="T"),
        TWO,
        journeys={"B": Journey(LegRange(0, 3), DAY + timedelta(minutes=45))},
    )
    result = solve([booking("B"), booking("C")], [renamed])
    assert where(result) == {"B": "A", "C": None}
    assert result.placements[0].delay_min == 15


def test_the_same_input_gives_the_same_answer() -> None:
    alternatives = [
        alternative("A", vehicle(*["standard"] * 6), late_min=10, taken={"1A": [LegRange(1, 2)]}),
        alternative("B", vehicle(*["standard"] * 6), late_min=30),
    ]
    bookings = [booking(f"B{n}", party=1 + n % 3, legs=(n % 2, 3)) for n in range(8)]
    first = solve(bookings, alternatives)
    assert all(solve(bookings, alternatives) == first for _ in range(3))


def test_a_time_limit_of_zero_returns_the_greedy_answer() -> None:
    alternatives = [alternative("A", TWO, late_min=10), alternative("B", TWO, late_min=60)]
    bookings = [booking("Q"), booking("P", party=2)]
    result = reaccommodate(bookings, alternatives, time_limit_s=0)
    assert result.status == "greedy"
    assert result == greedy_first_fit(bookings, alternatives)


def test_large_problems_are_solved_an_alternative_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reaccommodation, "WHOLE_MODEL_OPTIONS", 0)
    taken = {"1A": [LegRange(5, 10)]}
    alternatives = [
        alternative("A", TWO, stops=11, late_min=10, taken=taken),
        alternative("B", TWO, stops=11, late_min=90),
    ]
    bookings = [booking("j1", legs=(0, 4)), booking("j2", legs=(4, 9)), booking("j3", legs=(1, 5))]
    bookings.append(booking("j4", party=2, legs=(2, 6)))
    result = reaccommodate(bookings, alternatives, time_limit_s=5.0)
    check_answer(result, bookings, alternatives)
    assert result.status == "feasible"
    assert result.placed_passengers == 5
    assert result.placed_passengers >= greedy_first_fit(bookings, alternatives).placed_passengers


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: reaccommodate([booking("B"), booking("B")], []), "invalid_reaccommodation"),
        (lambda: reaccommodate([booking("B", party=0)], []), "invalid_party"),
        (lambda: reaccommodate([booking("B", party=10)], []), "invalid_party"),
        (lambda: reaccommodate([booking("B", accessible=2)], []), "invalid_party"),
        (lambda: Rules(earliest_min=10, latest_min=0), "invalid_reaccommodation"),
        (
            lambda: reaccommodate([], [Alternative("A", calls(1, DAY), TWO)]),
            "invalid_reaccommodation",
        ),
        (
            lambda: reaccommodate([], [alternative("A", TWO), alternative("A", TWO)]),
            "invalid_reaccommodation",
        ),
    ],
)
def test_contradictory_requests_are_refused(make: object, code: str) -> None:
    with pytest.raises(InventoryError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.code == code


def test_unassigned_bookings_cannot_have_seat_needs() -> None:
    strange = DisplacedBooking("U", 1, "standing", "S0", "S1", DAY, accessible=1, unassigned=True)
    with pytest.raises(InventoryError) as caught:
        reaccommodate([strange], [])
    assert caught.value.code == "invalid_party"


def test_tier_weights_make_the_objective_lexicographic() -> None:
    spreads = [57, 3, 12]
    weights = tier_weights(spreads)
    for tier, weight in enumerate(weights):
        assert weight > sum(w * s for w, s in zip(weights[:tier], spreads[:tier], strict=True))


def test_a_party_sits_together_when_the_vehicle_allows() -> None:
    row = SeatMap(
        "coach",
        tuple(
            seat
            for n, seat in enumerate(vehicle(*["standard"] * 5).seats)
            if n != 2  # 1A 1B aisle 1D 1E
        ),
    )
    result = solve([booking("P", party=2)], [alternative("A", row, taken={"1A": [LegRange(0, 3)]})])
    assert result.placements[0].seats == ("1D", "1E")


def test_seats_can_be_chosen_by_cp_sat_and_work_can_be_bounded() -> None:
    coach = SeatMap(
        "coach",
        tuple(seat for n, seat in enumerate(vehicle(*["standard"] * 5).seats) if n != 2),
    )
    alternatives = [alternative("A", coach, late_min=10), alternative("B", coach, late_min=20)]
    bookings = [booking("P", party=3), booking("Q"), booking("R", party=2), booking("S", party=2)]
    results = [
        reaccommodate(bookings, alternatives, time_limit_s=5.0, seat_time_limit_s=0.5),
        reaccommodate(bookings, alternatives, time_limit_s=5.0, work_limit=1.0),
    ]
    for result in results:
        check_answer(result, bookings, alternatives)
        assert result.placed_passengers == 8

"""Re-accommodation benchmark: the CP-SAT placement against the greedy first fit and the bound.

In one run it
  (a) generates, from a fixed seed, a line of STOPS stops served by 25 trips of a 300-seat
      train (48 first class seats in 1+2 rows, 252 standard in 2+2 rows, with accessible and
      bike seats), departing every 20 minutes from 06:00. CANCELLED of them are cancelled
      (07:00 to 11:00, hourly) and the other ALTERNATIVES are the alternatives, each already
      partly booked: a seat's claims are drawn journey after journey along the line, to a
      load from 35 % of seat-legs early and late in the morning to 75 % around 08:00;
  (b) draws BOOKINGS displaced bookings, BOOKINGS / CANCELLED per cancelled trip, sold on
      that trip's seat map until they fill it as a booking office would (a booking that no
      longer fits is refused and another drawn): parties of 1 to 5 (mostly 1 and 2), 15 % first
      class, commuter journeys of 4 legs on average, about 3 % needing an accessible seat and
      2 % a bike seat;
  (c) re-accommodates them within a window from 30 minutes earlier to 3 hours later than the
      original arrival, same class only, with ``inventory.reaccommodation.reaccommodate``
      (time limit TIME_LIMIT_S; this size is solved an alternative at a time, see
      ``inventory.reaccommodation_decomposition``), and in the same run computes the greedy
      first fit and the upper bound (the linear relaxation of the model), and checks both
      answers: every party whole and in its class, no seat-leg used twice, none already
      claimed.
The last line printed is one JSON object with the figures: travelers ``placed``,
``greedy_placed``, ``upper_bound``, ``solve_s`` (the whole ``reaccommodate`` call, wall
clock), the ``status``, ``placed_of_bound``, the travelers' ``total_delay_min`` (traveler-
minutes away from the original arrivals) and the greedy's, and the input's ``passengers``.
Goals: placed >= greedy_placed, placed >= 98 % of upper_bound, solve_s <= 10.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inventory.legs import LegRange  # noqa: E402
from inventory.reaccommodation import (  # noqa: E402
    Alternative,
    DisplacedBooking,
    Reaccommodation,
    Rules,
    StopCall,
    greedy_first_fit,
    reaccommodate,
    upper_bound,
)
from inventory.seatmap_files import parse_seat_map  # noqa: E402
from inventory.seatmaps import SeatMap  # noqa: E402

SEED = 20_260_601
STOPS = 12
BOOKINGS = 2000
CANCELLED = 5
ALTERNATIVES = 20
TIME_LIMIT_S = 9.0
DAY = datetime(2026, 6, 1)
RULES = Rules(earliest_min=-30, latest_min=180)
TRAIN_TOML = """
[[rows]]
first = 1
last = 16
pattern = "A_CD"
class = "first"

[[rows]]
first = 17
last = 79
pattern = "AB_CD"
class = "standard"

[overrides.17A]
attributes = ["accessible"]
[overrides.17B]
attributes = ["accessible"]
[overrides.48A]
attributes = ["accessible"]
[overrides.48B]
attributes = ["accessible"]
[overrides.18C]
attributes = ["bike"]
[overrides.18D]
attributes = ["bike"]
[overrides.49C]
attributes = ["bike"]
[overrides.49D]
attributes = ["bike"]
"""


def timetable(departure: datetime) -> tuple[StopCall, ...]:
    """The calls of a trip leaving stop 0 at ``departure``: 9 to 14 minutes between stops."""
    calls = []
    at = departure
    for stop in range(STOPS):
        calls.append(StopCall(f"S{stop:02d}", at))
        at += timedelta(minutes=9 + (stop * 7) % 6)
    return tuple(calls)


def occupied(rng: random.Random, train: SeatMap, load: float) -> dict[str, list[LegRange]]:
    """Claims on the train's seats, journey after journey along the line, to about ``load``."""
    legs = STOPS - 1
    taken: dict[str, list[LegRange]] = {}
    for seat in train.seats:
        stop = 0
        while stop < legs:
            length = rng.randint(1, legs)
            if rng.random() < load:
                alight = min(legs, stop + length)
                taken.setdefault(seat.label, []).append(LegRange(stop, alight))
                stop = alight
            else:
                stop += max(1, length // 3)
    return taken


def journey(rng: random.Random) -> LegRange:
    """A commuter journey: 1 to 11 legs, 4 on average, more often from or to the terminus."""
    legs = STOPS - 1
    length = min(legs, max(1, round(rng.gauss(4, 2.2))))
    board = rng.choice([0, legs - length]) if rng.random() < 0.3 else rng.randint(0, legs - length)
    return LegRange(board, board + length)


def booked(rng: random.Random, train: SeatMap, count: int) -> list[tuple[int, str, LegRange]]:
    """``count`` bookings (party, class, legs) that fit together on one train, as sold."""
    free: dict[str, list[list[bool]]] = {}
    for seat in train.seats:
        free.setdefault(seat.seat_class, []).append([True] * (STOPS - 1))
    sold: list[tuple[int, str, LegRange]] = []
    for _ in range(100 * count):
        party = rng.choices([1, 2, 3, 4, 5], weights=[45, 30, 12, 9, 4])[0]
        seat_class = "first" if rng.random() < 0.15 else "standard"
        legs = journey(rng)
        seats = [row for row in free[seat_class] if all(row[leg] for leg in legs.legs)]
        if len(seats) < party:
            continue  # sold out for this journey: the next traveler asks for another
        for row in seats[:party]:
            for leg in legs.legs:
                row[leg] = False
        sold.append((party, seat_class, legs))
        if len(sold) == count:
            return sold
    raise SystemExit(f"the train sold only {len(sold)} of {count} bookings")


def scenario(
    rng: random.Random, train: SeatMap
) -> tuple[list[DisplacedBooking], list[Alternative]]:
    """The displaced bookings and the alternatives (see the module's (a) and (b))."""
    trips = [DAY.replace(hour=6) + timedelta(minutes=20 * n) for n in range(25)]
    cancelled = sorted({DAY.replace(hour=7 + n) for n in range(CANCELLED)})
    alternatives = []
    for departure in trips:
        if departure in cancelled:
            continue
        hours_from_peak = abs((departure - DAY.replace(hour=8)).total_seconds()) / 3600
        load = max(0.35, 0.75 - 0.12 * hours_from_peak)
        alternatives.append(
            Alternative(
                f"L{departure:%H%M}@{DAY:%Y-%m-%d}",
                timetable(departure),
                train,
                occupied(rng, train, load),
            )
        )
    assert len(alternatives) == ALTERNATIVES
    bookings: list[DisplacedBooking] = []
    for trip, departure in enumerate(cancelled):
        calls = timetable(departure)
        for party, seat_class, legs in booked(rng, train, BOOKINGS // CANCELLED):
            need = rng.random()
            bookings.append(
                DisplacedBooking(
                    f"B{trip}{len(bookings):05d}",
                    party,
                    seat_class,
                    calls[legs.board].stop_id,
                    calls[legs.alight].stop_id,
                    calls[legs.alight].arrival,
                    accessible=1 if need < 0.03 else 0,
                    bikes=1 if 0.03 <= need < 0.05 else 0,
                )
            )
    return bookings, alternatives


def check(
    result: Reaccommodation, bookings: list[DisplacedBooking], alternatives: list[Alternative]
) -> None:
    """Refuse an answer that splits a party, changes a class or uses a seat-leg twice."""
    by_trip = {a.trip_instance: a for a in alternatives}
    used: set[tuple[str, str, int]] = set()
    for placement, booking in zip(result.placements, bookings, strict=True):
        if not placement.placed:
            continue
        alternative = by_trip[placement.trip_instance or ""]
        assert placement.seat_class == booking.seat_class
        assert placement.legs is not None
        assert len(set(placement.seats)) == booking.party
        for label in placement.seats:
            assert alternative.seat_map.seat(label).seat_class == booking.seat_class
            claims = alternative.taken.get(label, ())
            assert not any(claim.overlaps(placement.legs) for claim in claims)
            for leg in placement.legs.legs:
                key = (alternative.trip_instance, label, leg)
                assert key not in used
                used.add(key)


def main() -> None:
    """Run the benchmark and print its figures."""
    rng = random.Random(SEED)  # noqa: S311 - a repeatable scenario, not a secret
    train = parse_seat_map("train-300", TRAIN_TOML)
    bookings, alternatives = scenario(rng, train)
    passengers = sum(b.party for b in bookings)
    print(f"{len(bookings)} bookings, {passengers} travelers, {len(alternatives)} alternatives")
    started = time.perf_counter()
    greedy = greedy_first_fit(bookings, alternatives, RULES)
    greedy_s = time.perf_counter() - started
    print(f"greedy first fit: {greedy.placed_passengers} travelers in {greedy_s:.2f} s")
    started = time.perf_counter()
    bound = upper_bound(bookings, alternatives, RULES)
    bound_s = time.perf_counter() - started
    print(f"upper bound: {bound} travelers in {bound_s:.2f} s")
    started = time.perf_counter()
    result = reaccommodate(bookings, alternatives, RULES, time_limit_s=TIME_LIMIT_S)
    solve_s = time.perf_counter() - started
    check(result, bookings, alternatives)
    check(greedy, bookings, alternatives)
    figures = {
        "placed": result.placed_passengers,
        "greedy_placed": greedy.placed_passengers,
        "upper_bound": bound,
        "solve_s": round(solve_s, 2),
        "status": result.status,
        "placed_of_bound": round(result.placed_passengers / bound, 4) if bound else 1.0,
        "total_delay_min": result.total_delay_min,
        "greedy_delay_min": greedy.total_delay_min,
        "passengers": passengers,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

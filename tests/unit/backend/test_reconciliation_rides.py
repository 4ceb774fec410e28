"""Pairing an account medium's taps into rides, and passback flags across devices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from backend.services.reconciliation_rides import (
    Ride,
    RideKind,
    TapFact,
    pair_rides,
    passback_hits,
)
from fares.rules import DeviceRole

DAY_START = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # 04:00 in Warsaw (summer time)
DAY_END = DAY_START + timedelta(days=1)
MAX_JOURNEY = timedelta(minutes=180)
CARD = "c" * 64
IDS = count(1)

ENTRY, EXIT, BUS = DeviceRole.GATE_ENTRY, DeviceRole.GATE_EXIT, DeviceRole.BUS


def tap(
    role: DeviceRole,
    minutes: float,
    stop: str | None = "CEN",
    *,
    device: str | None = None,
    trip: str | None = None,
    card: str = CARD,
) -> TapFact:
    """A tap ``minutes`` after 08:00 UTC of the travel day."""
    at = datetime(2026, 6, 2, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    device = device or f"{role.value}-{stop}"
    return TapFact(next(IDS), device, role, stop, at, card, trip)


def rides(*taps: TapFact) -> list[Ride]:
    return pair_rides(list(taps), DAY_START, DAY_END, MAX_JOURNEY, timedelta(seconds=120))


def test_an_entry_pairs_with_the_next_exit_within_the_longest_journey() -> None:
    entry, exit_tap = tap(ENTRY, 0, "CEN"), tap(EXIT, 25, "AIRPORT")

    (ride,) = rides(exit_tap, entry)  # taps come in any order

    assert (ride.kind, ride.entry, ride.exit) == (RideKind.GATE, entry, exit_tap)
    assert ride.complete
    assert ride.taps == (entry, exit_tap)


def test_an_entry_without_an_exit_in_time_is_incomplete_and_the_late_exit_is_no_ride() -> None:
    entry, late_exit = tap(ENTRY, 0), tap(EXIT, 181, "PARK")

    (ride,) = rides(entry, late_exit)

    assert ride.exit is None
    assert not ride.complete


def test_an_exit_exactly_at_the_longest_journey_still_counts() -> None:
    (ride,) = rides(tap(ENTRY, 0), tap(EXIT, 180, "PARK"))

    assert ride.complete


def test_an_entry_followed_by_an_entry_elsewhere_is_incomplete() -> None:
    first, second, exit_tap = tap(ENTRY, 0, "CEN"), tap(ENTRY, 30, "PARK"), tap(EXIT, 50, "AIR")

    incomplete, complete = rides(first, second, exit_tap)

    assert (incomplete.entry, incomplete.exit) == (first, None)
    assert (complete.entry, complete.exit) == (second, exit_tap)


def test_entries_repeated_at_one_station_count_once() -> None:
    first, again, exit_tap = tap(ENTRY, 0, "CEN"), tap(ENTRY, 1, "CEN", device="g2"), tap(EXIT, 20)

    (ride,) = rides(first, again, exit_tap)

    assert (ride.entry, ride.exit, ride.folded) == (again, exit_tap, (first,))
    assert ride.taps == (first, again, exit_tap)


def test_entries_at_one_station_beyond_the_passback_window_are_separate_rides() -> None:
    first, later, exit_tap = tap(ENTRY, 0, "CEN"), tap(ENTRY, 2, "CEN", device="g2"), tap(EXIT, 9)

    incomplete, complete = rides(first, later, exit_tap)

    assert (incomplete.entry, incomplete.exit) == (first, None)
    assert (complete.entry, complete.exit, complete.folded) == (later, exit_tap, ())


def test_an_exit_with_no_entry_makes_no_ride() -> None:
    assert rides(tap(EXIT, 0, "PARK")) == []


def test_bus_boardings_are_rides_complete_only_with_a_trip_instance() -> None:
    known, unknown = tap(BUS, 0, None, trip="BUS1@2026-06-02"), tap(BUS, 60, None)

    placed, lost = rides(known, unknown)

    assert (placed.kind, placed.complete, lost.complete) == (RideKind.BUS, True, False)


def test_only_rides_starting_within_the_travel_day_are_made() -> None:
    before = tap(ENTRY, -(6 * 60 + 5), "CEN")  # 01:55 UTC, 03:55 in Warsaw: the day before
    exit_tap = tap(EXIT, -(6 * 60 - 10), "PARK")  # the next travel day's first minutes
    last = tap(ENTRY, 18 * 60 - 1, "PARK")  # 01:59 UTC next day, 03:59 Warsaw: still today
    after_end = tap(EXIT, 18 * 60 + 20, "CEN")

    (ride,) = rides(before, exit_tap, last, after_end)

    assert (ride.entry, ride.exit) == (last, after_end)


WINDOWS = {ENTRY: 120, BUS: 300}


def test_the_same_card_let_in_by_two_devices_within_the_window_is_flagged() -> None:
    first, second = tap(ENTRY, 0, device="g1"), tap(ENTRY, 1.5, device="g2")

    (hit,) = passback_hits([second, first], WINDOWS)

    assert (hit.first, hit.second, hit.window_s, hit.gap_ms) == (first, second, 120, 90_000)


def test_no_flag_on_one_device_at_the_window_or_for_exits() -> None:
    same_device = [tap(ENTRY, 0, device="g1"), tap(ENTRY, 1, device="g1")]
    at_window = [tap(ENTRY, 10, device="g1"), tap(ENTRY, 12, device="g2")]
    exits = [tap(EXIT, 20, device="x1"), tap(EXIT, 20.5, device="x2")]
    other_cards = [tap(ENTRY, 30, device="g1"), tap(ENTRY, 30.5, device="g2", card="d" * 64)]

    assert passback_hits([*same_device, *at_window, *exits, *other_cards], WINDOWS) == []


def test_each_entry_is_judged_against_the_previous_one_with_the_later_roles_window() -> None:
    gate = tap(ENTRY, 0, device="g1")
    bus = tap(BUS, 3, None, device="bus-1")  # 180 s: within the bus window of 300 s
    gate_again = tap(ENTRY, 6, device="g1")  # 180 s after the bus: beyond the gate's 120 s

    (hit,) = passback_hits([gate, bus, gate_again], WINDOWS)

    assert (hit.first, hit.second, hit.window_s) == (gate, bus, 300)

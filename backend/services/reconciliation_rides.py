"""Rides from one account medium's taps, and passback flags from any credential's taps.

Pure: taps in, rides and flags out. Only allowed taps count (a denied tap let nobody through).

Rides (per fingerprint, taps in time order):

- a gate entry (``gate_entry``) is paired with the medium's next tap when that is a gate exit
  (``gate_exit``) within the maximum journey time; otherwise the entry is an *incomplete* ride,
  charged the maximum fare. Entries repeated at the same stop within ``fold_within`` and
  before any exit (a rider who tapped at two gates of one station: the passback window) count
  once: the last of them starts the ride, and the earlier ones are kept with it so that no
  other ride takes them;
- a bus boarding (``bus``) is a ride of its own; without a trip instance the validator did not
  know where the bus was going, and the ride is incomplete too;
- an exit with no entry before it is no ride (its entry may belong to another travel day).

Only rides that start within the travel day are made; an exit may fall after the day's end.

Passback flags: an allowed tap at an entry role (gate entry or bus) is flagged with the same
credential's previous allowed entry-role tap when that one was on another device and less
than the passback window of the later tap's role before it. This is what one validator
holding both taps in its history would have refused (``fares.decide``), so each later tap
is flagged at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fares.rules import ENTRY_ROLES, DeviceRole


class RideKind(StrEnum):
    """How a ride was validated."""

    GATE = "gate"
    BUS = "bus"


@dataclass(frozen=True, slots=True)
class TapFact:
    """What reconciliation needs of one stored tap and the device that took it."""

    tap_id: int
    device_id: str
    role: DeviceRole
    stop_id: str | None
    at: datetime
    fingerprint: str
    trip_instance: str | None = None


@dataclass(frozen=True, slots=True)
class Ride:
    """A gate entry with its exit (None: incomplete), or a bus boarding."""

    kind: RideKind
    entry: TapFact
    exit: TapFact | None = None
    folded: tuple[TapFact, ...] = ()  # earlier entries at the same stop, counted once

    @property
    def complete(self) -> bool:
        """Whether where the ride went is known: a gate exit, or a bus's trip instance."""
        if self.kind is RideKind.BUS:
            return self.entry.trip_instance is not None
        return self.exit is not None

    @property
    def taps(self) -> tuple[TapFact, ...]:
        """Every tap the ride takes, earliest first."""
        ended = () if self.exit is None else (self.exit,)
        return (*self.folded, self.entry, *ended)


@dataclass(frozen=True, slots=True)
class PassbackHit:
    """Two entries of one credential on different devices within the passback window."""

    first: TapFact
    second: TapFact
    window_s: int

    @property
    def gap_ms(self) -> int:
        """Milliseconds from the first tap to the second."""
        return round((self.second.at - self.first.at).total_seconds() * 1000)


def pair_rides(
    taps: Sequence[TapFact],
    day_start: datetime,
    day_end: datetime,
    max_journey: timedelta,
    fold_within: timedelta = timedelta(0),
) -> list[Ride]:
    """The rides of one medium's taps (any order) that start in [day_start, day_end)."""
    rides: list[Ride] = []
    ordered = sorted(taps, key=_order)
    index = 0
    while index < len(ordered):
        tap = ordered[index]
        index += 1
        if tap.role is DeviceRole.BUS:
            rides.append(Ride(RideKind.BUS, tap))
        elif tap.role is DeviceRole.GATE_ENTRY:
            folded: list[TapFact] = []
            while _same_station_again(tap, ordered, index, fold_within):
                folded.append(tap)
                tap = ordered[index]
                index += 1
            following = ordered[index] if index < len(ordered) else None
            exit_tap = following if _exits(tap, following, max_journey) else None
            index += exit_tap is not None
            rides.append(Ride(RideKind.GATE, tap, exit_tap, tuple(folded)))
    return [ride for ride in rides if day_start <= ride.entry.at < day_end]


def _order(tap: TapFact) -> tuple[datetime, int]:
    return tap.at, tap.tap_id


def _same_station_again(
    tap: TapFact, ordered: Sequence[TapFact], index: int, within: timedelta
) -> bool:
    if index >= len(ordered):
        return False
    following = ordered[index]
    return (
        following.role is DeviceRole.GATE_ENTRY
        and following.stop_id == tap.stop_id
        and following.at - tap.at < within
    )


def _exits(entry: TapFact, following: TapFact | None, max_journey: timedelta) -> bool:
    return (
        following is not None
        and following.role is DeviceRole.GATE_EXIT
        and following.at - entry.at <= max_journey
    )


def passback_hits(taps: Iterable[TapFact], windows: Mapping[DeviceRole, int]) -> list[PassbackHit]:
    """The flags among ``taps`` (any credentials, any order); see the module docstring."""
    last: dict[str, TapFact] = {}
    hits: list[PassbackHit] = []
    for tap in sorted((tap for tap in taps if tap.role in ENTRY_ROLES), key=_order):
        before = last.get(tap.fingerprint)
        last[tap.fingerprint] = tap
        window = windows.get(tap.role, 0)
        if before is None or window <= 0 or before.device_id == tap.device_id:
            continue
        if (tap.at - before.at).total_seconds() < window:
            hits.append(PassbackHit(before, tap, window))
    return hits

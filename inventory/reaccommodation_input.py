"""What re-accommodation is given and what it returns (see ``inventory.reaccommodation``).

Times are ``datetime`` values, all naive or all aware, so that a trip running past midnight or
an alternative on the next service day compares correctly; a delay is counted in whole minutes,
rounded towards zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from inventory.availability import PlaceClaim
from inventory.errors import INVALID_PARTY, INVALID_REACCOMMODATION, InventoryError
from inventory.legs import LegRange, leg_range_between
from inventory.seatmaps import SeatMap

MAX_PARTY = 9

OPTIMAL = "optimal"
FEASIBLE = "feasible"
GREEDY = "greedy"


@dataclass(frozen=True)
class DisplacedBooking:
    """A booking on the cancelled trip instance: ``party`` travelers of ``seat_class`` from
    stop ``origin`` to stop ``destination`` (stop ids), due to arrive at ``arrival``.

    ``accessible`` and ``bikes`` count the accessible and bike seats the party needs (a seat
    with both attributes counts for both, as in ``inventory.assignment``). ``unassigned`` marks
    a booking of unassigned places (standing room, unreserved benches) rather than seats: it is
    moved to unassigned places of its class, never to seats, and its needs must be 0.
    """

    booking_id: str
    party: int
    seat_class: str
    origin: str
    destination: str
    arrival: datetime
    accessible: int = 0
    bikes: int = 0
    unassigned: bool = False

    @property
    def has_needs(self) -> bool:
        """Whether the party needs accessible or bike seats."""
        return self.accessible > 0 or self.bikes > 0

    def validate(self) -> None:
        """Refuse a party outside 1 to 9 or needs it cannot have (``invalid_party``)."""
        if isinstance(self.party, bool) or not 1 <= self.party <= MAX_PARTY:
            raise InventoryError(
                INVALID_PARTY,
                f"booking {self.booking_id!r}: a party has 1 to {MAX_PARTY} travelers, "
                f"not {self.party}",
            )
        for need, count in (("accessible", self.accessible), ("bike", self.bikes)):
            if not 0 <= count <= self.party or (self.unassigned and count):
                raise InventoryError(
                    INVALID_PARTY,
                    f"booking {self.booking_id!r}: {count} {need} seats cannot be needed by "
                    f"a party of {self.party}{' in unassigned places' if self.unassigned else ''}",
                )


@dataclass(frozen=True)
class StopCall:
    """One call of an alternative at a stop, in stop sequence order."""

    stop_id: str
    arrival: datetime


@dataclass(frozen=True)
class Journey:
    """The legs a booking would travel on an alternative and when it would arrive."""

    legs: LegRange
    arrival: datetime


@dataclass(frozen=True)
class Alternative:
    """A trip instance the displaced bookings may be moved to, and what is already taken.

    ``calls`` is the stop sequence; a booking travels from the first call at its origin to
    the next call at its destination. ``journeys`` may give, by booking id, the legs and arrival
    outright instead (for a booking whose stops the alternative serves under other stop ids);
    it wins over ``calls``. ``taken`` maps seat labels to the leg ranges held or booked on them
    (ranges on one seat never overlap) and ``unassigned_claims`` the unassigned places claimed
    per class, as ``inventory.availability`` reads them.
    """

    trip_instance: str
    calls: tuple[StopCall, ...]
    seat_map: SeatMap
    taken: Mapping[str, Sequence[LegRange]] = field(default_factory=dict, hash=False)
    unassigned_claims: Mapping[str, Sequence[PlaceClaim]] = field(default_factory=dict, hash=False)
    journeys: Mapping[str, Journey] = field(default_factory=dict, hash=False)

    @property
    def stop_count(self) -> int:
        """The number of stops of the trip."""
        return len(self.calls)

    def journey(self, booking: DisplacedBooking) -> Journey | None:
        """The booking's journey on this trip, or None when it does not serve it."""
        given = self.journeys.get(booking.booking_id)
        if given is not None:
            given.legs.validate(self.stop_count)
            return given
        stop_ids = [call.stop_id for call in self.calls]
        if booking.origin not in stop_ids or booking.destination not in stop_ids:
            return None
        try:
            legs = leg_range_between(stop_ids, booking.origin, booking.destination)
        except InventoryError:
            return None  # it calls at the destination only before the origin
        return Journey(legs, self.calls[legs.alight].arrival)


@dataclass(frozen=True)
class Rules:
    """Which alternatives a booking may be moved to.

    An alternative is eligible when the booking's journey on it arrives from ``earliest_min``
    minutes before to ``latest_min`` minutes after the original arrival. A booking keeps its
    class; ``upgrades`` maps a class to the higher classes its bookings may be moved to when
    that helps place more travelers (none by default). Upgrades rank below placing travelers
    and above delay: see ``inventory.reaccommodation``.
    """

    earliest_min: int = -60
    latest_min: int = 240
    upgrades: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.earliest_min > self.latest_min:
            raise InventoryError(
                INVALID_REACCOMMODATION,
                f"the time window from {self.earliest_min} to {self.latest_min} minutes is empty",
            )
        upgrades = {key: tuple(value) for key, value in self.upgrades.items()}
        object.__setattr__(self, "upgrades", MappingProxyType(upgrades))

    def classes_for(self, seat_class: str) -> tuple[str, ...]:
        """The booking's own class, then the classes it may be upgraded to."""
        higher = tuple(c for c in self.upgrades.get(seat_class, ()) if c != seat_class)
        return (seat_class, *higher)


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end``, rounded towards zero (negative when earlier)."""
    seconds = int((end - start).total_seconds())
    return seconds // 60 if seconds >= 0 else -(-seconds // 60)


@dataclass(frozen=True)
class Placement:
    """Where one booking goes: an alternative with seats (or unassigned places), or nowhere.

    ``delay_min`` is the new arrival minus the original, in minutes (negative: earlier). An
    unplaced booking (``trip_instance`` None) is to be refunded.
    """

    booking_id: str
    party: int
    trip_instance: str | None = None
    seat_class: str | None = None
    legs: LegRange | None = None
    seats: tuple[str, ...] = ()
    delay_min: int | None = None
    upgraded: bool = False

    @property
    def placed(self) -> bool:
        """Whether the booking was moved to an alternative."""
        return self.trip_instance is not None


@dataclass(frozen=True)
class Reaccommodation:
    """Every booking's placement, in the order given, with the totals and how it was solved.

    ``status`` is ``optimal`` (CP-SAT proved it best), ``feasible`` (the best found within the
    time limit, or by solving a large problem an alternative at a time: not proven best), or
    ``greedy`` (the greedy first fit: the time limit was 0, or nothing better was found).
    ``total_delay_min`` sums, over placed travelers, how many minutes each arrives away from
    the original arrival, earlier or later.
    """

    placements: tuple[Placement, ...]
    status: str

    @property
    def placed_bookings(self) -> int:
        """How many bookings were moved."""
        return sum(p.placed for p in self.placements)

    @property
    def placed_passengers(self) -> int:
        """How many travelers were moved."""
        return sum(p.party for p in self.placements if p.placed)

    @property
    def unplaced_passengers(self) -> int:
        """How many travelers are left to be refunded."""
        return sum(p.party for p in self.placements if not p.placed)

    @property
    def upgraded_passengers(self) -> int:
        """How many moved travelers sit in a higher class than they booked."""
        return sum(p.party for p in self.placements if p.upgraded)

    @property
    def total_delay_min(self) -> int:
        """Travelers times minutes away from the original arrival, over the placed bookings."""
        return sum(p.party * abs(p.delay_min or 0) for p in self.placements)

    def objective(self) -> tuple[int, int, int]:
        """The lexicographic objective, larger is better: placed, -upgraded, -delay."""
        return (self.placed_passengers, -self.upgraded_passengers, -self.total_delay_min)

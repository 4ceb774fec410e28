"""Seat maps: the reservable seats of a vehicle and its non-reserved places, read from TOML.

A seat sits on a deck (0 is the lowest), in a row and a column. Row and column numbers are
positions, not labels: the aisle takes a column number of its own that no seat uses, so in a
``AB_CD`` row the seats are in columns 1, 2, 4 and 5. Two seats are *adjacent* (side by side
with nothing between them) when they are on the same deck and row and their columns differ by
exactly 1; seats 2 and 4 of that row face each other across the aisle and are not adjacent. Any
column number no seat uses breaks adjacency the same way, whether it stands for an aisle, a
door or a wheelchair space. Two seats are *row neighbours* when they are in the same row with
no seat between them (adjacent, or across the aisle), and *column neighbours* when they share
a deck and a column in consecutive rows of that deck (one directly behind the other).

Seat attributes come from a fixed vocabulary (:data:`ATTRIBUTES`) so that a request for a
window or an accessible seat means the same thing on every map. Places that are not reserved
seat by seat (standing room, unreserved benches) are counted per class in ``unassigned``.

The file format, with its compact row patterns, is documented in config/seatmaps/README.md
and read by ``inventory.seatmap_files``.
Each map says which trips and routes it serves, or that it is the default; a
:class:`SeatMapCatalog` picks the map for a trip: a map naming the trip wins over one naming
its route, which wins over the default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from inventory.errors import INVALID_SEAT_MAP, UNKNOWN_SEAT, InventoryError

ATTRIBUTES = frozenset({"window", "aisle", "accessible", "bike", "table", "power", "quiet"})
"""Seat attributes a map may use: ``window`` and ``aisle`` positions, ``accessible`` (for a
traveler with reduced mobility or a wheelchair space), ``bike`` (next to a bike place),
``table``, ``power`` (a socket) and ``quiet`` (in a quiet zone)."""

DEFAULT_CLASS = "standard"
MAX_LABEL_LENGTH = 40
MAX_CLASS_LENGTH = 40
MAX_NAME_LENGTH = 80

AISLE = "_"
NO_SEAT = "."

Place = tuple[int, int, int]


def _invalid(message: str) -> InventoryError:
    return InventoryError(INVALID_SEAT_MAP, message)


def _check_class(seat_class: str, where: str) -> None:
    if not seat_class or len(seat_class) > MAX_CLASS_LENGTH or seat_class != seat_class.strip():
        raise _invalid(
            f"{where}: class {seat_class!r} must be 1 to {MAX_CLASS_LENGTH} characters "
            "without surrounding spaces"
        )


@dataclass(frozen=True)
class Seat:
    """One reservable seat; ``attributes`` are drawn from :data:`ATTRIBUTES`."""

    label: str
    row: int
    column: int
    seat_class: str
    deck: int = 0
    attributes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.label or len(self.label) > MAX_LABEL_LENGTH or self.label != self.label.strip():
            raise _invalid(
                f"seat label {self.label!r} must be 1 to {MAX_LABEL_LENGTH} characters "
                "without surrounding spaces"
            )
        if self.row < 1 or self.column < 1 or self.deck < 0:
            raise _invalid(
                f"seat {self.label!r}: rows and columns count from 1 and decks from 0, "
                f"not deck {self.deck} row {self.row} column {self.column}"
            )
        _check_class(self.seat_class, f"seat {self.label!r}")
        unknown = sorted(self.attributes - ATTRIBUTES)
        if unknown:
            raise _invalid(
                f"seat {self.label!r}: unknown attribute {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(sorted(ATTRIBUTES))})"
            )

    @property
    def place(self) -> Place:
        """(deck, row, column): where the seat is."""
        return (self.deck, self.row, self.column)

    def has(self, attribute: str) -> bool:
        """Whether the seat has ``attribute``."""
        return attribute in self.attributes


Derived = TypeVar("Derived")


@dataclass(frozen=True)
class SeatMap:
    """A vehicle layout and the trips, routes or default it is assigned to."""

    name: str
    seats: tuple[Seat, ...]
    unassigned: Mapping[str, int] = field(default_factory=dict, hash=False)
    routes: frozenset[str] = frozenset()
    trips: frozenset[str] = frozenset()
    default: bool = False
    description: str = ""
    _labels: Mapping[str, Seat] = field(init=False, repr=False, compare=False)
    _row_positions: Mapping[str, tuple[int, int]] = field(init=False, repr=False, compare=False)
    _rows: tuple[tuple[Seat, ...], ...] = field(init=False, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(init=False, repr=False, compare=False)
    _derived_lock: threading.Lock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unassigned", MappingProxyType(dict(self.unassigned)))
        self._check()
        object.__setattr__(self, "_labels", MappingProxyType({s.label: s for s in self.seats}))
        rows: dict[tuple[int, int], list[Seat]] = {}
        for seat in self.seats:
            rows.setdefault((seat.deck, seat.row), []).append(seat)
        ordered = tuple(
            tuple(sorted(rows[key], key=lambda seat: seat.column)) for key in sorted(rows)
        )
        object.__setattr__(self, "_rows", ordered)
        object.__setattr__(self, "_row_positions", MappingProxyType(self._positions()))
        object.__setattr__(self, "_derived", {})
        object.__setattr__(self, "_derived_lock", threading.Lock())

    def derived(self, key: Hashable, make: Callable[[SeatMap], Derived]) -> Derived:
        """``make(self)``, worked out once per ``key`` and kept with the map (which never
        changes), for what a search needs of the map again and again."""
        with self._derived_lock:
            if key not in self._derived:
                self._derived[key] = make(self)
            value: Derived = self._derived[key]
            return value

    def _fail(self, problem: str) -> InventoryError:
        return _invalid(f"seat map {self.name!r}: {problem}")

    def _check(self) -> None:
        if not self.name or len(self.name) > MAX_NAME_LENGTH:
            raise _invalid(f"a seat map name must be 1 to {MAX_NAME_LENGTH} characters")
        for seat_class, count in self.unassigned.items():
            _check_class(seat_class, f"seat map {self.name!r}: unassigned places")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise self._fail(
                    f"unassigned places of class {seat_class!r} must be a whole number 0 or "
                    f"more, not {count!r}"
                )
        if not self.seats and not any(self.unassigned.values()):
            raise self._fail("the map has no seats and no unassigned places")
        labels: set[str] = set()
        places: dict[Place, str] = {}
        for seat in self.seats:
            if seat.label in labels:
                raise self._fail(f"duplicate seat label {seat.label!r}")
            labels.add(seat.label)
            other = places.setdefault(seat.place, seat.label)
            if other != seat.label:
                deck, row, column = seat.place
                raise self._fail(
                    f"seats {other!r} and {seat.label!r} are both at deck {deck} row {row} "
                    f"column {column}"
                )

    def _positions(self) -> dict[str, tuple[int, int]]:
        """Each seat's (index of its row on its deck, index of the seat in its row)."""
        positions: dict[str, tuple[int, int]] = {}
        row_index: dict[int, int] = {}
        for in_row in self._rows:
            deck = in_row[0].deck
            index = row_index[deck] = row_index.get(deck, -1) + 1
            for position, seat in enumerate(in_row):
                positions[seat.label] = (index, position)
        return positions

    @property
    def rows(self) -> tuple[tuple[Seat, ...], ...]:
        """The seats row by row, decks and rows in ascending order, each row by column."""
        return self._rows

    def seat(self, label: str) -> Seat:
        """The seat labelled ``label``."""
        try:
            return self._labels[label]
        except KeyError:
            raise InventoryError(
                UNKNOWN_SEAT, f"seat map {self.name!r} has no seat {label!r}"
            ) from None

    def __contains__(self, label: object) -> bool:
        return label in self._labels

    def classes(self) -> list[str]:
        """Every class the map offers, of seats or unassigned places, sorted."""
        return sorted({seat.seat_class for seat in self.seats} | set(self.unassigned))

    @property
    def default_seat_class(self) -> str | None:
        """The class a party that names none is seated in: the standard class when the map
        has standard seats (a traveler who asked for nothing better is not given a first-class
        seat at the standard fare), else any class (None)."""
        return DEFAULT_CLASS if any(s.seat_class == DEFAULT_CLASS for s in self.seats) else None

    def seat_classes(self) -> list[str]:
        """The classes that have reservable seats, sorted."""
        return sorted({seat.seat_class for seat in self.seats})

    def adjacent(self, a: Seat, b: Seat) -> bool:
        """Whether ``a`` and ``b`` are side by side: same deck and row, columns 1 apart."""
        return a.deck == b.deck and a.row == b.row and abs(a.column - b.column) == 1

    def row_neighbours(self, a: Seat, b: Seat) -> bool:
        """Whether ``a`` and ``b`` share a row with no seat between them (an aisle may be)."""
        if a.deck != b.deck or a.row != b.row:
            return False
        return abs(self._row_positions[a.label][1] - self._row_positions[b.label][1]) == 1

    def column_neighbours(self, a: Seat, b: Seat) -> bool:
        """Whether one of ``a`` and ``b`` is directly behind the other (consecutive rows)."""
        if a.deck != b.deck or a.column != b.column:
            return False
        return abs(self._row_positions[a.label][0] - self._row_positions[b.label][0]) == 1

    def consecutive_rows(self, a: Seat, b: Seat) -> bool:
        """Whether ``a`` and ``b`` are in neighbouring rows of the same deck."""
        if a.deck != b.deck:
            return False
        return abs(self._row_positions[a.label][0] - self._row_positions[b.label][0]) == 1


class SeatMapCatalog(Mapping[str, SeatMap]):
    """Seat maps by name, and which one serves a trip."""

    def __init__(self, maps: Mapping[str, SeatMap]) -> None:
        self._maps = dict(maps)
        self._by_trip = self._claims(lambda seat_map: seat_map.trips, "trip")
        self._by_route = self._claims(lambda seat_map: seat_map.routes, "route")
        defaults = sorted(name for name, seat_map in self._maps.items() if seat_map.default)
        if len(defaults) > 1:
            raise _invalid(f"seat maps {defaults[0]!r} and {defaults[1]!r} are both the default")
        self._default = defaults[0] if defaults else None

    def _claims(self, claimed: Callable[[SeatMap], frozenset[str]], kind: str) -> dict[str, str]:
        owners: dict[str, str] = {}
        for name in sorted(self._maps):
            for key in sorted(claimed(self._maps[name])):
                other = owners.setdefault(key, name)
                if other != name:
                    raise _invalid(f"seat maps {other!r} and {name!r} both claim {kind} {key!r}")
        return owners

    def __getitem__(self, name: str) -> SeatMap:
        return self._maps[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._maps)

    def __len__(self) -> int:
        return len(self._maps)

    def name_for_trip(
        self,
        trip_id: str,
        route_id: str,
        *,
        trip_choice: str | None = None,
        route_choice: str | None = None,
    ) -> str | None:
        """The name of the map serving the trip: by trip, else by route, else the default.

        An operator's choice for the trip (``trip_choice``) comes before the files' listing of
        the trip, and one for the route (``route_choice``) before the files' listing of the
        route: the more specific level wins, and at each level the operator's word.
        """
        return (
            trip_choice
            or self._by_trip.get(trip_id)
            or route_choice
            or self._by_route.get(route_id)
            or self._default
        )

    def default_name(self) -> str | None:
        """The default map's name, if a map is the default."""
        return self._default

    def listed_for_route(self, route_id: str) -> str | None:
        """The map the files list the route on, if any."""
        return self._by_route.get(route_id)

    def listed_for_trip(self, trip_id: str) -> str | None:
        """The map the files list the trip on, if any."""
        return self._by_trip.get(trip_id)

    def for_trip(self, trip_id: str, route_id: str) -> SeatMap | None:
        """The map serving the trip, or None when no map names it, its route or is default."""
        name = self.name_for_trip(trip_id, route_id)
        return None if name is None else self._maps[name]

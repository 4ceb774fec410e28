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

The file format, with its compact row patterns, is documented in config/seatmaps/README.md.
Each map says which trips and routes it serves, or that it is the default; a
:class:`SeatMapCatalog` picks the map for a trip: a map naming the trip wins over one naming
its route, which wins over the default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

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

    def name_for_trip(self, trip_id: str, route_id: str) -> str | None:
        """The name of the map serving the trip: by trip, else by route, else the default."""
        return self._by_trip.get(trip_id) or self._by_route.get(route_id) or self._default

    def for_trip(self, trip_id: str, route_id: str) -> SeatMap | None:
        """The map serving the trip, or None when no map names it, its route or is default."""
        name = self.name_for_trip(trip_id, route_id)
        return None if name is None else self._maps[name]


def load_seat_maps(folder: Path) -> SeatMapCatalog:
    """Every ``*.toml`` in ``folder`` by file stem, in name order; none when it is missing."""
    if not folder.exists():
        return SeatMapCatalog({})
    if not folder.is_dir():
        raise _invalid(f"the seat map folder {str(folder)!r} is not a folder")
    maps: dict[str, SeatMap] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise _invalid(f"seat map {path.stem!r}: the file is not UTF-8 text") from None
        maps[path.stem] = parse_seat_map(path.stem, text)
    return SeatMapCatalog(maps)


class _FormatError(Exception):
    """A problem in the file; :func:`parse_seat_map` adds the map's name."""


_TOP_KEYS = frozenset(
    {"description", "routes", "trips", "default", "unassigned", "rows", "seat", "overrides"}
)
_ROW_KEYS = frozenset({"first", "last", "pattern", "class", "deck", "prefix", "attributes"})
_SEAT_KEYS = frozenset({"label", "row", "column", "class", "deck", "attributes"})
_OVERRIDE_KEYS = frozenset({"class", "attributes", "remove"})


def parse_seat_map(name: str, text: str) -> SeatMap:
    """Read and check a seat map file; any problem is ``invalid_seat_map`` naming it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(f"seat map {name!r}: not valid TOML ({exc})") from None
    try:
        _only_keys(data, _TOP_KEYS, "the file")
        seats = _row_seats(data.get("rows", [])) + _explicit_seats(data.get("seat", []))
        seats = _apply_overrides(seats, _table(data.get("overrides", {}), "overrides"))
        unassigned = {
            seat_class: _number(places, f"unassigned places of class {seat_class!r}")
            for seat_class, places in _table(data.get("unassigned", {}), "unassigned").items()
        }
        routes = _texts(data.get("routes", []), "routes")
        trips = _texts(data.get("trips", []), "trips")
        default = data.get("default", False)
        if not isinstance(default, bool):
            raise _FormatError(f"default must be true or false, not {default!r}")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise _FormatError("description must be text")
    except _FormatError as exc:
        raise _invalid(f"seat map {name!r}: {exc}") from None
    return SeatMap(
        name=name,
        seats=tuple(seats),
        unassigned=unassigned,
        routes=frozenset(routes),
        trips=frozenset(trips),
        default=default,
        description=description,
    )


def _only_keys(table: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _FormatError(
            f"{where}: unknown key {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _table(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _FormatError(f"{where} must be a table")
    return {str(key): item for key, item in value.items()}


def _tables(value: object, where: str) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _FormatError(f"{where} must be an array of tables ([[{where}]])")
    return [_table(item, where) for item in value]


def _texts(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _FormatError(f"{where} must be a list of non-empty strings")
    return [str(item) for item in value]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _FormatError(f"{where} must be text, not {value!r}")
    return value


def _number(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FormatError(f"{where} must be a whole number, not {value!r}")
    return value


def _seat(
    label: str,
    place: Place,
    seat_class: str,
    attributes: Sequence[str],
) -> Seat:
    deck, row, column = place
    try:
        return Seat(label, row, column, seat_class, deck, frozenset(attributes))
    except InventoryError as exc:
        raise _FormatError(exc.message) from None


def _row_seats(value: object) -> list[Seat]:
    seats: list[Seat] = []
    for number, block in enumerate(_tables(value, "rows"), start=1):
        where = f"rows block {number}"
        _only_keys(block, _ROW_KEYS, where)
        if "first" not in block or "pattern" not in block:
            raise _FormatError(f"{where}: first and pattern are required")
        first = _number(block["first"], f"{where}: first")
        last = _number(block.get("last", first), f"{where}: last")
        if not 1 <= first <= last:
            raise _FormatError(f"{where}: rows {first} to {last} are not 1 <= first <= last")
        pattern = _text(block["pattern"], f"{where}: pattern")
        columns = _pattern_columns(pattern, where)
        seat_class = _text(block.get("class", DEFAULT_CLASS), f"{where}: class")
        deck = _number(block.get("deck", 0), f"{where}: deck")
        prefix = _text(block.get("prefix", ""), f"{where}: prefix")
        extra = _texts(block.get("attributes", []), f"{where}: attributes")
        for row in range(first, last + 1):
            for letter, column, derived in columns:
                label = f"{prefix}{row}{letter}"
                attributes = [*derived, *extra]
                seats.append(_seat(label, (deck, row, column), seat_class, attributes))
    return seats


def _pattern_columns(pattern: str, where: str) -> list[tuple[str, int, tuple[str, ...]]]:
    """(letter, column, derived attributes) of each seat a row pattern declares."""
    seats: list[tuple[str, int, tuple[str, ...]]] = []
    for index, char in enumerate(pattern):
        if char in (AISLE, NO_SEAT):
            continue
        if not ("A" <= char <= "Z"):
            raise _FormatError(
                f"{where}: pattern {pattern!r} has {char!r}; use capital letters for seats, "
                f"{AISLE!r} for the aisle and {NO_SEAT!r} for a place without a seat"
            )
        if any(letter == char for letter, _, _ in seats):
            raise _FormatError(f"{where}: pattern {pattern!r} repeats seat letter {char!r}")
        derived: list[str] = []
        if index in (0, len(pattern) - 1):
            derived.append("window")
        if AISLE in (pattern[index - 1 : index], pattern[index + 1 : index + 2]):
            derived.append("aisle")
        seats.append((char, index + 1, tuple(derived)))
    if not seats:
        raise _FormatError(f"{where}: pattern {pattern!r} has no seats")
    return seats


def _explicit_seats(value: object) -> list[Seat]:
    seats: list[Seat] = []
    for number, entry in enumerate(_tables(value, "seat"), start=1):
        where = f"seat entry {number}"
        _only_keys(entry, _SEAT_KEYS, where)
        missing = [key for key in ("label", "row", "column") if key not in entry]
        if missing:
            raise _FormatError(f"{where}: {', '.join(missing)} required")
        seats.append(
            _seat(
                _text(entry["label"], f"{where}: label"),
                (
                    _number(entry.get("deck", 0), f"{where}: deck"),
                    _number(entry["row"], f"{where}: row"),
                    _number(entry["column"], f"{where}: column"),
                ),
                _text(entry.get("class", DEFAULT_CLASS), f"{where}: class"),
                _texts(entry.get("attributes", []), f"{where}: attributes"),
            )
        )
    return seats


def _apply_overrides(seats: list[Seat], overrides: dict[str, object]) -> list[Seat]:
    by_label = {seat.label: index for index, seat in enumerate(seats)}
    result = list(seats)
    for label, value in overrides.items():
        where = f"override of seat {label!r}"
        if label not in by_label:
            raise _FormatError(f"{where}: no seat has that label")
        change = _table(value, where)
        _only_keys(change, _OVERRIDE_KEYS, where)
        seat = result[by_label[label]]
        added = _texts(change.get("attributes", []), f"{where}: attributes")
        removed = _texts(change.get("remove", []), f"{where}: remove")
        unknown = sorted(set(removed) - ATTRIBUTES)
        if unknown:
            raise _FormatError(f"{where}: cannot remove unknown attribute {unknown[0]!r}")
        attributes = (seat.attributes | set(added)) - set(removed)
        seat_class = _text(change.get("class", seat.seat_class), f"{where}: class")
        result[by_label[label]] = _seat(label, seat.place, seat_class, sorted(attributes))
    return result

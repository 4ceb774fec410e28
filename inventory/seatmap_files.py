"""Seat map files: the TOML format of config/seatmaps/README.md, read into ``SeatMap``s.

A row pattern such as ``AB_CD`` lays out a whole range of rows at once (``_`` an aisle, ``.``
a place without a seat), deriving window and aisle attributes; per-seat overrides and explicit
seats complete it. Every problem is an ``invalid_seat_map`` naming the file's part at fault.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from inventory.errors import InventoryError
from inventory.seatmaps import (
    AISLE,
    ATTRIBUTES,
    DEFAULT_CLASS,
    NO_SEAT,
    Place,
    Seat,
    SeatMap,
    SeatMapCatalog,
    _invalid,
)


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

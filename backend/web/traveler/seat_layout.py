"""The seat map as a page draws it: decks of rows of cells, in the seat map's own columns.

A column no seat of the deck uses is an aisle (drawn narrow); a column some other row uses
but this row does not is an empty space of a seat's width. A row whose class differs from the
row before it opens a new section (``class_heading``), so first class and standard class are
told apart in words, not by colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# What travelers read for each seat attribute, in the order they are told.
ATTRIBUTE_TEXT = {
    "window": "window",
    "aisle": "aisle",
    "accessible": "accessible",
    "bike": "next to the bike space",
    "table": "at a table",
    "power": "power socket",
    "quiet": "quiet zone",
}
# Attributes drawn as an icon on the seat itself (the others are in its description).
ICON_ATTRIBUTES = ("window", "aisle", "accessible", "bike")


@dataclass(frozen=True)
class SeatCell:
    """One seat: its label, whether it is free on the traveler's legs, and what it offers."""

    label: str
    free: bool
    seat_class: str
    attributes: tuple[str, ...]

    @property
    def icons(self) -> tuple[str, ...]:
        """The attributes drawn on the seat."""
        return tuple(name for name in ICON_ATTRIBUTES if name in self.attributes)

    @property
    def description(self) -> str:
        """``window, power socket`` — what a screen reader says after the label."""
        return ", ".join(ATTRIBUTE_TEXT[name] for name in ATTRIBUTE_TEXT if name in self.attributes)

    @property
    def dom_id(self) -> str:
        """An id for the seat's checkbox."""
        return "seat-" + "".join(ch if ch.isalnum() else "-" for ch in self.label)


@dataclass(frozen=True)
class Gap:
    """A column without a seat in this row: the aisle, or an empty space."""

    aisle: bool


@dataclass(frozen=True)
class SeatRow:
    """One row of a deck, left to right."""

    number: int
    cells: tuple[SeatCell | Gap, ...]
    class_heading: str | None  # set when this row starts a class's section


@dataclass(frozen=True)
class Deck:
    """One deck: its name (when the vehicle has several) and rows front to back."""

    name: str | None
    rows: tuple[SeatRow, ...]


def layout(seats: Sequence[Mapping[str, Any]]) -> list[Deck]:
    """Decks of rows from the ``seats`` of ``claim_reads.availability``."""
    by_deck: dict[int, list[Mapping[str, Any]]] = {}
    for seat in seats:
        by_deck.setdefault(int(seat["deck"]), []).append(seat)
    several = len(by_deck) > 1
    return [
        Deck(_deck_name(number) if several else None, _rows(by_deck[number]))
        for number in sorted(by_deck)
    ]


def _deck_name(number: int) -> str:
    return {0: "Lower deck", 1: "Upper deck"}.get(number, f"Deck {number + 1}")


def _rows(seats: Iterable[Mapping[str, Any]]) -> tuple[SeatRow, ...]:
    grid: dict[int, dict[int, SeatCell]] = {}
    for seat in seats:
        cell = SeatCell(
            label=str(seat["label"]),
            free=bool(seat["free"]),
            seat_class=str(seat["seat_class"]),
            attributes=tuple(seat["attributes"]),
        )
        grid.setdefault(int(seat["row"]), {})[int(seat["column"])] = cell
    used = {column for row in grid.values() for column in row}
    columns = range(1, max(used) + 1) if used else range(0)
    rows: list[SeatRow] = []
    previous: str | None = None
    for number in sorted(grid):
        cells = tuple(grid[number].get(c) or Gap(aisle=c not in used) for c in columns)
        seat_class = next(iter(grid[number][c] for c in sorted(grid[number]))).seat_class
        heading = class_title(seat_class) if seat_class != previous else None
        rows.append(SeatRow(number, cells, heading))
        previous = seat_class
    return tuple(rows)


def class_title(seat_class: str) -> str:
    """``First class``, ``Standard class``; ``Standing`` for places without a seat."""
    if seat_class == "standing":
        return "Standing"
    return f"{seat_class.replace('_', ' ').capitalize()} class"

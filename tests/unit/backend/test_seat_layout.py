"""The seat map as pages draw it: rows in the map's columns, aisles, class sections."""

from __future__ import annotations

from typing import Any

from backend.web.traveler.seat_layout import Gap, SeatCell, layout


def seat(label: str, row: int, column: int, **extra: Any) -> dict[str, Any]:
    return {
        "label": label,
        "row": row,
        "column": column,
        "deck": extra.get("deck", 0),
        "seat_class": extra.get("seat_class", "standard"),
        "attributes": extra.get("attributes", []),
        "free": extra.get("free", True),
    }


def test_an_unused_column_is_an_aisle_and_a_column_used_elsewhere_a_space() -> None:
    decks = layout(
        [
            seat("1A", 1, 1, seat_class="first"),
            seat("1C", 1, 4, seat_class="first"),
            seat("2A", 2, 1),
            seat("2B", 2, 2),
            seat("2C", 2, 4, free=False),
        ]
    )
    (deck,) = decks
    assert deck.name is None
    first, second = deck.rows
    assert [type(c).__name__ for c in first.cells] == ["SeatCell", "Gap", "Gap", "SeatCell"]
    assert first.cells[1] == Gap(aisle=False)  # 2B's column
    assert first.cells[2] == Gap(aisle=True)  # no seat uses column 3
    assert (first.class_heading, second.class_heading) == ("First class", "Standard class")
    taken = second.cells[3]
    assert isinstance(taken, SeatCell)
    assert not taken.free


def test_a_seat_says_what_it_offers_in_words_and_draws_the_main_ones() -> None:
    cell = SeatCell("15A", True, "standard", ("accessible", "power", "window"))
    assert cell.description == "window, accessible, power socket"
    assert cell.icons == ("window", "accessible")
    assert SeatCell("U1A/2", True, "standard", ()).dom_id == "seat-U1A-2"


def test_decks_are_named_when_there_are_several() -> None:
    decks = layout([seat("1A", 1, 1), seat("U1A", 1, 1, deck=1)])
    assert [d.name for d in decks] == ["Lower deck", "Upper deck"]

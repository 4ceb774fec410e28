"""Seat maps: the TOML format, its checks, seat relations and which map serves a trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inventory.errors import InventoryError
from inventory.seatmap_files import load_seat_maps, parse_seat_map
from inventory.seatmaps import Seat, SeatMap, SeatMapCatalog

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "seatmaps"

SMALL = """
routes = ["R1"]

[[rows]]
first = 1
last = 2
pattern = "AB_CD"
attributes = ["power"]

[[rows]]
first = 3
pattern = "ABCDE"
class = "first"

[[rows]]
first = 1
pattern = "A_CD"
deck = 1
prefix = "U"
class = "first"

[overrides.1A]
attributes = ["accessible"]

[overrides.2D]
remove = ["window"]
class = "first"

[[seat]]
label = "W1"
row = 4
column = 1
attributes = ["bike", "accessible"]

[unassigned]
standing = 20
"""


def small() -> SeatMap:
    return parse_seat_map("small", SMALL)


def attributes(seat_map: SeatMap, label: str) -> set[str]:
    return set(seat_map.seat(label).attributes)


def test_row_patterns_number_columns_and_label_seats() -> None:
    seat_map = small()
    labels = [seat.label for seat in seat_map.seats]
    assert labels[:4] == ["1A", "1B", "1C", "1D"]
    assert [seat_map.seat(label).column for label in ("1A", "1B", "1C", "1D")] == [1, 2, 4, 5]
    assert [seat_map.seat(f"3{letter}").column for letter in "ABCDE"] == [1, 2, 3, 4, 5]
    upper = seat_map.seat("U1C")
    assert (upper.deck, upper.row, upper.column, upper.seat_class) == (1, 1, 3, "first")
    assert len(seat_map.seats) == 4 + 4 + 5 + 3 + 1
    assert seat_map.routes == frozenset({"R1"})
    assert not seat_map.default


def test_window_and_aisle_come_from_the_pattern() -> None:
    seat_map = small()
    assert attributes(seat_map, "2A") == {"window", "power"}
    assert attributes(seat_map, "2B") == {"aisle", "power"}
    assert attributes(seat_map, "2C") == {"aisle", "power"}
    assert attributes(seat_map, "3A") == {"window"}
    assert attributes(seat_map, "3C") == set()
    assert attributes(seat_map, "3E") == {"window"}
    # A single seat between the window and the aisle is both.
    assert attributes(seat_map, "U1A") == {"window", "aisle"}


def test_a_place_without_a_seat_is_neither_window_nor_aisle() -> None:
    seat_map = parse_seat_map("gap", '[[rows]]\nfirst = 1\npattern = ".B_CD"\n')
    assert [seat.label for seat in seat_map.seats] == ["1B", "1C", "1D"]
    assert attributes(seat_map, "1B") == {"aisle"}
    assert seat_map.seat("1B").column == 2


def test_overrides_add_remove_and_reclassify() -> None:
    seat_map = small()
    assert attributes(seat_map, "1A") == {"window", "power", "accessible"}
    assert attributes(seat_map, "2D") == {"power"}
    assert seat_map.seat("2D").seat_class == "first"
    assert seat_map.seat("2C").seat_class == "standard"


def test_explicit_seats_take_their_attributes_as_written() -> None:
    seat = small().seat("W1")
    assert seat == Seat("W1", 4, 1, "standard", 0, frozenset({"bike", "accessible"}))


def test_classes_include_unassigned_places() -> None:
    seat_map = small()
    assert seat_map.classes() == ["first", "standard", "standing"]
    assert seat_map.seat_classes() == ["first", "standard"]
    assert seat_map.unassigned == {"standing": 20}


def test_a_party_naming_no_class_is_seated_in_standard_where_the_map_has_it() -> None:
    assert small().default_seat_class == "standard"
    first_only = parse_seat_map("lounge", '[[rows]]\nfirst = 1\npattern = "AB"\nclass = "first"\n')
    assert first_only.default_seat_class is None


def test_unknown_labels_are_refused() -> None:
    with pytest.raises(InventoryError) as caught:
        small().seat("99Z")
    assert caught.value.code == "unknown_seat"
    assert "'99Z'" in caught.value.message
    assert "99Z" not in small()


def test_adjacency_stops_at_the_aisle() -> None:
    seat_map = small()
    seat = seat_map.seat
    assert seat_map.adjacent(seat("1A"), seat("1B"))
    assert seat_map.adjacent(seat("1D"), seat("1C"))
    assert not seat_map.adjacent(seat("1B"), seat("1C"))
    assert not seat_map.adjacent(seat("1A"), seat("2A"))
    assert not seat_map.adjacent(seat("1A"), seat("U1A"))
    assert seat_map.adjacent(seat("3B"), seat("3C"))


def test_row_and_column_neighbours() -> None:
    seat_map = small()
    seat = seat_map.seat
    assert seat_map.row_neighbours(seat("1B"), seat("1C"))
    assert not seat_map.row_neighbours(seat("1A"), seat("1C"))
    assert seat_map.column_neighbours(seat("1A"), seat("2A"))
    assert not seat_map.column_neighbours(seat("1A"), seat("3A"))
    # 2C is in column 4, like 3D on the rear bench.
    assert seat_map.column_neighbours(seat("2C"), seat("3D"))
    assert seat_map.consecutive_rows(seat("2A"), seat("3E"))
    assert not seat_map.consecutive_rows(seat("1A"), seat("U1A"))


ONE_ROW = '[[rows]]\nfirst = 1\npattern = "AB"'
BAD_MAPS = [
    ("rows = [", "not valid TOML"),
    ('colour = "red"\n[[rows]]\nfirst = 1\npattern = "AB"', "unknown key 'colour'"),
    (ONE_ROW + "\nwidth = 2", "rows block 1: unknown key 'width'"),
    ('[[rows]]\npattern = "AB"', "first and pattern are required"),
    ('[[rows]]\nfirst = 3\nlast = 2\npattern = "AB"', "1 <= first <= last"),
    ('[[rows]]\nfirst = 1\npattern = "AB_C!"', "pattern 'AB_C!' has '!'"),
    ('[[rows]]\nfirst = 1\npattern = "AB_A"', "repeats seat letter 'A'"),
    ('[[rows]]\nfirst = 1\npattern = "_._"', "has no seats"),
    (ONE_ROW + '\nattributes = ["sofa"]', "unknown attribute 'sofa'"),
    (ONE_ROW + '\n[[seat]]\nlabel = "1A"\nrow = 5\ncolumn = 1', "duplicate seat label '1A'"),
    (
        ONE_ROW + '\n[[seat]]\nlabel = "X"\nrow = 1\ncolumn = 2',
        "seats '1B' and 'X' are both at deck 0 row 1 column 2",
    ),
    ('[[seat]]\nlabel = "X"\nrow = 0\ncolumn = 1', "rows and columns count from 1"),
    ('[[seat]]\nlabel = "X"\nrow = 1', "column required"),
    ('[[seat]]\nlabel = "X"\nrow = 1\ncolumn = true', "column must be a whole number"),
    ('[[seat]]\nlabel = " X"\nrow = 1\ncolumn = 1', "seat label ' X'"),
    ('[[seat]]\nlabel = "X"\nrow = 1\ncolumn = 1\nclass = ""', "class ''"),
    (ONE_ROW + '\n[overrides.9Z]\nclass = "first"', "no seat has that label"),
    (ONE_ROW + '\n[overrides.1A]\nremove = ["sofa"]', "unknown attribute 'sofa'"),
    (ONE_ROW + "\n[overrides.1A]\nseat = 2", "unknown key 'seat'"),
    (ONE_ROW + "\n[unassigned]\nstanding = -5", "not -5"),
    (ONE_ROW + '\n[unassigned]\nstanding = "many"', "must be a whole number"),
    ('routes = "R1"\n[[rows]]\nfirst = 1\npattern = "AB"', "routes must be a list"),
    ('default = "yes"\n[[rows]]\nfirst = 1\npattern = "AB"', "default must be true or false"),
    (ONE_ROW + "\ndefault = true", "rows block 1: unknown key 'default'"),
    ('rows = "AB"', "rows must be an array of tables"),
    ("routes = []", "no seats and no unassigned places"),
    ("[unassigned]\nstanding = 0", "no seats and no unassigned places"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_MAPS)
def test_bad_maps_are_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_seat_map("bad-map", text)
    assert caught.value.code == "invalid_seat_map"
    assert caught.value.message.startswith("seat map 'bad-map': ")
    assert problem in caught.value.message


def test_a_map_of_standing_places_only_is_valid() -> None:
    seat_map = parse_seat_map("standing", "[unassigned]\nstanding = 60\n")
    assert seat_map.seats == ()
    assert seat_map.classes() == ["standing"]


def test_seats_check_their_attributes_when_built_directly() -> None:
    with pytest.raises(InventoryError) as caught:
        Seat("1A", 1, 1, "standard", attributes=frozenset({"balcony"}))
    assert caught.value.code == "invalid_seat_map"
    assert "'balcony'" in caught.value.message


def map_for(name: str, *, routes: str = "", trips: str = "", default: bool = False) -> SeatMap:
    return SeatMap(
        name,
        (Seat("1A", 1, 1, "standard"),),
        routes=frozenset(routes.split()),
        trips=frozenset(trips.split()),
        default=default,
    )


def test_a_trip_map_beats_a_route_map_which_beats_the_default() -> None:
    catalog = SeatMapCatalog(
        {
            "by-trip": map_for("by-trip", trips="T1"),
            "by-route": map_for("by-route", routes="R1 R2"),
            "fallback": map_for("fallback", default=True),
        }
    )
    assert catalog.name_for_trip("T1", "R1") == "by-trip"
    assert catalog.name_for_trip("T2", "R1") == "by-route"
    assert catalog.name_for_trip("T2", "R9") == "fallback"
    serving = catalog.for_trip("T1", "R9")
    assert serving is not None
    assert serving.name == "by-trip"
    assert sorted(catalog) == ["by-route", "by-trip", "fallback"]
    assert len(catalog) == 3
    assert catalog["by-route"].routes == frozenset({"R1", "R2"})


def test_without_a_default_an_unclaimed_trip_has_no_map() -> None:
    catalog = SeatMapCatalog({"by-route": map_for("by-route", routes="R1")})
    assert catalog.for_trip("T1", "R2") is None
    assert SeatMapCatalog({}).for_trip("T1", "R1") is None


@pytest.mark.parametrize(
    ("first", "second", "problem"),
    [
        ({"trips": "T1 T2"}, {"trips": "T2"}, "both claim trip 'T2'"),
        ({"routes": "R1"}, {"routes": "R1"}, "both claim route 'R1'"),
        ({"default": True}, {"default": True}, "are both the default"),
    ],
)
def test_maps_claiming_the_same_trips_are_refused(
    first: dict[str, Any], second: dict[str, Any], problem: str
) -> None:
    maps = {"one": map_for("one", **first), "two": map_for("two", **second)}
    with pytest.raises(InventoryError) as caught:
        SeatMapCatalog(maps)
    assert caught.value.code == "invalid_seat_map"
    assert problem in caught.value.message
    assert "'one'" in caught.value.message
    assert "'two'" in caught.value.message


def test_the_example_maps_load() -> None:
    catalog = load_seat_maps(EXAMPLES)
    assert sorted(catalog) == ["coach-49", "regional-60"]
    coach, regional = catalog["coach-49"], catalog["regional-60"]
    assert len(coach.seats) == 49
    assert coach.default
    assert coach.seat_classes() == ["standard"]
    assert len(regional.seats) == 60
    assert regional.classes() == ["first", "standard", "standing"]
    assert regional.unassigned == {"standing": 40}
    assert sum(seat.seat_class == "first" for seat in regional.seats) == 12
    assert {"bike", "accessible"} <= set(regional.seat("T4").attributes)
    assert catalog.name_for_trip("AB1", "AB") == "regional-60"
    assert catalog.name_for_trip("CITY1", "CITY") == "coach-49"


def test_a_missing_folder_is_an_empty_catalog() -> None:
    assert len(load_seat_maps(EXAMPLES / "no-such-folder")) == 0

"""Small fare feeds written as CSV text, and legs in the agency's local time, for tests."""

from __future__ import annotations

import csv
import io
import textwrap
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fares.fare_tables import FareTables
from fares.journey import Journey, Leg
from gtfs.currencies import MINOR_UNITS

WARSAW = ZoneInfo("Europe/Warsaw")
MONDAY = date(2026, 3, 2)
DATA = Path(__file__).resolve().parents[2] / "data"
ZAKROCZYM_ZIP = DATA / "gtfs" / "zakroczym-fares-v2" / "gtfs.zip"
SAMPLE_FEED_1 = Path(__file__).resolve().parents[3] / "backend" / "data" / "sample-feed-1"
FARE_FILES = (
    "routes",
    "networks",
    "route_networks",
    "areas",
    "stop_areas",
    "stops",
    "timeframes",
    "rider_categories",
    "fare_media",
    "fare_products",
    "fare_leg_rules",
    "fare_transfer_rules",
    "fare_attributes",
    "fare_rules",
)


def csv_rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV text whose first line is the header."""
    return list(csv.DictReader(io.StringIO(textwrap.dedent(text).strip())))


def feed(**files: str) -> FareTables:
    """Fare tables from CSV texts keyed by file name without ``.txt``."""
    return FareTables.from_rows({name: csv_rows(text) for name, text in files.items()}, MINOR_UNITS)


def zakroczym_tables() -> FareTables:
    """The fare tables of the Zakroczym feed (Fares v2)."""
    rows = {}
    with zipfile.ZipFile(ZAKROCZYM_ZIP) as archive:
        for name in FARE_FILES:
            if f"{name}.txt" in archive.namelist():
                content = archive.read(f"{name}.txt").decode("utf-8-sig")
                rows[name] = list(csv.DictReader(io.StringIO(content)))
    return FareTables.from_rows(rows, MINOR_UNITS)


def sample_feed_1_tables() -> FareTables:
    """The fare tables of sample-feed-1 (Fares v1)."""
    rows = {}
    for name in FARE_FILES:
        path = SAMPLE_FEED_1 / f"{name}.txt"
        if path.exists():
            rows[name] = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    return FareTables.from_rows(rows, MINOR_UNITS)


def at(clock: str, day: date = MONDAY) -> datetime:
    """A local Warsaw time on ``day`` from "HH:MM"."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), WARSAW)


def leg(
    route: str,
    board: str,
    alight: str,
    depart: str = "08:00",
    *,
    minutes: int = 20,
    services: frozenset[str] = frozenset({"weekday"}),
) -> Leg:
    """A leg departing at ``depart`` local time and riding ``minutes``."""
    departure = at(depart)
    return Leg(route, board, alight, departure, departure + timedelta(minutes=minutes), services)


def journey(*legs: Leg, category: str | None = None, media: str | None = None) -> Journey:
    """A journey of ``legs`` for a rider category and fare media."""
    return Journey(tuple(legs), rider_category_id=category, fare_media_id=media)

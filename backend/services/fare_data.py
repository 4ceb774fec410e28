"""The fare engine's tables for a feed version, read from the stored GTFS files once.

``fares.fare_tables.FareTables`` is built from GTFS rows as text, exactly as the files had them:
the stored values are typed (times in seconds, dates, integers), so each is written back in its
GTFS form. A loaded version never changes, so the tables of the few most recently used versions
stay in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Table, select

from backend.db import Executor
from backend.models import GTFS_TABLES
from backend.services.loaded_cache import LoadedCache
from fares.fare_tables import FareTables
from gtfs.currencies import MINOR_UNITS
from gtfs.schema import SCHEMAS, FieldType
from gtfs.values import format_time

# Every file the engine reads: the fare files of Fares v1 and v2, and what they refer to.
FARE_FILES = (
    "routes",
    "stops",
    "networks",
    "route_networks",
    "areas",
    "stop_areas",
    "timeframes",
    "rider_categories",
    "fare_media",
    "fare_products",
    "fare_leg_rules",
    "fare_transfer_rules",
    "fare_attributes",
    "fare_rules",
)


def load_fare_tables(session: Executor, version: int) -> FareTables:
    """The fare tables of feed ``version``."""
    rows = {name: list(_rows_as_text(session, name, version)) for name in FARE_FILES}
    return FareTables.from_rows(rows, MINOR_UNITS)


def _rows_as_text(session: Executor, name: str, version: int) -> Iterator[dict[str, str]]:
    table: Table = GTFS_TABLES[name]
    types = {field.name: field.type for field in SCHEMAS[name].fields}
    columns = [table.c[field] for field in types]
    for row in session.execute(select(*columns).where(table.c.feed_version_id == version)):
        # A field with no value is left out, as a column the file lacks would be: whether
        # fare_leg_rules has a rule_priority column changes what its empty fields mean. (A
        # rule_priority column with every value empty thus reads as no column.)
        yield {
            field: _text(value, types[field])
            for field, value in zip(types, row, strict=True)
            if value is not None
        }


def _text(value: Any, kind: FieldType) -> str:
    """A stored value in its GTFS text form."""
    if kind is FieldType.TIME:
        return format_time(int(value))
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


class FareTablesCache(LoadedCache[int, FareTables]):
    """The fare tables of the few most recently used versions; safe across threads."""

    def __init__(self, size: int = 2) -> None:
        super().__init__(load_fare_tables, size)

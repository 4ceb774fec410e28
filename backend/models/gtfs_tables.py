"""Database tables for GTFS files, derived from ``gtfs.schema`` so each field is declared once.

Each table is ``gtfs_<file>`` with a ``feed_version_id`` column. On PostgreSQL every table is
partitioned by feed version: an import fills a fresh partition without indexes and attaches it
when full, which builds its indexes in one sorted pass instead of row by row. Identifiers
compare bytewise (collation "C") there, as GTFS ids are opaque. Where the GTFS primary key
consists of required fields it becomes the table's key (after ``feed_version_id``); otherwise
a ``row_index`` (the row's position in its file) does; stop_times has none
(``UNKEYED_TABLES``). Values are typed: times are integer seconds since noon minus 12 h, dates
are dates, currency amounts keep their exact decimal text. The validator guarantees keys and
references before rows arrive, so no GTFS-level foreign keys are declared in the database;
nor is ``feed_version_id`` one, as a version's rows are written in the transaction that
creates the version (on PostgreSQL, into the version's own partitions).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Column, Date, Float, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from backend.models.base import Base
from gtfs.schema import TABLES, FieldType
from gtfs.schema import Table as GtfsTable


class GtfsTime(TypeDecorator[int]):
    """A GTFS time as seconds since noon minus 12 h; PostgreSQL stores it as an interval.

    An interval lets PostgreSQL read "25:30:00" itself, so a file can be copied in as it is.
    """

    impl = Integer
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """INTERVAL on PostgreSQL, INTEGER elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(INTERVAL())
        return dialect.type_descriptor(Integer())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        """Seconds to what the backend stores."""
        if value is None or dialect.name != "postgresql":
            return value
        return timedelta(seconds=value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:  # noqa: ARG002
        """What the backend stores to seconds."""
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value


_SQL_TYPES: dict[FieldType, TypeEngine[Any]] = {
    FieldType.INTEGER: Integer(),
    FieldType.ENUM: Integer(),
    FieldType.TIME: GtfsTime(),
    FieldType.FLOAT: Float(),
    FieldType.LATITUDE: Float(),
    FieldType.LONGITUDE: Float(),
    FieldType.DATE: Date(),
    FieldType.ID: Text().with_variant(Text(collation="C"), "postgresql"),
}

EXTRA_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "stop_times": (("trip_id",), ("stop_id",)),
    "stops": (("parent_station",),),
}

# Tables stored without a primary key. stop_times is by far the largest table; the validator
# refuses a feed with a duplicate (trip_id, stop_sequence) before any row is stored, and a
# plain index on trip_id serves every lookup at half the cost of building the key's index.
UNKEYED_TABLES = frozenset({"stop_times"})


def keyed_by_row_index(table: GtfsTable) -> bool:
    """Whether ``table`` is keyed by row position because its GTFS key has optional parts."""
    return not table.primary_key or not all(
        table.field(name).required for name in table.primary_key
    )


def partition_name(table_name: str, feed_version_id: int) -> str:
    """The PostgreSQL partition holding one feed version's rows of ``gtfs_<table_name>``."""
    return f"gtfs_{table_name}_v{feed_version_id}"


def _build(table: GtfsTable) -> Table:
    by_index = keyed_by_row_index(table)
    keyed = table.name not in UNKEYED_TABLES
    key = ("row_index",) if by_index else table.primary_key if keyed else ()
    columns = [Column("feed_version_id", Integer, primary_key=keyed, nullable=False)]
    if by_index:
        columns.append(Column("row_index", Integer, primary_key=True))
    for field in table.fields:
        sql_type: Any = _SQL_TYPES.get(field.type, Text())
        columns.append(
            Column(field.name, sql_type, primary_key=field.name in key, nullable=not field.required)
        )
    built = Table(
        f"gtfs_{table.name}",
        Base.metadata,
        *columns,
        postgresql_partition_by="LIST (feed_version_id)",
    )
    for fields in EXTRA_INDEXES.get(table.name, ()):
        # Each partition holds one version, so these need no feed_version_id column.
        Index(f"ix_gtfs_{table.name}_{'_'.join(fields)}", *(built.c[name] for name in fields))
    return built


GTFS_TABLES: dict[str, Table] = {table.name: _build(table) for table in TABLES}

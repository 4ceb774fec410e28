"""Per-version partitions of the ``gtfs_*`` tables on PostgreSQL: create empty, attach full."""

from __future__ import annotations

from typing import Any

from backend.models.gtfs_tables import partition_name

# The columns timetable searches filter and join on, per table: fresh statistics let the
# first searches on a new version use its indexes instead of waiting for autovacuum.
ANALYZED_COLUMNS = {
    "stops": ("stop_id", "parent_station"),
    "trips": ("trip_id", "route_id", "service_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence"),
}


STATISTICS_TARGET = 10


def create_partition(cursor: Any, table_name: str, version: int) -> str:
    """Create the (index-free, detached) partition for ``version``; return its name.

    Its CHECK lets ATTACH skip scanning the rows to prove they belong, and costs nothing
    while rows arrive, unlike a CHECK added to a full table.
    """
    partition = partition_name(table_name, version)
    cursor.execute(
        f'CREATE TABLE "{partition}" (LIKE "gtfs_{table_name}" INCLUDING DEFAULTS, '
        f'CONSTRAINT "{partition}_version" CHECK (feed_version_id = {version}))'
    )
    return partition


def attach_partition(cursor: Any, table_name: str, version: int) -> None:
    """Attach a filled partition, which builds its indexes in one pass."""
    partition = partition_name(table_name, version)
    cursor.execute(
        f'ALTER TABLE "gtfs_{table_name}" ATTACH PARTITION "{partition}" FOR VALUES IN ({version})'
    )
    analyze_partition(cursor, table_name, partition)


def analyze_partition(cursor: Any, table_name: str, partition: str) -> None:
    """Gather the statistics searches rely on, for the tables searches read.

    A small sample (3,000 rows) is enough for what searches ask of the planner, equality on
    ids spread over many distinct values, and costs a tenth of the default one.
    """
    columns = ANALYZED_COLUMNS.get(table_name)
    if columns:
        listed = ", ".join(f'"{column}"' for column in columns)
        cursor.execute(f"SET LOCAL default_statistics_target = {STATISTICS_TARGET}")
        cursor.execute(f'ANALYZE "{partition}" ({listed})')
        cursor.execute("RESET default_statistics_target")

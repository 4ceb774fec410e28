"""Per-version partitions of the ``gtfs_*`` tables on PostgreSQL: create empty, attach full."""

from __future__ import annotations

from typing import Any

from backend.models.gtfs_tables import partition_name

# The tables timetable searches read: fresh statistics let the first searches on a new version
# use its indexes instead of waiting for autovacuum.
ANALYZED_TABLES = frozenset({"stops", "trips", "stop_times"})


def create_partition(cursor: Any, table_name: str, version: int) -> str:
    """Create the (index-free, detached) partition for ``version``; return its name."""
    partition = partition_name(table_name, version)
    cursor.execute(f'CREATE TABLE "{partition}" (LIKE "gtfs_{table_name}" INCLUDING DEFAULTS)')
    return partition


def attach_partition(cursor: Any, table_name: str, version: int) -> None:
    """Attach a filled partition, which builds its indexes in one pass."""
    partition = partition_name(table_name, version)
    # The CHECK lets ATTACH skip scanning the rows to prove they belong.
    cursor.execute(
        f'ALTER TABLE "{partition}" ADD CONSTRAINT "{partition}_version" '
        f"CHECK (feed_version_id = {version})"
    )
    cursor.execute(
        f'ALTER TABLE "gtfs_{table_name}" ATTACH PARTITION "{partition}" FOR VALUES IN ({version})'
    )
    if table_name in ANALYZED_TABLES:
        cursor.execute(f'ANALYZE "{partition}"')

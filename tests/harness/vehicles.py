"""A timetable with GTFS blocks that runs every day up to 2099, for vehicle assignments and
the device bundles that carry them (bundles cover the real current service days)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from backend.clock import utc_now
from backend.db import Database
from backend.services import feeds
from tests.harness.feeds import sample_feed_copy

ZONE = ZoneInfo("America/Los_Angeles")  # the sample feed's agency timezone

# Block 1: AB1 08:00, BFC1 08:20. Block 2: BFC2 11:00, AB2 12:05 (listed the other way round).
# Block C: the frequency-based CITY1 and CITY2. Block W: the weekend-only AAMV trips.
TRIPS = """route_id,service_id,trip_id,trip_headsign,direction_id,block_id,shape_id
AB,FULLW,AB2,to Airport,1,2,
AB,FULLW,AB1,to Bullfrog,0,1,
STBA,FULLW,STBA,Shuttle,,,
CITY,FULLW,CITY1,,0,C,
CITY,FULLW,CITY2,,1,C,
BFC,FULLW,BFC1,to Furnace Creek Resort,0,1,
BFC,FULLW,BFC2,to Bullfrog,1,2,
AAMV,WE,AAMV1,to Amargosa Valley,0,W,
AAMV,WE,AAMV2,to Airport,1,W,
AAMV,WE,AAMV3,to Amargosa Valley,0,W,
AAMV,WE,AAMV4,to Airport,1,W,
"""
CALENDAR = """service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,\
end_date
FULLW,1,1,1,1,1,1,1,20070101,20991231
WE,0,0,0,0,0,1,1,20070101,20991231
"""


def publish_block_feed(database: Database, folder: Path, **files: str) -> None:
    """Import and publish the sample feed with blocks, running every day until 2099 (``files``:
    other replaced files, by name without .txt)."""
    feed = sample_feed_copy(folder, trips=TRIPS, calendar=CALENDAR, **files)
    result = feeds.import_feed(
        database,
        feed,
        filename="blocks",
        now=utc_now(),
        today=date(2008, 6, 1),
        publish=True,
    )
    assert result.published, result.report

"""A copy of the bundled sample feed that runs around today, so that tickets booked in an
end-to-end test open real validators, which judge them by the wall clock.

The sample's service FULLW runs every day from two days ago to a week ahead (agency time,
America/Los_Angeles), and the CITY route runs every half hour all day. CITY has no fare
rule, so its tickets carry the seat-reservation product; a reserved ticket opens gates from
an hour before its departure, so the next half-hourly run is valid at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.harness.feeds import sample_feed_copy

AGENCY_ZONE = ZoneInfo("America/Los_Angeles")
HEADWAY = timedelta(minutes=30)


def feed_running_around(folder: Path, today: date) -> Path:
    """The sample feed with its weekday service moved to run around ``today``."""
    first, last = today - timedelta(days=2), today + timedelta(days=7)
    calendar = (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n"
        f"FULLW,1,1,1,1,1,1,1,{first:%Y%m%d},{last:%Y%m%d}\n"
        f"WE,0,0,0,0,0,1,1,{first:%Y%m%d},{last:%Y%m%d}\n"
    )
    frequencies = (
        "trip_id,start_time,end_time,headway_secs\n"
        "CITY1,0:00:00,23:59:59,1800\n"
        "CITY2,0:00:00,23:59:59,1800\n"
    )
    return sample_feed_copy(
        folder,
        calendar=calendar,
        calendar_dates="service_id,date,exception_type\n",
        frequencies=frequencies,
    )


def agency_today(now: datetime) -> date:
    """The agency's date at ``now``."""
    return now.astimezone(AGENCY_ZONE).date()


def next_city_run(now: datetime, trip_id: str = "CITY1") -> str:
    """The trip instance id of the next run of ``trip_id`` (CITY1: STAGECOACH to EMSI, CITY2
    back) departing at least a minute after ``now``."""
    local = now.astimezone(AGENCY_ZONE) + timedelta(minutes=1)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = local - midnight
    start = midnight + HEADWAY * -(-elapsed // HEADWAY)  # rounded up to the next run
    seconds = int((start - start.replace(hour=0, minute=0, second=0)).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{trip_id}@{start.date().isoformat()}T{hours:02d}:{rest // 60:02d}:00"


def later_city_run(trip_instance: str, minutes: int) -> str:
    """The trip instance id of the run of the same trip ``minutes`` after ``trip_instance``
    (a multiple of the half-hourly headway)."""
    trip_id, _, start = trip_instance.partition("@")
    later = datetime.fromisoformat(start) + timedelta(minutes=minutes)
    return f"{trip_id}@{later.date().isoformat()}T{later:%H:%M}:00"

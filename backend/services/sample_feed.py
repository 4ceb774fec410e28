"""The bundled sample feed (``backend/data/sample-feed-1``), as published or dated to run now.

The sample's services run from 2007 to 2010. For a demonstration server, ``running_from``
writes a copy whose two services (FULLW every day, WE at weekends) run for a year from a given
day, without the one-day exception of 2007, so that its trips can be searched and booked
today.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

SAMPLE_FEED = Path(__file__).resolve().parents[1] / "data" / "sample-feed-1"
RUNS_FOR = timedelta(days=365)


def running_from(folder: Path, first_day: date) -> Path:
    """A copy of the sample feed in ``folder`` whose services run from ``first_day`` for a
    year; its path."""
    target = folder / "sample-feed-1"
    shutil.copytree(SAMPLE_FEED, target)
    first, last = f"{first_day:%Y%m%d}", f"{first_day + RUNS_FOR:%Y%m%d}"
    (target / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n"
        f"FULLW,1,1,1,1,1,1,1,{first},{last}\n"
        f"WE,0,0,0,0,0,1,1,{first},{last}\n"
    )
    (target / "calendar_dates.txt").write_text("service_id,date,exception_type\n")
    return target

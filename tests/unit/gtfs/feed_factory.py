"""Small GTFS feeds built in memory: a valid base feed and one-file changes to it."""

from __future__ import annotations

import datetime
import io
import zipfile

from gtfs.notices import Notice, Report
from gtfs.schema import Table
from gtfs.validator import validate_feed

TODAY = datetime.date(2026, 1, 15)

BASE: dict[str, str] = {
    "agency.txt": (
        "agency_id,agency_name,agency_url,agency_timezone\n"
        "A,Agency,https://example.org,Europe/Warsaw\n"
    ),
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon\n"
        "S1,One,52.1,20.1\n"
        "S2,Two,52.2,20.2\n"
        "S3,Three,52.3,20.3\n"
    ),
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,1,3\n",
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n"
        "WK,1,1,1,1,1,0,0,20260101,20261231\n"
    ),
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\n",
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,S1,1\n"
        "T1,08:10:00,08:11:00,S2,2\n"
        "T1,08:20:00,08:20:00,S3,3\n"
        "T2,25:00:00,25:00:00,S3,1\n"
        "T2,25:10:00,25:10:00,S1,2\n"
    ),
}


def zip_feed(files: dict[str, str | bytes]) -> io.BytesIO:
    """A zip archive holding ``files`` (name -> text or bytes), in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def feed(**changes: str | bytes | None) -> dict[str, str | bytes]:
    """The base feed with files replaced, added or (given None) removed.

    Keyword names are file names without ``.txt`` (``stops="..."``).
    """
    files: dict[str, str | bytes] = dict(BASE)
    for stem, content in changes.items():
        name = stem if "." in stem else f"{stem}.txt"
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return files


class RecordingSink:
    """Keeps every batch the validator hands over."""

    def __init__(self) -> None:
        self.batches: list[tuple[Table, list[tuple[object, ...]]]] = []

    def __call__(self, table: Table, rows: list[tuple[object, ...]]) -> None:
        self.batches.append((table, rows))

    def rows(self, table_name: str) -> list[tuple[object, ...]]:
        """Every row received for ``table_name``, in order."""
        return [row for table, rows in self.batches if table.name == table_name for row in rows]


def validate(files: dict[str, str | bytes], sink: RecordingSink | None = None) -> Report:
    """Validate ``files`` zipped in memory, as of ``TODAY``."""
    return validate_feed(zip_feed(files), today=TODAY, sink=sink)


def only(report: Report, code: str) -> Notice:
    """The single notice with ``code`` (fails when there is none or several)."""
    found = [notice for notice in report.notices if notice.code == code]
    assert len(found) == 1, f"{code}: {found}; all: {report.notices}"
    return found[0]


def codes(report: Report) -> set[str]:
    """Every notice code in ``report``."""
    return {code for code, _ in report.counts}

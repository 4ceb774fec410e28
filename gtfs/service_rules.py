"""Feed-wide rules on services and trips, decided once every file has been read.

expired_calendar: a calendar service whose last active day is before ``today``.
service_has_no_active_day_of_the_week: a calendar row with no weekday and no added date.
unusable_trip: a trip with fewer than two stop times that passed their checks.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from gtfs.layout import Row
from gtfs.notices import Notice, Report, Severity

_ONE_DAY = datetime.timedelta(days=1)


class _Service:
    """A calendar row: where it is, its date range and its weekdays (Monday first)."""

    def __init__(self, row: int, start: datetime.date, end: datetime.date, days: Row) -> None:
        self.row = row
        self.start = start
        self.end = end
        self.days = tuple(bool(day) for day in days)


class ServiceRules:
    """Collects accepted calendar, calendar_dates and trips rows; reports at the end."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._services: dict[object, _Service] = {}
        self._removed: dict[object, set[object]] = {}
        self._last_added: dict[object, datetime.date] = {}
        self.trip_rows: dict[object, int] = {}

    def accepted(self, table_name: str, rows: list[Row], numbers: Sequence[int]) -> None:
        """Remember what the feed-wide rules need from rows the sink received."""
        if table_name == "calendar":
            for row, number in zip(rows, numbers, strict=True):
                self._services[row[0]] = _Service(number, row[8], row[9], row[1:8])  # type: ignore[arg-type]
        elif table_name == "calendar_dates":
            for service, day, exception in rows:
                if exception == 1:
                    last = self._last_added.get(service)
                    if last is None or day > last:  # type: ignore[operator]
                        self._last_added[service] = day  # type: ignore[assignment]
                elif service in self._services:
                    self._removed.setdefault(service, set()).add(day)
        elif table_name == "trips":
            for row, number in zip(rows, numbers, strict=True):
                self.trip_rows[row[2]] = number

    def finish(self, today: datetime.date, stop_time_counts: Mapping[object, int] | None) -> None:
        """Report expired and weekday-less services, and trips that cannot be ridden."""
        for service_id, service in self._services.items():
            added = self._last_added.get(service_id)
            if not any(service.days) and added is None:
                self._warn(
                    "service_has_no_active_day_of_the_week",
                    file="calendar.txt",
                    row=service.row,
                    field="service_id",
                    value=service_id,
                    detail="The service runs on no weekday and calendar_dates adds no date.",
                )
                continue
            if not self._active_from(service_id, service, today) and (
                added is None or added < today
            ):
                self._warn(
                    "expired_calendar",
                    file="calendar.txt",
                    row=service.row,
                    field="service_id",
                    value=service_id,
                    detail=f"The service's last active day is before {today.isoformat()}.",
                )
        if stop_time_counts is not None:
            self._unusable_trips(stop_time_counts)

    def _active_from(self, service_id: object, service: _Service, today: datetime.date) -> bool:
        """Whether the calendar row makes the service run on ``today`` or a later day."""
        if not any(service.days):
            return False
        removed = self._removed.get(service_id, set())
        day = max(service.start, today)
        while day <= service.end:
            if service.days[day.weekday()] and day not in removed:
                return True
            day += _ONE_DAY
        return False

    def _unusable_trips(self, counts: Mapping[object, int]) -> None:
        for trip_id, row in self.trip_rows.items():
            count = counts.get(trip_id, 0)
            if count < 2:
                self._warn(
                    "unusable_trip",
                    file="trips.txt",
                    row=row,
                    field="trip_id",
                    value=trip_id,
                    detail=f"The trip has {count} usable stop time(s); riding it needs two.",
                )

    def _warn(
        self, code: str, *, file: str, row: int, field: str, value: object, detail: str
    ) -> None:
        self._report.add(
            Notice(
                code,
                Severity.WARNING,
                file=file,
                row=row,
                field=field,
                value=str(value),
                detail=detail,
            )
        )

"""Rules of the GTFS reference that look at rows of one file beyond their single fields.

Agency ids and time zones, start/end ranges (calendar, feed_info, frequencies, timeframes)
and currency amounts against their currency's minor units.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from gtfs.currencies import MINOR_UNITS
from gtfs.layout import Evaluated
from gtfs.notices import Notice, Report, Severity
from gtfs.schema import Table
from gtfs.values import decimal_places, format_date, format_time

# (start field, end field) pairs that must not be out of order, per table.
_RANGES = {
    "calendar": ("start_date", "end_date"),
    "feed_info": ("feed_start_date", "feed_end_date"),
    "frequencies": ("start_time", "end_time"),
    "timeframes": ("start_time", "end_time"),
}
# (amount field, currency field) per table.
_AMOUNTS = {"fare_attributes": ("price", "currency_type"), "fare_products": ("amount", "currency")}
_AGENCY_USERS = frozenset({"routes", "fare_attributes"})


def _shown(value: object) -> str:
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, int):
        return format_time(value)
    return str(value)


class RowRules:
    """Flags rows that break a rule spanning fields or rows of one file."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self.agency_count = 0
        self._timezone: object = None

    def check(self, table: Table, batch: Evaluated) -> None:
        """Report and mark the rows of ``batch`` that break a rule."""
        checks: list[Callable[[Table, Evaluated], None]] = []
        if table.name == "agency":
            checks.append(self._agency)
        if table.name in _AGENCY_USERS and self.agency_count > 1:
            checks.append(self._agency_id_required)
        if table.name in _RANGES:
            checks.append(self._range)
        if table.name in _AMOUNTS:
            checks.append(self._amount)
        for check in checks:
            check(table, batch)

    def flag(
        self,
        table: Table,
        batch: Evaluated,
        index: int,
        *,
        code: str,
        field: str,
        value: object,
        detail: str,
    ) -> None:
        """Report an ERROR on row ``index`` of ``batch`` and keep the row from the sink."""
        batch.bad.add(index)
        self._report.add(
            Notice(
                code,
                Severity.ERROR,
                file=table.file_name,
                row=batch.numbers[index],
                field=field,
                value=None if value is None else str(value),
                detail=detail,
            )
        )

    def _agency(self, table: Table, batch: Evaluated) -> None:
        self.agency_count += len(batch.rows)
        if self.agency_count > 1:
            self._agency_id_required(table, batch)
        zone = table.field_names.index("agency_timezone")
        for index, row in enumerate(batch.rows):
            if row[zone] is None:
                continue
            if self._timezone is None:
                self._timezone = row[zone]
            elif row[zone] != self._timezone:
                detail = f"Every agency must use the same time zone as the first, {self._timezone}."
                self.flag(
                    table,
                    batch,
                    index,
                    code="inconsistent_agency_timezone",
                    field="agency_timezone",
                    value=row[zone],
                    detail=detail,
                )

    def _agency_id_required(self, table: Table, batch: Evaluated) -> None:
        position = table.field_names.index("agency_id")
        for index, row in enumerate(batch.rows):
            if row[position] is None and index not in batch.bad:
                detail = "agency_id is required when the feed has several agencies."
                self.flag(
                    table,
                    batch,
                    index,
                    code="missing_required_agency_id",
                    field="agency_id",
                    value=None,
                    detail=detail,
                )

    def _range(self, table: Table, batch: Evaluated) -> None:
        start_name, end_name = _RANGES[table.name]
        start = table.field_names.index(start_name)
        end = table.field_names.index(end_name)
        for index, row in enumerate(batch.rows):
            first, last = row[start], row[end]
            if first is not None and last is not None and first > last:  # type: ignore[operator]
                detail = f"{start_name} {_shown(first)} is after {end_name} {_shown(last)}."
                self.flag(
                    table,
                    batch,
                    index,
                    code="start_and_end_range_out_of_order",
                    field=start_name,
                    value=_shown(first),
                    detail=detail,
                )

    def _amount(self, table: Table, batch: Evaluated) -> None:
        amount_name, currency_name = _AMOUNTS[table.name]
        amount = table.field_names.index(amount_name)
        currency = table.field_names.index(currency_name)
        for index, row in enumerate(batch.rows):
            value, code = row[amount], row[currency]
            if not isinstance(value, Decimal) or code not in MINOR_UNITS:
                continue
            places = MINOR_UNITS[str(code)]
            if decimal_places(value) != places:
                detail = f"{code} amounts are written with {places} decimal place(s)."
                self.flag(
                    table,
                    batch,
                    index,
                    code="invalid_currency_amount",
                    field=amount_name,
                    value=str(value),
                    detail=detail,
                )

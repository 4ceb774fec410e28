"""Primary-key uniqueness and foreign keys, checked against rows already accepted.

Only values of rows that passed every check (the rows the sink received) can satisfy a
foreign key, so a child of a dropped parent is dropped too. ``service_id`` of trips and
timeframes refers to calendar or calendar_dates, kept under the pseudo table ``SERVICES``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

from gtfs.layout import Evaluated, Row
from gtfs.notices import Notice, Report, Severity
from gtfs.schema import TABLES, Table

SERVICES = ("services", "service_id")
_SERVICE_USERS = frozenset({("trips", "service_id"), ("timeframes", "service_id")})


def reference_of(table: Table, field_name: str) -> tuple[str, str] | None:
    """The (table, field) that ``table.field_name`` must refer to, if any."""
    if (table.name, field_name) in _SERVICE_USERS:
        return SERVICES
    return table.field(field_name).references


class KeyIndex:
    """Keys seen per table and the accepted values of every referenced field."""

    def __init__(self) -> None:
        targets = {SERVICES}
        for table in TABLES:
            for name in table.field_names:
                target = reference_of(table, name)
                if target is not None:
                    targets.add(target)
        # None is "known" so that an empty optional reference passes the C-level subset test.
        self.accepted: dict[tuple[str, str], set[object]] = {key: {None} for key in targets}
        self._primary: dict[str, set[object]] = {}

    def check_primary_key(self, table: Table, batch: Evaluated, report: Report) -> None:
        """Mark and report rows whose primary key an earlier row of the feed already had."""
        names = table.primary_key
        getter = itemgetter(*(table.field_names.index(name) for name in names))
        seen = self._primary.setdefault(table.name, set())
        rows, bad = batch.rows, batch.bad
        keys = list(map(getter, rows))
        if not bad and seen.isdisjoint(keys) and len(set(keys)) == len(keys):
            seen.update(keys)
            return
        empty = (None,) * len(names) if len(names) > 1 else None
        for index, key in enumerate(keys):
            if index in bad or key == empty:
                continue
            if key in seen:
                bad.add(index)
                shown = key if isinstance(key, tuple) else (key,)
                report.add(
                    Notice(
                        "duplicate_key",
                        Severity.ERROR,
                        file=table.file_name,
                        row=batch.numbers[index],
                        field=",".join(names),
                        value=",".join("" if part is None else str(part) for part in shown),
                        detail=f"Another row of {table.file_name} has the same key.",
                    )
                )
            else:
                seen.add(key)

    def check_references(
        self,
        table: Table,
        batch: Evaluated,
        report: Report,
        defer: Callable[[int], None] | None = None,
    ) -> None:
        """Mark and report rows that refer to a value no accepted row holds.

        A reference to the table being read (``stops.parent_station``) may point further down
        the file: such rows are handed to ``defer`` instead, to be resolved at the end.
        """
        for position, name in enumerate(table.field_names):
            target = reference_of(table, name)
            if target is None:
                continue
            known = self.accepted[target]
            values = batch.columns[position]
            # The batch's distinct values first: few lookups in the big set of known values.
            if values is None or known.issuperset(set(values)):
                continue
            for index, value in enumerate(values):
                if value in known or index in batch.bad:
                    continue
                if defer is not None and target[0] == table.name:
                    defer(index)
                    continue
                batch.bad.add(index)
                report.add(self.violation(table, name, target, batch.numbers[index], value))

    @staticmethod
    def violation(
        table: Table, name: str, target: tuple[str, str], row: int, value: object
    ) -> Notice:
        """The foreign_key_violation notice for ``value`` of ``table.name``."""
        parent = "calendar.txt or calendar_dates.txt" if target == SERVICES else target[0]
        return Notice(
            "foreign_key_violation",
            Severity.ERROR,
            file=table.file_name,
            row=row,
            field=name,
            value=str(value),
            detail=f"{name} {value!r} is not a valid {target[1]} of {parent}.",
        )

    def accept(self, table: Table, rows: list[Row]) -> None:
        """Record the referenced values of rows the sink received."""
        for position, name in enumerate(table.field_names):
            key = (table.name, name)
            if key in self.accepted:
                self.accepted[key].update(map(itemgetter(position), rows))
            if name == "service_id" and table.name in ("calendar", "calendar_dates"):
                self.accepted[SERVICES].update(map(itemgetter(position), rows))

"""Map a file's header onto its table and turn raw row batches into typed row tuples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

from gtfs.columns import ColumnParser, column_parser
from gtfs.csv_stream import RawBatch
from gtfs.notices import Notice, Report, Severity
from gtfs.schema import Table

Row = tuple[object, ...]


@dataclass
class Evaluated:
    """Typed rows of a batch in ``table.fields`` order, their row numbers and bad indexes."""

    rows: list[Row]
    numbers: list[int]
    bad: set[int] = field(default_factory=set)
    columns: list[Sequence[object] | None] = field(default_factory=list)  # None: absent


class Layout:
    """Where each field of a table sits in a file, and how to parse it."""

    def __init__(self, table: Table, header: list[str]) -> None:
        self.table = table
        self.width = len(header)
        self.positions: list[int | None] = [
            header.index(f.name) if f.name in header else None for f in table.fields
        ]
        self.parsers: list[ColumnParser] = [column_parser(f) for f in table.fields]

    def position(self, field_name: str) -> int | None:
        """The column of ``field_name`` in the file, if present."""
        return self.positions[self.table.field_names.index(field_name)]

    def evaluate(self, batch: RawBatch, report: Report) -> Evaluated:
        """Parse ``batch``; report and mark every row with a malformed or missing value."""
        rows, numbers = self._well_formed(batch, report)
        if not rows:
            return Evaluated([], [], set(), [None] * len(self.positions))
        columns = list(zip(*rows, strict=True))
        parsed: list[Sequence[object] | repeat[None]] = []
        present: list[Sequence[object] | None] = []
        bad: set[int] = set()
        file_name = self.table.file_name
        for table_field, position, parser in zip(
            self.table.fields, self.positions, self.parsers, strict=True
        ):
            if position is None:
                parsed.append(repeat(None))
                present.append(None)
                continue
            raw = columns[position]
            values, problems = parser.parse(raw)
            parsed.append(values)
            present.append(values)
            for index, code, detail in problems:
                bad.add(index)
                report.add(
                    Notice(
                        code,
                        Severity.ERROR,
                        file=file_name,
                        row=numbers[index],
                        field=table_field.name,
                        value=raw[index],
                        detail=f"{table_field.name} {raw[index]!r} {detail}.",
                    )
                )
        # ``repeat(None)`` fills absent fields, so the shortest (a real column) ends the zip.
        typed = list(zip(*parsed, strict=False))
        return Evaluated(typed, numbers, bad, present)

    def _well_formed(self, batch: RawBatch, report: Report) -> tuple[list[list[str]], list[int]]:
        """Rows with as many values as the header; the others are reported and left out."""
        width = self.width
        lengths = list(map(len, batch.rows))
        if lengths.count(width) == len(lengths):
            return batch.rows, batch.numbers
        rows: list[list[str]] = []
        numbers: list[int] = []
        for row, number in zip(batch.rows, batch.numbers, strict=True):
            if len(row) == width:
                rows.append(row)
                numbers.append(number)
            elif not "".join(row).strip():
                self._add(report, "empty_row", Severity.WARNING, number, "The row is empty.")
            else:
                self._add(
                    report,
                    "invalid_row_length",
                    Severity.ERROR,
                    number,
                    f"The row has {len(row)} values where the header has {width}.",
                )
        return rows, numbers

    def _add(self, report: Report, code: str, severity: Severity, row: int, detail: str) -> None:
        report.add(Notice(code, severity, file=self.table.file_name, row=row, detail=detail))


def check_header(table: Table, header: list[str], report: Report) -> Layout | None:
    """The table's layout, or None when the header has an ERROR (no row can be read then)."""
    file_name = table.file_name
    ok = True
    for name, count in Counter(header).items():
        if name and count > 1:
            ok = False
            report.add(
                Notice(
                    "duplicated_column",
                    Severity.ERROR,
                    file=file_name,
                    row=1,
                    field=name,
                    detail=f"Column {name!r} appears {count} times in the header.",
                )
            )
    for position, name in enumerate(header):
        if not name:
            ok = False
            report.add(
                Notice(
                    "empty_column_name",
                    Severity.ERROR,
                    file=file_name,
                    row=1,
                    detail=f"Column {position + 1} has no name.",
                )
            )
        elif name not in table.field_names:
            report.add(
                Notice(
                    "unknown_column",
                    Severity.INFO,
                    file=file_name,
                    row=1,
                    field=name,
                    detail=f"Column {name!r} is not part of {file_name}; it is ignored.",
                )
            )
    for table_field in table.fields:
        if table_field.required and table_field.name not in header:
            ok = False
            report.add(
                Notice(
                    "missing_required_column",
                    Severity.ERROR,
                    file=file_name,
                    field=table_field.name,
                    detail=f"{file_name} has no {table_field.name} column.",
                )
            )
    return Layout(table, header) if ok else None

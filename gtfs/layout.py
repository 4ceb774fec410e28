"""Map a file's header onto its table and turn raw row batches into typed row tuples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

from gtfs.columns import ColumnParser, Parsed, Problem, column_parser
from gtfs.csv_stream import RawBatch
from gtfs.notices import Notice, Report, Severity
from gtfs.schema import Table

Row = tuple[object, ...]
_Column = tuple[Sequence[str], Sequence[object], list[Problem]]  # raw text, values, problems


@dataclass
class Evaluated:
    """Typed rows of a batch in ``table.fields`` order, their row numbers and bad indexes."""

    rows: list[Row]
    numbers: Sequence[int]
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
        # An earlier field parsed by the same rules, whose result an identical column reuses
        # (arrival_time and departure_time are often the same text).
        rules = [
            (type(p), f.type, f.required, f.enum, f.minimum, f.maximum)
            for p, f in zip(self.parsers, table.fields, strict=True)
        ]
        self.twins: list[int | None] = [
            next((j for j in range(i) if rules[j] == rules[i]), None) for i in range(len(rules))
        ]

    def position(self, field_name: str) -> int | None:
        """The column of ``field_name`` in the file, if present."""
        return self.positions[self.table.field_names.index(field_name)]

    def evaluate(self, batch: RawBatch, report: Report) -> Evaluated:
        """Parse ``batch``; report and mark every row with a malformed or missing value."""
        columns = self._transposed(batch.rows)
        numbers = batch.numbers
        if columns is None:
            rows, numbers = self._well_formed(batch, report)
            columns = list(zip(*rows, strict=True))
        if not numbers:
            return Evaluated([], [], set(), [None] * len(self.positions))
        bad: set[int] = set()
        done: list[_Column | None] = []  # per field: raw text, values, problems; None: absent
        for table_field, position, parser, twin in zip(
            self.table.fields, self.positions, self.parsers, self.twins, strict=True
        ):
            if position is None:
                done.append(None)
                continue
            raw = columns[position]
            values, problems = self._parse(parser, raw, twin, done)
            done.append((raw, values, problems))
            for index, code, detail in problems:
                bad.add(index)
                report.add(
                    Notice(
                        code,
                        Severity.ERROR,
                        file=self.table.file_name,
                        row=numbers[index],
                        field=table_field.name,
                        value=raw[index],
                        detail=f"{table_field.name} {raw[index]!r} {detail}.",
                    )
                )
        present = [None if column is None else column[1] for column in done]
        # ``repeat(None)`` fills absent fields, so the shortest (a real column) ends the zip.
        typed = list(zip(*(repeat(None) if c is None else c for c in present), strict=False))
        return Evaluated(typed, numbers, bad, present)

    @staticmethod
    def _parse(
        parser: ColumnParser,
        raw: Sequence[str],
        twin: int | None,
        done: list[_Column | None],
    ) -> Parsed:
        """``parser``'s result for ``raw``, or its twin field's when that column is the same."""
        earlier = done[twin] if twin is not None else None
        if earlier is not None and earlier[0] == raw:
            return earlier[1], list(earlier[2])
        return parser.parse(raw)

    def _transposed(self, rows: list[list[str]]) -> list[tuple[str, ...]] | None:
        """The columns of ``rows`` in one pass; None unless every row has the header's width."""
        try:
            columns = list(zip(*rows, strict=True))
        except ValueError:
            return None
        return columns if len(columns) == self.width else None

    def _well_formed(
        self, batch: RawBatch, report: Report
    ) -> tuple[list[list[str]], Sequence[int]]:
        """Rows with as many values as the header; the others are reported and left out."""
        width = self.width
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

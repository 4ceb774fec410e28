"""Tables whose rows come in runs of one group: stop_times by trip, shapes by shape.

Feeds list a trip's stop times (a shape's points) contiguously, so each run is checked as a
whole as soon as it ends and only the current run is held: memory stays bounded by the
longest trip. A group that shows up again after another group (a *scattered* group) is held
back whole: at the end of the file its earlier rows are read again, and its later rows are
checked against them before they reach the sink.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter, sub

from gtfs.csv_stream import RawBatch
from gtfs.layout import Evaluated, Row
from gtfs.notices import Notice, Report, Severity
from gtfs.schema import Table
from gtfs.sequence_checks import Finding, GroupCheck, QuickCheck, run_starts


def complete_runs(batches: Iterable[RawBatch], column: int | None) -> Iterator[RawBatch]:
    """Re-cut ``batches`` so that no run of equal values in ``column`` spans two batches.

    The batches must follow one another in the file (as ``TableStream.batches`` gives them),
    so the rows carried over and the next batch's rows have consecutive row numbers.
    """
    if column is None:
        yield from batches
        return
    rows: list[list[str]] = []
    first = 0
    for batch in batches:
        if rows:
            rows = rows + batch.rows
        else:
            rows, first = batch.rows, batch.numbers[0]
        cut = _last_run_start(rows, column)
        if cut:
            yield RawBatch(rows[:cut], range(first, first + cut))
            rows, first = rows[cut:], first + cut
    if rows:
        yield RawBatch(rows, range(first, first + len(rows)))


def _last_run_start(rows: list[list[str]], column: int) -> int:
    def key(row: list[str]) -> str | None:
        return row[column] if len(row) > column else None

    last = key(rows[-1])
    start = len(rows) - 1
    while start > 0 and key(rows[start - 1]) == last:
        start -= 1
    return start


class GroupedTable:
    """Run-by-run checks of one grouped table, and the rows held back for scattered groups."""

    def __init__(
        self, table: Table, key_field: str, checks: tuple[GroupCheck, QuickCheck], report: Report
    ) -> None:
        self.table = table
        self._position = table.field_names.index(key_field)
        self._key = itemgetter(self._position)
        self._check, self._quick = checks
        self._report = report
        self.sizes: dict[object, int] = {}
        self._held: dict[object, list[tuple[int, Row]]] = {}

    def check(self, batch: Evaluated) -> set[int]:
        """Check every run of ``batch``; the indexes held back (scattered groups) are returned."""
        keys = batch.columns[self._position]
        if not batch.bad and keys is not None:
            starts = run_starts(keys)
            if self._quick(batch.columns, starts):
                return self._count_runs(batch, keys, starts)
        indexes: Sequence[int] = range(len(batch.rows))
        rows = batch.rows
        if batch.bad:
            indexes = [i for i in indexes if i not in batch.bad]
            rows = [rows[i] for i in indexes]
        held: set[int] = set()
        start = 0
        for group, run in groupby(map(self._key, rows)):
            size = len(list(run))
            run_indexes = indexes[start : start + size]
            start += size
            if group in self.sizes or group in self._held:
                self._hold(group, batch, run_indexes)
                held.update(run_indexes)
                continue
            findings = self._check(rows[start - size : start], [False] * size)
            for position, *_ in findings:
                batch.bad.add(run_indexes[position])
            self._report_all(findings, [batch.numbers[i] for i in run_indexes])
            self.sizes[group] = size - len({finding[0] for finding in findings})
        return held

    def _count_runs(self, batch: Evaluated, keys: Sequence[object], starts: list[int]) -> set[int]:
        """Record the size of each run of a batch known to be clean; hold scattered runs."""
        groups = [keys[start] for start in starts]
        ends = [*starts[1:], len(keys)]
        sizes = self.sizes
        if (
            len(set(groups)) == len(groups)
            and sizes.keys().isdisjoint(groups)
            and self._held.keys().isdisjoint(groups)
        ):
            sizes.update(zip(groups, map(sub, ends, starts), strict=True))
            return set()
        held: set[int] = set()
        for group, start, end in zip(groups, starts, ends, strict=True):
            if group in sizes or group in self._held:
                run_indexes = range(start, end)
                self._hold(group, batch, run_indexes)
                held.update(run_indexes)
            else:
                sizes[group] = end - start
        return held

    def _hold(self, group: object, batch: Evaluated, indexes: Sequence[int]) -> None:
        self._held.setdefault(group, []).extend((batch.numbers[i], batch.rows[i]) for i in indexes)

    def finish(self, reread: Callable[[], Iterator[Evaluated]]) -> list[Row]:
        """Check the held-back groups against their earlier rows; the rows that pass."""
        if not self._held:
            return []
        first_held = {group: rows[0][0] for group, rows in self._held.items()}
        earlier: dict[object, list[tuple[int, Row]]] = {group: [] for group in self._held}
        for batch in reread():
            for index, row in enumerate(batch.rows):
                group, number = self._key(row), batch.numbers[index]
                if group in earlier and number < first_held[group] and index not in batch.bad:
                    earlier[group].append((number, row))
        accepted: list[Row] = []
        for group, held in self._held.items():
            accepted.extend(self._merge(group, earlier[group], held))
        self._held.clear()
        return accepted

    def _merge(
        self, group: object, earlier: list[tuple[int, Row]], held: list[tuple[int, Row]]
    ) -> list[Row]:
        earlier_rows = [row for _, row in earlier]
        flagged = {finding[0] for finding in self._check(earlier_rows, [False] * len(earlier))}
        sent = [pair for position, pair in enumerate(earlier) if position not in flagged]
        merged = sent + held
        fixed = [True] * len(sent) + [False] * len(held)
        findings = self._check([row for _, row in merged], fixed)
        self._report_all(findings, [number for number, _ in merged])
        bad = {finding[0] for finding in findings}
        passed = [
            row
            for position, (_, row) in enumerate(merged)
            if not fixed[position] and position not in bad
        ]
        self.sizes[group] = len(sent) + len(passed)
        return passed

    def _report_all(self, findings: list[Finding], numbers: Sequence[int]) -> None:
        for position, code, name, value, detail in findings:
            self._report.add(
                Notice(
                    code,
                    Severity.ERROR,
                    file=self.table.file_name,
                    row=numbers[position],
                    field=name,
                    value=value or None,
                    detail=detail,
                )
            )

"""Validate a GTFS feed in one streaming pass and hand the rows that pass to a sink.

Tables are read in ``schema.TABLES`` order, so every foreign key points at a table already
read. Each batch of rows is parsed column by column, then checked for primary keys, foreign
keys and the rules spanning rows; rows with an ERROR notice never reach the sink, so the sink
receives only rows that satisfy required fields, types, enums and ranges, key uniqueness and
foreign keys (to rows the sink itself received). Bad input never raises.
"""

from __future__ import annotations

import datetime
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

from gtfs.csv_stream import TableStream
from gtfs.grouped import GroupedTable, complete_runs
from gtfs.keys import KeyIndex, reference_of
from gtfs.layout import Evaluated, Layout, Row, check_header
from gtfs.notices import Notice, Report, Severity
from gtfs.row_rules import RowRules
from gtfs.schema import KNOWN_UNSTORED_FILES, TABLES, Table
from gtfs.sequence_checks import (
    GroupCheck,
    QuickCheck,
    check_shape_points,
    check_trip_stop_times,
    shape_points_in_order,
    stop_times_in_order,
)
from gtfs.service_rules import ServiceRules
from gtfs.source import FeedSource, open_feed_source

RowSink = Callable[[Table, list[tuple[object, ...]]], None]

_GROUPS: dict[str, tuple[str, tuple[GroupCheck, QuickCheck]]] = {
    "stop_times": ("trip_id", (check_trip_stop_times, stop_times_in_order)),
    "shapes": ("shape_id", (check_shape_points, shape_points_in_order)),
}
_WHOLE_TABLES = frozenset({"agency", "feed_info"})  # small; their rules need every row at once
_TABLE_FILES = frozenset(table.file_name for table in TABLES)


def validate_feed(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    today: datetime.date,
    sink: RowSink | None = None,
    batch_size: int = 2000,
    sample_limit: int = 100,
) -> Report:
    """Validate the feed at ``source`` (zip path, folder or binary zip) as of ``today``."""
    report = Report(sample_limit)
    feed = open_feed_source(source, report)
    if feed is None:
        return report
    try:
        with _cycle_collector_paused():
            _FeedRun(feed, report, sink, max(1, batch_size)).run(today)
    finally:
        feed.close()
    return report


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while rows stream through.

    Millions of short-lived row lists and tuples would otherwise trigger collections that
    cost more than the validation itself (measured: 6.9 s instead of 3.9 s for 1.3 M stop
    times). Reference counting still frees every row at once; the collector is restored even
    when the sink raises.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _FeedRun:
    """The state of one validation: keys seen, rules' memory, the sink."""

    def __init__(
        self, feed: FeedSource, report: Report, sink: RowSink | None, batch_size: int
    ) -> None:
        self.feed = feed
        self.report = report
        self.sink = sink
        self.batch_size = batch_size
        self.keys = KeyIndex()
        self.row_rules = RowRules(report)
        self.services = ServiceRules(report)
        self.stop_time_counts: dict[object, int] | None = None

    def run(self, today: datetime.date) -> None:
        """Check the file list, then every table in load order, then the feed-wide rules."""
        self._check_files()
        present = set(self.feed.names)
        for table in TABLES:
            if table.file_name in present:
                self._table(table)
        self.services.finish(today, self.stop_time_counts)

    def _check_files(self) -> None:
        present = set(self.feed.names)
        for table in TABLES:
            if table.required and table.file_name not in present:
                self._add("missing_required_file", table.file_name, "A required file is missing.")
        if not present & {"calendar.txt", "calendar_dates.txt"}:
            detail = "A feed needs calendar.txt, calendar_dates.txt or both."
            self._add("missing_calendar_and_calendar_date_files", None, detail)
        for name in self.feed.names:
            if name not in _TABLE_FILES and name not in KNOWN_UNSTORED_FILES:
                detail = "The file is not part of the GTFS reference; it is ignored."
                self._add("unknown_file", name, detail, Severity.INFO)

    def _add(
        self, code: str, file: str | None, detail: str, severity: Severity = Severity.ERROR
    ) -> None:
        self.report.add(Notice(code, severity, file=file, detail=detail))

    def _open(self, table: Table, report: Report) -> TableStream:
        name = table.file_name
        return TableStream(name, lambda: self.feed.open_binary(name), report)

    def _table(self, table: Table) -> None:
        stream = self._open(table, self.report)
        try:
            header = stream.read_header()
            if header is None:
                if not stream.failed:
                    severity = Severity.ERROR if table.required else Severity.WARNING
                    self._add("empty_file", table.file_name, "The file is empty.", severity)
                return
            layout = check_header(table, header, self.report)
            if layout is not None:
                rows = _TableLoad(self, table, layout).load(stream)
                if rows == 0 and table.required and not stream.failed:
                    self._add("empty_file", table.file_name, "The required file has no rows.")
        finally:
            stream.close()

    def accept(self, table: Table, rows: list[Row], numbers: Sequence[int] | None) -> None:
        """Record ``rows`` as valid and hand them to the sink in batches."""
        if not rows:
            return
        self.keys.accept(table, rows)
        if numbers is not None:
            self.services.accepted(table.name, rows, numbers)
        if self.sink is not None:
            size = self.batch_size
            if len(rows) <= size:
                self.sink(table, rows)
                return
            for start in range(0, len(rows), size):
                self.sink(table, rows[start : start + size])


class _TableLoad:
    """Reading one table: batches, checks, self-references put off, grouped runs."""

    def __init__(self, run: _FeedRun, table: Table, layout: Layout) -> None:
        self.run = run
        self.table = table
        self.layout = layout
        self.pending: list[tuple[int, Row]] = []
        self.grouped: GroupedTable | None = None
        self.group_column: int | None = None
        if table.name in _GROUPS:
            key_field, checks = _GROUPS[table.name]
            self.grouped = GroupedTable(table, key_field, checks, run.report)
            self.group_column = layout.position(key_field)

    def load(self, stream: TableStream) -> int:
        """Check and accept every row of ``stream``; the number of rows read."""
        run, table = self.run, self.table
        size = None if table.name in _WHOLE_TABLES else run.batch_size
        count = 0
        for raw in complete_runs(stream.batches(size), self.group_column):
            count += len(raw.rows)
            batch = self.layout.evaluate(raw, run.report)
            put_off: set[int] = set()
            if self.grouped is None and table.primary_key:
                run.keys.check_primary_key(table, batch, run.report)
            run.keys.check_references(table, batch, run.report, put_off.add)
            run.row_rules.check(table, batch)
            held = self.grouped.check(batch) if self.grouped is not None else set()
            self.pending.extend((batch.numbers[i], batch.rows[i]) for i in put_off - batch.bad)
            self._accept_batch(batch, batch.bad | held | put_off)
        if self.grouped is not None:
            run.accept(table, self.grouped.finish(self._reread), None)
            if table.name == "stop_times":
                run.stop_time_counts = self.grouped.sizes
        self._resolve_pending()
        return count

    def _accept_batch(self, batch: Evaluated, skip: set[int]) -> None:
        rows: list[Row] = batch.rows
        numbers: Sequence[int] = batch.numbers
        if skip:
            kept = [i for i in range(len(rows)) if i not in skip]
            rows = [rows[i] for i in kept]
            numbers = [numbers[i] for i in kept]
        self.run.accept(self.table, rows, numbers)

    def _reread(self) -> Iterator[Evaluated]:
        """The file's rows again, checked silently (for groups seen twice)."""
        silent = Report(0)
        stream = self.run._open(self.table, silent)
        try:
            if stream.read_header() is None:
                return
            for raw in stream.batches(self.run.batch_size):
                batch = self.layout.evaluate(raw, silent)
                self.run.keys.check_references(self.table, batch, silent)
                yield batch
        finally:
            stream.close()

    def _resolve_pending(self) -> None:
        """Accept rows referring further down their own file once their parent is accepted."""
        fields = [
            (position, name)
            for position, name in enumerate(self.table.field_names)
            if (reference_of(self.table, name) or ("",))[0] == self.table.name
        ]
        while self.pending:
            ready = [
                (number, row)
                for number, row in self.pending
                if all(self._known(name, row[position]) for position, name in fields)
            ]
            if not ready:
                break
            self.pending = [pair for pair in self.pending if pair not in ready]
            self.run.accept(self.table, [row for _, row in ready], [n for n, _ in ready])
        for number, row in self.pending:
            for position, name in fields:
                if not self._known(name, row[position]):
                    target = reference_of(self.table, name) or ("", "")
                    notice = self.run.keys.violation(
                        self.table, name, target, number, row[position]
                    )
                    self.run.report.add(notice)

    def _known(self, name: str, value: object) -> bool:
        target = reference_of(self.table, name)
        return target is not None and value in self.run.keys.accepted[target]

"""The real feeds shipped with the project validate with no ERROR and load every row."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections import Counter
from pathlib import Path

from gtfs.notices import Severity
from gtfs.schema import Table
from gtfs.summary import render_text
from gtfs.validator import validate_feed

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "backend" / "data" / "sample-feed-1"
ZAKROCZYM = ROOT / "tests" / "data" / "gtfs" / "zakroczym-fares-v2" / "gtfs.zip"
TODAY = datetime.date(2026, 1, 15)


class CountingSink:
    """Counts rows per table and checks each row's width."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, table: Table, rows: list[tuple[object, ...]]) -> None:
        assert all(len(row) == len(table.fields) for row in rows)
        self.counts[table.name] += len(rows)


def _data_rows(text: str) -> int:
    return sum(1 for row in csv.reader(io.StringIO(text)) if row) - 1


def test_sample_feed_has_no_error_and_loads_every_row() -> None:
    sink = CountingSink()
    report = validate_feed(SAMPLE, today=TODAY, sink=sink)
    assert report.error_count == 0, render_text(report)
    assert {n.code for n in report.notices if n.severity is Severity.WARNING} == {
        "expired_calendar"
    }
    expected = {
        path.stem: _data_rows(path.read_text(encoding="utf-8-sig"))
        for path in SAMPLE.glob("*.txt")
        if path.name != "SOURCE.txt"
    }
    assert {name: n for name, n in expected.items() if n} == dict(sink.counts)
    assert sink.counts["stop_times"] == 28
    assert sink.counts["frequencies"] == 11


def test_zakroczym_fares_v2_feed_has_no_error_and_loads_every_row() -> None:
    sink = CountingSink()
    report = validate_feed(ZAKROCZYM, today=TODAY, sink=sink)
    assert report.error_count == 0, render_text(report)
    with zipfile.ZipFile(ZAKROCZYM) as archive:
        expected = {
            name.removesuffix(".txt"): _data_rows(archive.read(name).decode("utf-8-sig"))
            for name in archive.namelist()
            if name != "attributions.txt"
        }
    assert expected == dict(sink.counts)
    assert sink.counts["stop_times"] == 1018
    assert sink.counts["fare_products"] == 10


def test_zakroczym_from_a_binary_file_object() -> None:
    with ZAKROCZYM.open("rb") as stream:
        report = validate_feed(stream, today=TODAY)
    assert report.error_count == 0

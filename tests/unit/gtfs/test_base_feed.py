from gtfs.notices import Severity
from gtfs.validator import validate_feed
from tests.unit.gtfs.feed_factory import BASE, TODAY, RecordingSink, validate, zip_feed


def test_base_feed_has_no_notice() -> None:
    report = validate(dict(BASE))
    assert report.notices == []
    assert not report.has_errors


def test_sink_receives_typed_tuples_in_field_order() -> None:
    sink = RecordingSink()
    validate(dict(BASE), sink)
    stop_times = sink.rows("stop_times")
    assert stop_times[0] == ("T1", 28800, 28800, "S1", 1, None, None, None, None, None, None, None)
    assert stop_times[3][1] == 25 * 3600
    stops = sink.rows("stops")
    assert stops[0][:6] == ("S1", None, "One", None, None, 52.1)
    calendar = sink.rows("calendar")[0]
    assert calendar[0] == "WK"
    assert calendar[1:8] == (1, 1, 1, 1, 1, 0, 0)
    assert calendar[8].isoformat() == "2026-01-01"  # type: ignore[union-attr]


def test_sink_batches_never_exceed_batch_size() -> None:
    sink = RecordingSink()
    validate_feed(zip_feed(dict(BASE)), today=TODAY, sink=sink, batch_size=2)
    assert all(len(rows) <= 2 for _, rows in sink.batches)
    assert len(sink.rows("stop_times")) == 5


def test_sink_never_receives_a_row_with_an_error() -> None:
    sink = RecordingSink()
    stop_times = BASE["stop_times.txt"] + "T1,08:30:00,08:30:00,NOPE,4\nT9,09:00:00,09:00:00,S1,1\n"
    stops = BASE["stops.txt"] + "S4,Four,95.0,20.0\n"
    report = validate({**BASE, "stop_times.txt": stop_times, "stops.txt": stops}, sink)
    error_rows = {(n.file, n.row) for n in report.notices if n.severity is Severity.ERROR and n.row}
    assert ("stop_times.txt", 7) in error_rows
    assert ("stop_times.txt", 8) in error_rows
    assert ("stops.txt", 5) in error_rows
    assert [row[0] for row in sink.rows("stops")] == ["S1", "S2", "S3"]
    assert len(sink.rows("stop_times")) == 5


def test_validation_without_sink_still_reports() -> None:
    report = validate({**BASE, "routes.txt": "route_id,agency_id,route_type\nR1,A,3\nR1,A,3\n"})
    assert report.has_errors

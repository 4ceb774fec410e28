"""Notices about the stop times of a trip, contiguous in the file or not."""

from gtfs.notices import Report, Severity
from gtfs.validator import validate_feed
from tests.unit.gtfs.feed_factory import TODAY, RecordingSink, codes, feed, only, validate, zip_feed

HEADER = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
T2 = "T2,25:00:00,25:00:00,S3,1\nT2,25:10:00,25:10:00,S1,2\n"


def _validate(t1_rows: str, sink: RecordingSink | None = None) -> Report:
    return validate(feed(stop_times=HEADER + t1_rows + T2), sink)


def test_missing_trip_edge() -> None:
    report = _validate("T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\nT1,,,S3,3\n")
    notice = only(report, "missing_trip_edge")
    assert (notice.severity, notice.file, notice.row, notice.field) == (
        Severity.ERROR,
        "stop_times.txt",
        4,
        "arrival_time",
    )


def test_intermediate_stop_without_times_is_fine() -> None:
    report = _validate("T1,08:00:00,08:00:00,S1,1\nT1,,,S2,2\nT1,08:20:00,08:20:00,S3,3\n")
    assert report.notices == []


def test_stop_time_with_only_arrival_time() -> None:
    report = _validate("T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,,S2,2\nT1,08:20:00,08:20:00,S3,3\n")
    notice = only(report, "stop_time_with_only_arrival_or_departure_time")
    assert (notice.severity, notice.row, notice.field, notice.value) == (
        Severity.ERROR,
        3,
        "arrival_time",
        "08:10:00",
    )


def test_arrival_before_previous_departure() -> None:
    report = _validate(
        "T1,08:00:00,08:05:00,S1,1\nT1,08:03:00,08:06:00,S2,2\nT1,08:20:00,08:20:00,S3,3\n"
    )
    notice = only(report, "stop_time_with_arrival_before_previous_departure_time")
    assert (notice.severity, notice.row, notice.field, notice.value) == (
        Severity.ERROR,
        3,
        "arrival_time",
        "08:03:00",
    )


def test_rows_listed_out_of_sequence_order_are_checked_in_sequence_order() -> None:
    sink = RecordingSink()
    report = _validate(
        "T1,08:20:00,08:20:00,S3,3\nT1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n", sink
    )
    assert report.notices == []
    assert len(sink.rows("stop_times")) == 5


def test_duplicate_stop_sequence_in_a_trip() -> None:
    report = _validate(
        "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,1\nT1,08:20:00,08:20:00,S3,3\n"
    )
    notice = only(report, "duplicate_key")
    assert (notice.severity, notice.row, notice.field, notice.value) == (
        Severity.ERROR,
        3,
        "trip_id,stop_sequence",
        "T1,1",
    )


def test_trip_split_in_two_places_is_checked_as_one_trip() -> None:
    rows = (
        HEADER
        + "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n"
        + T2
        + "T1,08:20:00,08:20:00,S3,3\nT1,08:30:00,08:30:00,S1,2\n"
    )
    sink = RecordingSink()
    report = validate(feed(stop_times=rows), sink)
    notice = only(report, "duplicate_key")
    assert (notice.row, notice.value) == (7, "T1,2")
    sent = sink.rows("stop_times")
    assert sorted((row[0], row[4]) for row in sent) == [
        ("T1", 1),
        ("T1", 2),
        ("T1", 3),
        ("T2", 1),
        ("T2", 2),
    ]
    assert "unusable_trip" not in codes(report)


def test_split_trip_going_backwards_flags_the_later_rows() -> None:
    rows = (
        HEADER
        + "T1,08:00:00,08:00:00,S1,1\nT1,08:30:00,08:30:00,S3,3\n"
        + T2
        + "T1,08:40:00,08:40:00,S2,2\n"
    )
    sink = RecordingSink()
    report = validate(feed(stop_times=rows), sink)
    notice = only(report, "stop_time_with_arrival_before_previous_departure_time")
    assert notice.row == 6
    assert len(sink.rows("stop_times")) == 4


def test_long_trips_across_batches_are_checked_whole() -> None:
    body = "".join(f"T1,08:{m:02d}:00,08:{m:02d}:00,S1,{m}\n" for m in range(30))
    body += "T1,07:00:00,07:00:00,S2,30\n"
    sink = RecordingSink()
    report = validate_feed(
        zip_feed(feed(stop_times=HEADER + body + T2)), today=TODAY, sink=sink, batch_size=7
    )
    notice = only(report, "stop_time_with_arrival_before_previous_departure_time")
    assert notice.row == 32
    assert len(sink.rows("stop_times")) == 32

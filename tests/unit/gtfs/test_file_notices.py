"""Notices about the archive, its files and their CSV structure."""

import io
import zipfile

from gtfs.notices import Severity
from gtfs.validator import validate_feed
from tests.unit.gtfs.feed_factory import BASE, TODAY, codes, feed, only, validate, zip_feed


def test_missing_required_file() -> None:
    notice = only(validate(feed(stops=None)), "missing_required_file")
    assert (notice.severity, notice.file) == (Severity.ERROR, "stops.txt")


def test_missing_calendar_and_calendar_dates() -> None:
    notice = only(validate(feed(calendar=None)), "missing_calendar_and_calendar_date_files")
    assert notice.severity is Severity.ERROR


def test_empty_required_file_is_an_error() -> None:
    notice = only(validate(feed(routes="")), "empty_file")
    assert (notice.severity, notice.file) == (Severity.ERROR, "routes.txt")


def test_required_file_with_header_only_is_empty() -> None:
    notice = only(validate(feed(routes="route_id,route_type\n")), "empty_file")
    assert notice.severity is Severity.ERROR


def test_empty_optional_file_is_a_warning() -> None:
    notice = only(validate(feed(feed_info="")), "empty_file")
    assert (notice.severity, notice.file) == (Severity.WARNING, "feed_info.txt")


def test_optional_file_with_header_only_is_fine() -> None:
    report = validate(feed(shapes="shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"))
    assert report.notices == []


def test_nul_byte_fails_csv_parsing_at_its_line() -> None:
    stops = BASE["stops.txt"].encode() + b"S4,F\x00ur,52.4,20.4\n"
    notice = only(validate(feed(stops=stops)), "csv_parsing_failed")
    assert (notice.severity, notice.file, notice.row) == (Severity.ERROR, "stops.txt", 5)


def test_text_that_is_not_utf8_fails_csv_parsing_at_its_line() -> None:
    stops = BASE["stops.txt"].encode() + "S4,Łódź,52.4,20.4\n".encode("cp1250")
    notice = only(validate(feed(stops=stops)), "csv_parsing_failed")
    assert (notice.severity, notice.file, notice.row) == (Severity.ERROR, "stops.txt", 5)


def test_invalid_row_length() -> None:
    notice = only(
        validate(feed(routes="route_id,agency_id,route_type\nR1,A,3,extra\n")), "invalid_row_length"
    )
    assert (notice.severity, notice.file, notice.row) == (Severity.ERROR, "routes.txt", 2)


def test_duplicated_column() -> None:
    notice = only(
        validate(feed(routes="route_id,route_id,route_type\nR1,R1,3\n")), "duplicated_column"
    )
    assert (notice.severity, notice.file, notice.field) == (
        Severity.ERROR,
        "routes.txt",
        "route_id",
    )


def test_missing_required_column() -> None:
    notice = only(validate(feed(routes="route_id,agency_id\nR1,A\n")), "missing_required_column")
    assert (notice.severity, notice.field) == (Severity.ERROR, "route_type")


def test_unknown_column_is_info_and_dropped() -> None:
    report = validate(feed(routes="route_id,agency_id,route_type,colour\nR1,A,3,red\n"))
    notice = only(report, "unknown_column")
    assert (notice.severity, notice.file, notice.field) == (Severity.INFO, "routes.txt", "colour")
    assert not report.has_errors


def test_unknown_file_is_info_but_known_unstored_files_are_not() -> None:
    report = validate(feed(**{"notes.txt": "a\n1\n", "levels.txt": "level_id\nL1\n"}))
    notice = only(report, "unknown_file")
    assert (notice.severity, notice.file) == (Severity.INFO, "notes.txt")


def test_files_in_a_subfolder() -> None:
    nested = {f"feed/{name}": text for name, text in BASE.items()}
    report = validate_feed(zip_feed(nested), today=TODAY)  # type: ignore[arg-type]
    notice = only(report, "invalid_input_files_in_subfolder")
    assert notice.severity is Severity.ERROR
    assert "missing_required_file" in codes(report)


def test_not_a_zip_is_an_io_error() -> None:
    notice = only(validate_feed(io.BytesIO(b"not a zip at all"), today=TODAY), "i_o_error")
    assert notice.severity is Severity.ERROR


def test_corrupt_zip_member_is_an_io_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in BASE.items():
            archive.writestr(name, text * 50)
    data = bytearray(buffer.getvalue())
    start = data.index(b"stops.txt") + len("stops.txt")
    data[start + 20 : start + 60] = b"\xff" * 40
    report = validate_feed(io.BytesIO(bytes(data)), today=TODAY)
    assert report.has_errors
    assert {"i_o_error", "csv_parsing_failed"} & codes(report)


def test_bom_crlf_quotes_and_header_spaces_are_tolerated() -> None:
    stops = (
        "\ufeffstop_id , stop_name,stop_lat,stop_lon\r\n"
        'S1,"One, the first",52.1,20.1\r\nS2,"Two ""B""",52.2,20.2\r\nS3,,52.3,20.3\r\n'
    )
    assert validate(feed(stops=stops)).notices == []


def test_blank_line_is_an_empty_row_warning() -> None:
    report = validate(feed(routes="route_id,agency_id,route_type\nR1,A,3\n\n"))
    notice = only(report, "empty_row")
    assert (notice.severity, notice.row) == (Severity.WARNING, 3)

from gtfs.notices import Notice, Report, Severity
from gtfs.summary import render_text


def _notice(code: str, severity: Severity, row: int = 2) -> Notice:
    return Notice(
        code, severity, file="stops.txt", row=row, field="stop_id", value="S1", detail="Something."
    )


def test_report_counts_every_notice_but_keeps_a_sample() -> None:
    report = Report(sample_limit=2)
    for row in range(5):
        report.add(_notice("duplicate_key", Severity.ERROR, row))
    report.add(_notice("unknown_column", Severity.INFO))
    assert report.counts[("duplicate_key", Severity.ERROR)] == 5
    assert [n.row for n in report.notices if n.code == "duplicate_key"] == [0, 1]
    assert (report.error_count, report.warning_count, report.info_count) == (5, 0, 1)
    assert report.has_errors


def test_summary_puts_errors_first_then_most_frequent() -> None:
    report = Report()
    report.add(_notice("unknown_column", Severity.INFO))
    for _ in range(3):
        report.add(_notice("expired_calendar", Severity.WARNING))
    report.add(_notice("invalid_url", Severity.ERROR))
    report.add(_notice("unusable_trip", Severity.WARNING))
    summary = report.summary()
    assert [entry["code"] for entry in summary["by_code"]] == [  # type: ignore[attr-defined]
        "invalid_url",
        "expired_calendar",
        "unusable_trip",
        "unknown_column",
    ]
    assert summary["errors"] == 1
    assert report.to_dict()["notices"][0] == {  # type: ignore[index]
        "code": "unknown_column",
        "severity": "INFO",
        "file": "stops.txt",
        "row": 2,
        "field": "stop_id",
        "value": "S1",
        "detail": "Something.",
    }


def test_render_text_shows_totals_codes_and_examples() -> None:
    report = Report()
    for row in range(5):
        report.add(_notice("duplicate_key", Severity.ERROR, row + 2))
    text = render_text(report, examples=2)
    assert text.startswith("5 error(s), 0 warning(s), 0 info(s)")
    assert "ERROR   duplicate_key (5)" in text
    assert "stops.txt:2 stop_id='S1': Something." in text
    assert "stops.txt:4" not in text
    assert "... and 3 more" in text

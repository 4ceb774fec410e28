"""Notices of rules spanning rows and files: agencies, ranges, services, trips."""

import pytest

from gtfs.notices import Severity
from tests.unit.gtfs.feed_factory import BASE, RecordingSink, codes, feed, only, validate

AGENCY_HEADER = "agency_id,agency_name,agency_url,agency_timezone"
CALENDAR_HEADER = BASE["calendar.txt"].splitlines()[0]
TWO_AGENCIES = (
    f"{AGENCY_HEADER}\nA,Agency,https://a.example,Europe/Warsaw\n"
    "B,Other,https://b.example,Europe/Warsaw\n"
)


def test_inconsistent_agency_timezone() -> None:
    agency = TWO_AGENCIES.replace(
        "B,Other,https://b.example,Europe/Warsaw", "B,Other,https://b.example,Europe/Berlin"
    )
    notice = only(validate(feed(agency=agency)), "inconsistent_agency_timezone")
    assert (notice.severity, notice.file, notice.row, notice.field, notice.value) == (
        Severity.ERROR,
        "agency.txt",
        3,
        "agency_timezone",
        "Europe/Berlin",
    )


def test_agency_id_required_in_agency_when_several_agencies() -> None:
    agency = TWO_AGENCIES.replace("B,Other", ",Other")
    report = validate(feed(agency=agency))
    notice = only(report, "missing_required_agency_id")
    assert (notice.severity, notice.file, notice.row, notice.field) == (
        Severity.ERROR,
        "agency.txt",
        3,
        "agency_id",
    )


def test_agency_id_required_in_routes_and_fares_when_several_agencies() -> None:
    routes = "route_id,agency_id,route_type\nR1,,3\n"
    fares = "fare_id,price,currency_type,payment_method,transfers,agency_id\nF1,1.00,PLN,0,0,\n"
    report = validate(feed(agency=TWO_AGENCIES, routes=routes, fare_attributes=fares))
    found = {
        (n.file, n.row, n.field)
        for n in report.notices
        if n.code == "missing_required_agency_id" and n.severity is Severity.ERROR
    }
    assert found == {("routes.txt", 2, "agency_id"), ("fare_attributes.txt", 2, "agency_id")}


def test_agency_id_may_be_empty_with_one_agency() -> None:
    agency = f"{AGENCY_HEADER}\n,Agency,https://example.org,Europe/Warsaw\n"
    routes = "route_id,agency_id,route_type\nR1,,3\n"
    assert validate(feed(agency=agency, routes=routes)).notices == []


@pytest.mark.parametrize(
    ("changes", "file", "field"),
    [
        (
            {"calendar": f"{CALENDAR_HEADER}\nWK,1,1,1,1,1,0,0,20261231,20260101\n"},
            "calendar.txt",
            "start_date",
        ),
        (
            {
                "feed_info": "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,"
                "feed_end_date\nMe,https://example.org,pl,20260301,20260201\n"
            },
            "feed_info.txt",
            "feed_start_date",
        ),
        (
            {"frequencies": "trip_id,start_time,end_time,headway_secs\nT1,10:00:00,09:00:00,600\n"},
            "frequencies.txt",
            "start_time",
        ),
        (
            {
                "timeframes": "timeframe_group_id,start_time,end_time,service_id\n"
                "peak,10:00:00,09:00:00,WK\n"
            },
            "timeframes.txt",
            "start_time",
        ),
    ],
)
def test_start_and_end_range_out_of_order(changes: dict[str, str], file: str, field: str) -> None:
    notice = only(validate(feed(**changes)), "start_and_end_range_out_of_order")
    assert (notice.severity, notice.file, notice.row, notice.field) == (
        Severity.ERROR,
        file,
        2,
        field,
    )


def test_expired_calendar_is_a_warning() -> None:
    calendar = f"{CALENDAR_HEADER}\nWK,1,1,1,1,1,0,0,20250101,20251231\n"
    notice = only(validate(feed(calendar=calendar)), "expired_calendar")
    assert (notice.severity, notice.file, notice.row, notice.value) == (
        Severity.WARNING,
        "calendar.txt",
        2,
        "WK",
    )


def test_calendar_kept_alive_by_an_added_date_is_not_expired() -> None:
    calendar = f"{CALENDAR_HEADER}\nWK,1,1,1,1,1,0,0,20250101,20251231\n"
    dates = "service_id,date,exception_type\nWK,20260301,1\n"
    assert "expired_calendar" not in codes(validate(feed(calendar=calendar, calendar_dates=dates)))


def test_calendar_whose_remaining_days_are_all_removed_is_expired() -> None:
    calendar = f"{CALENDAR_HEADER}\nWK,1,0,0,0,0,0,0,20260101,20260126\n"
    dates = "service_id,date,exception_type\nWK,20260119,2\nWK,20260126,2\n"
    assert "expired_calendar" in codes(validate(feed(calendar=calendar, calendar_dates=dates)))


def test_service_with_no_active_day_of_the_week() -> None:
    calendar = f"{CALENDAR_HEADER}\nWK,0,0,0,0,0,0,0,20260101,20261231\n"
    notice = only(validate(feed(calendar=calendar)), "service_has_no_active_day_of_the_week")
    assert (notice.severity, notice.file, notice.row, notice.value) == (
        Severity.WARNING,
        "calendar.txt",
        2,
        "WK",
    )
    dates = "service_id,date,exception_type\nWK,20260301,1\n"
    report = validate(feed(calendar=calendar, calendar_dates=dates))
    assert "service_has_no_active_day_of_the_week" not in codes(report)


def test_unusable_trip_with_a_single_stop_time() -> None:
    stop_times = BASE["stop_times.txt"].replace("T2,25:10:00,25:10:00,S1,2\n", "")
    notice = only(validate(feed(stop_times=stop_times)), "unusable_trip")
    assert (notice.severity, notice.file, notice.row, notice.field, notice.value) == (
        Severity.WARNING,
        "trips.txt",
        3,
        "trip_id",
        "T2",
    )


def test_trip_without_stop_times_is_unusable() -> None:
    trips = BASE["trips.txt"] + "R1,WK,T3\n"
    notice = only(validate(feed(trips=trips)), "unusable_trip")
    assert notice.value == "T3"


def test_feed_wide_notices_need_no_sink() -> None:
    sink = RecordingSink()
    calendar = f"{CALENDAR_HEADER}\nWK,1,1,1,1,1,0,0,20250101,20251231\n"
    report = validate(feed(calendar=calendar), sink)
    assert not report.has_errors
    assert len(sink.rows("calendar")) == 1

"""Notices about single values, keys and references."""

import pytest

from gtfs.notices import Notice, Severity
from tests.unit.gtfs.feed_factory import BASE, RecordingSink, codes, feed, only, validate

AGENCY_HEADER = "agency_id,agency_name,agency_url,agency_timezone"
CALENDAR_HEADER = BASE["calendar.txt"].splitlines()[0]
FARES_HEADER = "fare_id,price,currency_type,payment_method,transfers"
PRODUCTS_HEADER = "fare_product_id,rider_category_id,fare_media_id,amount,currency"


def _where(notice: Notice) -> tuple[object, ...]:
    return (notice.severity, notice.file, notice.row, notice.field, notice.value)


def test_missing_required_field() -> None:
    notice = only(
        validate(feed(stops="stop_id,stop_name\nS1,One\n,Two\n")), "missing_required_field"
    )
    assert _where(notice) == (Severity.ERROR, "stops.txt", 3, "stop_id", "")


@pytest.mark.parametrize(
    ("changes", "code", "where"),
    [
        (
            {"stop_times": BASE["stop_times.txt"] + "T2,25:61:00,25:20:00,S2,3\n"},
            "invalid_time",
            ("stop_times.txt", 7, "arrival_time", "25:61:00"),
        ),
        (
            {"calendar": CALENDAR_HEADER + "\nWK,1,1,1,1,1,0,0,2026-01-01,20261231\n"},
            "invalid_date",
            ("calendar.txt", 2, "start_date", "2026-01-01"),
        ),
        (
            {"routes": "route_id,agency_id,route_type\nR1,A,bus\n"},
            "invalid_integer",
            ("routes.txt", 2, "route_type", "bus"),
        ),
        (
            {"stops": BASE["stops.txt"] + "S4,Four,52.x,20.4\n"},
            "invalid_float",
            ("stops.txt", 5, "stop_lat", "52.x"),
        ),
        (
            {"stops": BASE["stops.txt"] + "S4,Four,5_2.4,20.4\n"},
            "invalid_float",
            ("stops.txt", 5, "stop_lat", "5_2.4"),
        ),
        (
            {"routes": "route_id,agency_id,route_type,route_sort_order\nR1,A,3,2147483648\n"},
            "invalid_integer",
            ("routes.txt", 2, "route_sort_order", "2147483648"),
        ),
        (
            {"stops": BASE["stops.txt"] + "S4,Four,52.4,200\n"},
            "number_out_of_range",
            ("stops.txt", 5, "stop_lon", "200"),
        ),
        (
            {"agency": f"{AGENCY_HEADER}\nA,Agency,https://example.org,Europe/Gotham\n"},
            "invalid_timezone",
            ("agency.txt", 2, "agency_timezone", "Europe/Gotham"),
        ),
        (
            {"agency": f"{AGENCY_HEADER}\nA,Agency,example dot org,Europe/Warsaw\n"},
            "invalid_url",
            ("agency.txt", 2, "agency_url", "example dot org"),
        ),
        (
            {"routes": "route_id,agency_id,route_type,route_color\nR1,A,3,FF00GG\n"},
            "invalid_color",
            ("routes.txt", 2, "route_color", "FF00GG"),
        ),
        (
            {"fare_attributes": f"{FARES_HEADER}\nF1,2.50,ZZZ,0,0\n"},
            "invalid_currency",
            ("fare_attributes.txt", 2, "currency_type", "ZZZ"),
        ),
        (
            {"fare_attributes": f"{FARES_HEADER}\nF1,2.5,EUR,0,0\n"},
            "invalid_currency_amount",
            ("fare_attributes.txt", 2, "price", "2.5"),
        ),
        (
            {"routes": "route_id,agency_id,route_type\nR1,A,3\nR2,A,99\n"},
            "unexpected_enum_value",
            ("routes.txt", 3, "route_type", "99"),
        ),
    ],
)
def test_malformed_value_is_reported_where_it_is(
    changes: dict[str, str], code: str, where: tuple[object, ...]
) -> None:
    notice = only(validate(feed(**changes)), code)
    assert _where(notice) == (Severity.ERROR, *where)


@pytest.mark.parametrize(
    ("currency", "amount", "ok"),
    [
        ("PLN", "3.00", True),
        ("JPY", "300", True),
        ("JPY", "300.0", False),
        ("KWD", "1.500", True),
        ("KWD", "1.50", False),
        ("USD", "-1.25", True),
    ],
)
def test_currency_amount_follows_minor_units(currency: str, amount: str, ok: bool) -> None:
    products = f"{PRODUCTS_HEADER}\nP1,,,{amount},{currency}\n"
    report = validate(feed(fare_products=products))
    assert ("invalid_currency_amount" not in codes(report)) is ok


def test_duplicate_key() -> None:
    notice = only(
        validate(feed(routes="route_id,agency_id,route_type\nR1,A,3\nR1,A,3\n")), "duplicate_key"
    )
    assert _where(notice) == (Severity.ERROR, "routes.txt", 3, "route_id", "R1")


def test_duplicate_compound_key() -> None:
    dates = "service_id,date,exception_type\nWK,20260105,2\nWK,20260105,1\nWK,20260106,2\n"
    notice = only(validate(feed(calendar_dates=dates)), "duplicate_key")
    assert _where(notice) == (
        Severity.ERROR,
        "calendar_dates.txt",
        3,
        "service_id,date",
        "WK,2026-01-05",
    )


def test_same_fare_product_for_other_rider_categories_is_not_a_duplicate() -> None:
    files = feed(
        rider_categories="rider_category_id,rider_category_name\nadult,Adult\nchild,Child\n",
        fare_products=(f"{PRODUCTS_HEADER}\nmonthly,adult,,100.00,PLN\nmonthly,child,,50.00,PLN\n"),
    )
    sink = RecordingSink()
    assert validate(files, sink).notices == []
    assert len(sink.rows("fare_products")) == 2


def test_foreign_key_violation() -> None:
    stop_times = BASE["stop_times.txt"] + "T2,25:20:00,25:20:00,S9,3\n"
    notice = only(validate(feed(stop_times=stop_times)), "foreign_key_violation")
    assert _where(notice) == (Severity.ERROR, "stop_times.txt", 7, "stop_id", "S9")


def test_reference_to_a_dropped_parent_is_a_violation() -> None:
    stops = BASE["stops.txt"] + "S4,Four,95,20\n"
    stop_times = BASE["stop_times.txt"] + "T2,25:20:00,25:20:00,S4,3\n"
    report = validate(feed(stops=stops, stop_times=stop_times))
    notice = only(report, "foreign_key_violation")
    assert (notice.file, notice.value) == ("stop_times.txt", "S4")


def test_trip_service_must_exist_in_calendar_or_calendar_dates() -> None:
    trips = BASE["trips.txt"] + "R1,HOLIDAY,T3\n"
    report = validate(feed(trips=trips))
    notice = only(report, "foreign_key_violation")
    assert _where(notice) == (Severity.ERROR, "trips.txt", 4, "service_id", "HOLIDAY")
    dates = "service_id,date,exception_type\nHOLIDAY,20260501,1\n"
    assert "foreign_key_violation" not in codes(validate(feed(trips=trips, calendar_dates=dates)))


def test_parent_station_may_come_later_in_the_file() -> None:
    stops = (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "S1,One,52.1,20.1,0,ST\nS2,Two,52.2,20.2,0,ST\nS3,Three,52.3,20.3,0,\n"
        "ST,Station,52.1,20.1,1,\nS5,Five,52.1,20.1,0,NOWHERE\n"
    )
    sink = RecordingSink()
    report = validate(feed(stops=stops), sink)
    notice = only(report, "foreign_key_violation")
    assert _where(notice) == (Severity.ERROR, "stops.txt", 6, "parent_station", "NOWHERE")
    sent = [row[0] for row in sink.rows("stops")]
    assert sorted(sent) == ["S1", "S2", "S3", "ST"]
    assert sent.index("ST") < sent.index("S1")

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtfs.values import (
    decimal_places,
    format_date,
    format_time,
    is_valid_color,
    is_valid_timezone,
    is_valid_url,
    parse_currency_amount,
    parse_date,
    parse_float,
    parse_integer,
    parse_time,
)


@given(st.integers(min_value=0, max_value=99 * 3600 + 59 * 60 + 59))
def test_time_round_trips_through_its_text(seconds: int) -> None:
    assert parse_time(format_time(seconds)) == seconds


@given(st.integers(0, 9), st.integers(0, 59), st.integers(0, 59))
def test_one_digit_hour_is_accepted(hours: int, minutes: int, seconds: int) -> None:
    assert (
        parse_time(f"{hours}:{minutes:02d}:{seconds:02d}") == hours * 3600 + minutes * 60 + seconds
    )


@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_date_round_trips_through_its_text(day: datetime.date) -> None:
    assert parse_date(format_date(day)) == day


@given(st.text(max_size=10))
def test_time_parser_never_raises(text: str) -> None:
    result = parse_time(text)
    assert result is None or parse_time(format_time(result)) == result


@given(st.text(max_size=10))
def test_date_parser_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or format_date(result) == text


def test_time_past_midnight_counts_from_the_service_day() -> None:
    assert parse_time("25:30:00") == 91800


@pytest.mark.parametrize(
    "text", ["24:60:00", "1:2:3", "08:00", "aa:bb:cc", "08:00:00 ", "١٢:00:00"]
)
def test_malformed_times_are_refused(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize("text", ["20260230", "2026011", "2026-01-01", "２０２６０１０１"])
def test_malformed_dates_are_refused(text: str) -> None:
    assert parse_date(text) is None


def test_numbers() -> None:
    assert parse_integer("-12") == -12
    assert parse_integer("+1") is None
    assert parse_integer("1.0") is None
    assert parse_integer("2147483647") == 2**31 - 1
    assert parse_integer("-2147483648") == -(2**31)
    assert parse_integer("0002147483647") == 2**31 - 1
    assert parse_integer("2147483648") is None
    assert parse_integer("9" * 5000) is None
    assert parse_float("52.5") == 52.5
    assert parse_float("nan") is None
    assert parse_float(" 1") == 1.0
    assert parse_float("1_0") is None
    assert parse_float("١") is None
    assert parse_currency_amount("1.50") == Decimal("1.50")
    assert decimal_places(Decimal("1.50")) == 2
    assert decimal_places(Decimal("300")) == 0
    assert parse_currency_amount("1e3") is None


def test_text_checks() -> None:
    assert is_valid_url("https://example.org/x?y=1")
    assert not is_valid_url("example.org")
    assert not is_valid_url("https://exa mple.org")
    assert is_valid_color("1657ba")
    assert not is_valid_color("#1657ba")
    assert is_valid_timezone("Europe/Warsaw")
    assert not is_valid_timezone("Mars/Olympus")

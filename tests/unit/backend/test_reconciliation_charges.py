"""Caps on a travel day's journeys, the travel calendar, and the rider view's inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from backend.errors import ServiceError
from backend.services.reconciliation import day_bounds, due_days
from backend.services.reconciliation_charges import ChargeItem, charge_day, day_totals
from backend.services.reconciliation_views import card_fingerprint, day_range
from fares.cap_policy import CapPolicy
from fares.caps import CapKind
from fares.money import Money
from fares.tap import media_fingerprint

POLICY = CapPolicy.from_toml(
    """
    format_version = 1
    timezone = "Europe/Warsaw"
    day_starts_at = "04:00"
    week_starts_on = "monday"
    [[caps]]
    rider_category_id = "adult"
    fare_media_id = "contactless"
    currency = "PLN"
    daily_cap_minor = 800
    weekly_cap_minor = 2000
    """
)
PAIR = ("adult", "contactless")
TUESDAY = date(2026, 6, 2)
A, B = "a" * 64, "b" * 64


def item(key: str, card: str, day: int, hour: int, fare: int) -> ChargeItem:
    return ChargeItem(key, card, datetime(2026, 6, day, hour, tzinfo=UTC), Money(fare, "PLN"))


def test_the_daily_cap_limits_a_medium_and_leaves_others_alone() -> None:
    today = [
        item("1", A, 2, 6, 500),
        item("2", A, 2, 7, 500),
        item("3", A, 2, 8, 300),
        item("4", B, 2, 7, 500),
    ]

    charged = charge_day(POLICY, PAIR, today, [])

    assert [charged[key].charged.amount for key in "1234"] == [500, 300, 0, 500]
    assert charged["2"].limited_by is CapKind.DAILY
    totals = day_totals(today, charged, TUESDAY)
    assert [(t.fingerprint, t.journeys, t.fare, t.charged) for t in totals] == [
        (A, 3, 1300, 800),
        (B, 1, 500, 500),
    ]
    assert totals[0].explanation == "daily cap reached on travel day 2026-06-02"
    assert totals[1].explanation.startswith("full fare")


def test_the_weekly_cap_counts_the_earlier_days_of_the_travel_week() -> None:
    earlier = [item(f"d{day}", A, day, 8, 800) for day in (1,)]  # Monday: 8.00 charged
    earlier += [item("x", B, 1, 8, 800)]  # another medium's spending counts for it alone
    today = [item("t1", A, 2, 8, 800), item("t2", A, 2, 9, 800)]
    thursday_earlier = [*earlier, *[item(f"t{n}", A, 2, 8 + n, 800) for n in (0, 1)]]

    charged = charge_day(POLICY, PAIR, today, earlier)
    thursday = charge_day(POLICY, PAIR, [item("th", A, 4, 8, 800)], thursday_earlier)

    assert [charged[key].charged.amount for key in ("t1", "t2")] == [800, 0]
    assert thursday["th"].charged.amount == 400  # 2000 - 800 (Monday) - 800 (Tuesday)
    assert thursday["th"].limited_by is CapKind.WEEKLY


def test_media_without_a_configured_cap_pay_every_fare() -> None:
    charged = charge_day(POLICY, ("senior", "contactless"), [item("1", A, 2, 8, 5000)], [])

    assert charged["1"].charged.amount == 5000


def test_a_travel_day_runs_from_its_start_to_the_next_days_start_local_time() -> None:
    start, end = day_bounds(POLICY, TUESDAY)

    assert start == datetime(2026, 6, 2, 2, 0, tzinfo=UTC)  # 04:00 CEST
    assert end == datetime(2026, 6, 3, 2, 0, tzinfo=UTC)


def test_a_day_is_due_from_the_first_reconcile_time_after_its_end() -> None:
    before = datetime(2026, 6, 3, 2, 59, tzinfo=UTC)  # 04:59 on Wednesday in Warsaw
    after = datetime(2026, 6, 3, 3, 0, tzinfo=UTC)  # 05:00

    assert due_days(POLICY, time(5, 0), before)[-1] == date(2026, 6, 1)
    assert due_days(POLICY, time(5, 0), after)[-1] == TUESDAY
    assert len(due_days(POLICY, time(5, 0), after)) == 8
    # A reconcile time before the day start waits for the day after.
    assert due_days(POLICY, time(3, 0), after)[-1] == date(2026, 6, 1)


def test_a_card_is_known_by_the_validators_fingerprint() -> None:
    assert card_fingerprint("nfc_uid", "04A1B2C3") == media_fingerprint(
        "nfc_uid", bytes.fromhex("04a1b2c3")
    )
    for technology, uid in (("", "04"), ("nfc_uid", "4"), ("nfc_uid", "zz"), ("t", "00" * 65)):
        with pytest.raises(ServiceError) as refused:
            card_fingerprint(technology, uid)
        assert refused.value.code == "invalid_card"


def test_day_ranges_default_to_a_month_and_are_bounded() -> None:
    assert day_range(None, None, TUESDAY) == (date(2026, 5, 3), TUESDAY)
    assert day_range(TUESDAY, None, TUESDAY) == (TUESDAY, date(2026, 7, 2))
    assert day_range(None, TUESDAY, date(2030, 1, 1)) == (date(2026, 5, 3), TUESDAY)
    for first, last, code in (
        (TUESDAY, date(2026, 6, 1), "invalid_date_range"),
        (date(2026, 1, 1), TUESDAY, "date_range_too_long"),
    ):
        with pytest.raises(ServiceError) as refused:
            day_range(first, last, TUESDAY)
        assert refused.value.code == code

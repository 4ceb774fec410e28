"""Daily and weekly fare caps, the travel-day boundary, DST days and the cap configuration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fares.caps import CapConfigError, CapError, CapKind, CapPolicy, PricedTap, apply_caps
from fares.money import Money
from tests.unit.fares.fare_feeds import WARSAW, at

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "caps.example.toml"
POLICY_TEXT = """
format_version = 1
timezone = "Europe/Warsaw"
day_starts_at = "04:30"
week_starts_on = "monday"

[[caps]]
rider_category_id = "adult"
fare_media_id = "card"
currency = "PLN"
daily_cap_minor = 1000
weekly_cap_minor = 2500
"""
POLICY = CapPolicy.from_toml(POLICY_TEXT)


def tap(when: datetime, fare: int = 400, tap_id: str = "t", category: str = "adult") -> PricedTap:
    return PricedTap(when, category, "card", Money(fare, "PLN"), tap_id)


def test_example_configuration_is_valid() -> None:
    policy = CapPolicy.from_toml(EXAMPLE.read_text("utf-8"))

    assert policy.cap_for("0", "contactless") is not None
    assert policy.day_starts_at.isoformat() == "04:30:00"


def test_daily_cap_reached_mid_day() -> None:
    taps = [tap(at(clock), tap_id=clock) for clock in ("07:00", "12:00", "17:00", "20:00")]

    charged = apply_caps(POLICY, taps)

    assert [c.charged.amount for c in charged] == [400, 400, 200, 0]
    assert [c.limited_by for c in charged] == [None, None, CapKind.DAILY, CapKind.DAILY]


def test_taps_are_charged_in_time_order_but_returned_in_input_order() -> None:
    taps = [tap(at("20:00"), tap_id="late"), tap(at("07:00"), 900, tap_id="early")]

    charged = apply_caps(POLICY, taps)

    assert [c.tap.tap_id for c in charged] == ["late", "early"]
    assert [c.charged.amount for c in charged] == [100, 900]


def test_weekly_cap_across_days() -> None:
    monday = at("08:00")
    taps = [tap(monday + timedelta(days=day), fare=1000, tap_id=str(day)) for day in range(4)]

    charged = apply_caps(POLICY, taps)

    assert [c.charged.amount for c in charged] == [1000, 1000, 500, 0]
    assert charged[2].limited_by is CapKind.WEEKLY


def test_weekly_cap_resets_on_week_start() -> None:
    sunday = at("08:00", date(2026, 3, 8))
    taps = [tap(sunday - timedelta(days=day), fare=1000) for day in range(3)]
    taps.append(tap(at("08:00", date(2026, 3, 9)), fare=1000, tap_id="next monday"))

    charged = apply_caps(POLICY, taps)

    assert charged[-1].charged.amount == 1000
    assert charged[-1].limited_by is None


def test_tap_before_day_boundary_belongs_to_previous_day() -> None:
    evening = tap(at("22:00"), fare=1000)
    small_hours = tap(at("03:00", date(2026, 3, 3)), fare=400)
    morning = tap(at("04:30", date(2026, 3, 3)), fare=400)

    charged = apply_caps(POLICY, [evening, small_hours, morning])

    assert charged[1].travel_day == date(2026, 3, 2)
    assert charged[1].charged.amount == 0
    assert charged[2].travel_day == date(2026, 3, 3)
    assert charged[2].charged.amount == 400


def test_dst_end_day_lasts_twenty_five_hours() -> None:
    # Europe/Warsaw leaves summer time at 03:00 on 25 October 2026; that travel day runs
    # from 04:30 CET on the 25th to 04:30 CET on the 26th.
    start = datetime(2026, 10, 25, 4, 30, tzinfo=WARSAW)
    last = datetime(2026, 10, 26, 4, 29, tzinfo=WARSAW)
    repeated_hour = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=WARSAW)

    charged = apply_caps(POLICY, [tap(repeated_hour, 1000), tap(start, 800), tap(last, 800)])

    assert charged[0].travel_day == date(2026, 10, 24)
    assert charged[1].travel_day == charged[2].travel_day == date(2026, 10, 25)
    assert [c.charged.amount for c in charged] == [1000, 800, 200]


def test_dst_start_day_uses_local_boundary() -> None:
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    after = datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # 04:30 CEST

    charged = apply_caps(POLICY, [tap(before), tap(after)])

    assert [c.travel_day for c in charged] == [date(2026, 3, 28), date(2026, 3, 29)]


def test_taps_without_cap_pay_full_fare() -> None:
    charged = apply_caps(POLICY, [tap(at("08:00"), 5000, category="child")])

    assert charged[0].charged.amount == 5000
    assert charged[0].limited_by is None


def test_categories_are_capped_separately() -> None:
    policy = CapPolicy.from_toml(
        POLICY_TEXT.replace('"adult"', '"child"')
        + '[[caps]]\nrider_category_id = "adult"\nfare_media_id = "card"\n'
        'currency = "PLN"\ndaily_cap_minor = 500\n'
    )

    charged = apply_caps(policy, [tap(at("08:00"), 600), tap(at("08:05"), 600, category="child")])

    assert [c.charged.amount for c in charged] == [500, 600]


def test_rejects_naive_tap_times_and_other_currencies() -> None:
    with pytest.raises(CapError) as naive:
        apply_caps(POLICY, [tap(datetime(2026, 3, 2, 8, 0))])
    other = PricedTap(at("08:00"), "adult", "card", Money(100, "EUR"), "t")
    with pytest.raises(CapError) as currency:
        apply_caps(POLICY, [other])

    assert naive.value.code == "naive_time"
    assert currency.value.code == "mixed_currencies"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (("format_version = 1", "format_version = 2"), "unsupported_version"),
        (("Europe/Warsaw", "Mars/Olympus"), "bad_timezone"),
        (('"04:30"', '"4:30"'), "bad_day_boundary"),
        (('"04:30"', '"24:00"'), "bad_day_boundary"),
        (('"monday"', '"someday"'), "bad_week_start"),
        (('"PLN"', '"zl"'), "bad_currency"),
        (("daily_cap_minor = 1000", "daily_cap_minor = -1"), "bad_amount"),
        (("daily_cap_minor = 1000", 'daily_cap_minor = "10.00"'), "bad_amount"),
        (("daily_cap_minor = 1000\nweekly_cap_minor = 2500", ""), "no_cap_amount"),
        (('timezone = "Europe/Warsaw"', ""), "missing_key"),
        (("week_starts_on", "week_start"), "unknown_key"),
        (("fare_media_id", "media"), "unknown_key"),
        (('rider_category_id = "adult"', "rider_category_id = 1"), "bad_type"),
        (("[[caps]]", "[[caps"), "invalid_toml"),
    ],
)
def test_bad_configuration_gives_its_code(change: tuple[str, str], code: str) -> None:
    with pytest.raises(CapConfigError) as raised:
        CapPolicy.from_toml(POLICY_TEXT.replace(*change))

    assert raised.value.code == code


def test_duplicate_cap_entries_are_rejected() -> None:
    text = POLICY_TEXT + POLICY_TEXT[POLICY_TEXT.index("[[caps]]") :]

    with pytest.raises(CapConfigError) as raised:
        CapPolicy.from_toml(text)

    assert raised.value.code == "duplicate_cap"

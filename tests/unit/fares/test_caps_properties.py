"""Property tests: caps never charge more than the fare, nor more than a cap per period."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fares.caps import CapPolicy, PricedTap, apply_caps
from fares.money import Money

POLICY = CapPolicy.from_toml(
    """
format_version = 1
timezone = "Europe/Warsaw"
day_starts_at = "04:30"
week_starts_on = "wednesday"

[[caps]]
rider_category_id = "adult"
fare_media_id = "card"
currency = "PLN"
daily_cap_minor = 1200
weekly_cap_minor = 4000
"""
)
# Spans the October 2026 change back from summer time in Europe/Warsaw.
ORIGIN = datetime(2026, 10, 20, tzinfo=UTC)

taps = st.lists(
    st.builds(
        lambda minutes, category, fare, number: PricedTap(
            ORIGIN + timedelta(minutes=minutes), category, "card", Money(fare, "PLN"), str(number)
        ),
        st.integers(0, 14 * 24 * 60),
        st.sampled_from(["adult", "child"]),
        st.integers(0, 2000),
        st.integers(0, 10**6),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(taps)
def test_caps_never_overcharge(priced: list[PricedTap]) -> None:
    charged = apply_caps(POLICY, priced)

    per_day: dict[object, int] = defaultdict(int)
    per_week: dict[object, int] = defaultdict(int)
    for tap, result in zip(priced, charged, strict=True):
        assert result.tap is tap
        assert 0 <= result.charged.amount <= tap.fare.amount
        if tap.rider_category_id == "adult":
            per_day[result.travel_day] += result.charged.amount
            per_week[POLICY.week_of(result.travel_day)] += result.charged.amount
        else:
            assert result.charged == tap.fare
    assert all(total <= 1200 for total in per_day.values())
    assert all(total <= 4000 for total in per_week.values())

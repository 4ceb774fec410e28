"""Waits between attempts: doubling from the base, capped, with up to half taken off."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.services.backoff import retry_delay

BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)


def test_the_wait_doubles_up_to_the_cap_without_jitter() -> None:
    def none(_low: float, _high: float) -> float:
        return 0.0

    waits = [retry_delay(n, base=BASE, cap=CAP, uniform=none) for n in range(1, 10)]
    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_most_jitter_halves_the_wait() -> None:
    def most(_low: float, high: float) -> float:
        return high

    assert retry_delay(1, base=BASE, cap=CAP, uniform=most) == timedelta(seconds=15)


@given(st.integers(min_value=1, max_value=10_000))
def test_every_wait_is_between_half_and_all_of_the_capped_wait(attempts: int) -> None:
    wait = retry_delay(attempts, base=BASE, cap=CAP)
    full = min(BASE * 2 ** min(attempts - 1, 20), CAP)
    assert full / 2 <= wait <= full

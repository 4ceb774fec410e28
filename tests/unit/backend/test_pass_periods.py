"""How long a period pass runs: a day, seven days, or to the same day of the next month (the
month's last day when it has no such day), worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from backend.services.pass_products import pass_end


@pytest.mark.parametrize(
    ("start", "period", "end"),
    [
        (date(2026, 11, 27), "day", date(2026, 11, 28)),
        (date(2026, 12, 31), "day", date(2027, 1, 1)),
        (date(2026, 11, 27), "week", date(2026, 12, 4)),
        (date(2026, 12, 28), "week", date(2027, 1, 4)),
        (date(2026, 11, 27), "month", date(2026, 12, 27)),
        (date(2026, 12, 15), "month", date(2027, 1, 15)),
        (date(2027, 1, 31), "month", date(2027, 2, 28)),
        (date(2028, 1, 31), "month", date(2028, 2, 29)),
        (date(2026, 3, 31), "month", date(2026, 4, 30)),
    ],
)
def test_a_pass_ends_after_its_period(start: date, period: str, end: date) -> None:
    assert pass_end(start, period) == end

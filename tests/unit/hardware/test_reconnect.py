"""The reconnect backoff."""

from __future__ import annotations

import itertools
import threading

import pytest

from hardware.reconnect import ReconnectPolicy, wait_or_stop


def test_delays_double_up_to_the_cap() -> None:
    delays = ReconnectPolicy(initial=0.5, maximum=4.0).delays()
    assert list(itertools.islice(delays, 6)) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


@pytest.mark.parametrize(("initial", "maximum", "factor"), [(0, 1, 2), (2, 1, 2), (1, 2, 0.5)])
def test_a_policy_that_could_spin_or_shrink_is_refused(
    initial: float, maximum: float, factor: float
) -> None:
    with pytest.raises(ValueError, match="reconnect policy"):
        ReconnectPolicy(initial, maximum, factor)


def test_a_stop_interrupts_the_wait() -> None:
    stopping = threading.Event()
    stopping.set()
    assert wait_or_stop(stopping, 60) is False
    assert wait_or_stop(threading.Event(), 0.001) is True

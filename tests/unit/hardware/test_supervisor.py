"""The supervisor restarts readers that died of a bug, leaves finished ones, reports health."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from hardware.ports import MediaEvent, Technology
from hardware.reader_thread import ReaderThread
from hardware.reconnect import ReconnectPolicy
from hardware.supervisor import ReaderHealth, Supervisor
from tests.unit.hardware.sink import EventSink, wait_until

pytestmark = pytest.mark.timeout(30)
AT = datetime(2026, 1, 1, tzinfo=UTC)
FAST = ReconnectPolicy(initial=0.01, maximum=0.05)


class CrashingReader(ReaderThread):
    """Emits one event per run, then dies of a bug ``crashes`` times, then runs until stopped."""

    def __init__(self, name: str, crashes: int) -> None:
        super().__init__(name)
        self.runs = 0
        self.crashes = crashes

    def healthy(self) -> bool:
        return self.alive()

    def run(self) -> None:
        self.runs += 1
        self._emit(MediaEvent(self.name, Technology.QR, AT, payload=f"run {self.runs}"))
        if self.runs <= self.crashes:
            raise RuntimeError("a bug in the reader")
        self._stopping.wait()


class FinishingReader(ReaderThread):
    """Ends normally at once, like a wedge at the end of its input."""

    def healthy(self) -> bool:
        return False

    def run(self) -> None:
        return


def test_a_reader_that_died_is_restarted_until_it_runs() -> None:
    reader, sink = CrashingReader("scanner", crashes=2), EventSink()
    supervisor = Supervisor([reader], policy=FAST, check_interval=0.01)
    supervisor.start(sink)
    try:
        sink.wait_for(3)
        wait_until(reader.alive)
        assert supervisor.health() == {"scanner": ReaderHealth("scanner", True, True, 2)}
        assert supervisor.healthy()
    finally:
        supervisor.stop()
    assert not reader.alive()


def test_a_reader_that_ended_normally_is_left_stopped_and_reported() -> None:
    finished = FinishingReader("wedge")
    running = CrashingReader("scanner", crashes=0)
    supervisor = Supervisor([finished, running], policy=FAST, check_interval=0.01)
    supervisor.start(EventSink())
    try:
        wait_until(lambda: not finished.alive())
        threading.Event().wait(0.1)
        health = supervisor.health()
        assert health["wedge"] == ReaderHealth("wedge", False, False, 0)
        assert health["scanner"].alive
        assert not supervisor.healthy()
    finally:
        supervisor.stop()


def test_restarts_of_a_reader_that_always_dies_are_spaced_by_the_backoff() -> None:
    reader = CrashingReader("scanner", crashes=10**6)
    supervisor = Supervisor(
        [reader], policy=ReconnectPolicy(initial=0.2, maximum=10), check_interval=0.01
    )
    supervisor.start(EventSink())
    threading.Event().wait(0.5)
    supervisor.stop()
    assert 2 <= reader.runs <= 3  # first run, then restarts after 0.2 s and 0.6 s


def test_reader_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Supervisor([FinishingReader("a"), FinishingReader("a")])

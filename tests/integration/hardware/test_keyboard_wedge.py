"""A keyboard wedge reading a real pipe, as it reads a console's standard input."""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator

import pytest

from hardware.keyboard_wedge import KeyboardWedgeReader
from hardware.ports import Technology
from tests.unit.hardware.sink import EventSink, wait_until

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def pipe() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """A text stream to read and the descriptor that types into it."""
    read_end, write_end = os.pipe()
    stream = os.fdopen(read_end, "r", encoding="utf-8")
    yield stream, write_end
    stream.close()
    with contextlib.suppress(OSError):  # some tests close it themselves
        os.close(write_end)


def test_emits_one_event_per_typed_line(pipe: tuple[io.TextIOWrapper, int]) -> None:
    stream, typing = pipe
    wedge, sink = KeyboardWedgeReader("wedge-1", stream, poll_interval=0.05), EventSink()
    wedge.start(sink)
    try:
        os.write(typing, b"FG1:ONE\nFG1:")
        time.sleep(0.1)
        os.write(typing, b"TWO\r\n\nFG1:THREE\n")
        events = sink.wait_for(3)
    finally:
        wedge.stop()
    assert [event.payload for event in events] == ["FG1:ONE", "FG1:TWO", "FG1:THREE"]
    assert {event.technology for event in events} == {Technology.QR}


def test_stops_promptly_while_waiting_for_input(pipe: tuple[io.TextIOWrapper, int]) -> None:
    stream, _ = pipe
    wedge = KeyboardWedgeReader("wedge-1", stream, poll_interval=0.05)
    wedge.start(EventSink())
    time.sleep(0.1)
    begun = time.monotonic()
    wedge.stop()
    assert time.monotonic() - begun < 1.0
    assert not wedge.alive()
    assert wedge.healthy()


def test_end_of_input_ends_the_reader_without_a_crash(
    pipe: tuple[io.TextIOWrapper, int],
) -> None:
    stream, typing = pipe
    wedge, sink = KeyboardWedgeReader("wedge-1", stream, poll_interval=0.05), EventSink()
    wedge.start(sink)
    os.write(typing, b"last\n")
    os.close(typing)
    sink.wait_for(1)
    wait_until(lambda: not wedge.alive())
    assert not wedge.healthy()
    assert not wedge.crashed()
    wedge.stop()

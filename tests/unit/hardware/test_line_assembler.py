"""Reassembling scanner lines from arbitrary chunks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardware.line_assembler import LineAssembler

codes = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=40),
    max_size=8,
)
terminators = st.sampled_from([b"\r", b"\n", b"\r\n"])


@given(codes, st.data())
def test_any_chunking_gives_back_exactly_the_lines_sent(
    lines: list[str], data: st.DataObject
) -> None:
    stream = b"".join(line.encode() + data.draw(terminators) for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assembler = LineAssembler()
    received = [line for chunk in chunks for line in assembler.feed(chunk, now=0.0)]
    assert received == lines


def test_a_stale_fragment_is_not_glued_to_the_next_code() -> None:
    assembler = LineAssembler(fragment_timeout=1.0)
    assert assembler.feed(b"FG1:HALF", now=10.0) == []
    assert assembler.feed(b"FG1:WHOLE\r", now=12.0) == ["FG1:WHOLE"]


def test_a_fragment_completed_in_time_is_one_line() -> None:
    assembler = LineAssembler(fragment_timeout=1.0)
    assert assembler.feed(b"FG1:HA", now=10.0) == []
    assert assembler.feed(b"LF\r", now=10.5) == ["FG1:HALF"]


def test_an_overlong_line_is_dropped_whole_and_the_next_one_kept() -> None:
    assembler = LineAssembler(max_line=8)
    assert assembler.feed(b"0123456789", now=0.0) == []
    assert assembler.feed(b"ABC\nshort\n", now=0.0) == ["short"]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert LineAssembler().feed(b"\xff\xfeok\n", now=0.0) == ["\ufffd\ufffdok"]


def test_reset_forgets_a_fragment() -> None:
    assembler = LineAssembler()
    assembler.feed(b"partial", now=0.0)
    assembler.reset()
    assert assembler.feed(b"new\n", now=0.0) == ["new"]

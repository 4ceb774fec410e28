"""A total decoder for the small CBOR subset Faregate signs: it never raises on any input.

Accepted (RFC 8949 data items): unsigned and negative integers of at most 64 bits, byte
strings, UTF-8 text strings, definite-length arrays, definite-length maps whose keys are
integers or text strings (no duplicates), ``false``, ``true`` and ``null``. Everything else
(tags, floats, other simple values, indefinite lengths, reserved headers, nesting deeper
than ``max_depth``, trailing bytes) makes the whole input malformed. Arrays decode to
tuples, maps to dicts. Length fields are checked against the bytes left before anything
is allocated, so a short input can never ask for a large allocation.
"""

from __future__ import annotations

from typing import Final


class _MalformedError(Exception):
    """Internal signal that unwinds the recursive reader; never leaves this module."""


class NotCbor:
    """Type of the ``NOT_CBOR`` sentinel returned for any input outside the subset."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_CBOR"


NOT_CBOR: Final = NotCbor()
_SIMPLE: Final = (False, True, None)  # simple values 20, 21, 22


def decode(data: bytes, max_depth: int) -> object:
    """Decode one data item filling all of ``data``; return ``NOT_CBOR`` if it is not one."""
    if type(data) is not bytes:
        return NOT_CBOR
    try:
        value, end = _item(data, 0, len(data), max_depth)
    except (_MalformedError, UnicodeDecodeError):
        return NOT_CBOR
    return value if end == len(data) else NOT_CBOR


def _item(data: bytes, pos: int, end: int, depth: int) -> tuple[object, int]:
    """Read one data item starting at ``pos`` (the head is parsed inline: this is hot)."""
    if pos >= end:
        raise _MalformedError
    initial = data[pos]
    major = initial >> 5
    arg = initial & 0x1F
    pos += 1
    if major == 7:
        if 20 <= arg <= 22:
            return _SIMPLE[arg - 20], pos
        raise _MalformedError  # floats and other simple values
    if arg >= 24:
        if arg > 27:
            raise _MalformedError  # reserved, or an indefinite length
        stop = pos + (1 << (arg - 24))
        if stop > end:
            raise _MalformedError
        arg = int.from_bytes(data[pos:stop], "big")
        pos = stop
    if major == 0:
        return arg, pos
    if major == 3 or major == 2:  # noqa: PLR1714 - plain comparisons are faster here
        stop = pos + arg
        if stop > end:
            raise _MalformedError
        chunk = data[pos:stop]
        return (chunk.decode("utf-8") if major == 3 else chunk), stop
    if major == 1:
        return -1 - arg, pos
    if major == 6 or depth <= 0 or arg > end - pos:
        raise _MalformedError  # tags, too deep, or more members than bytes left
    if major == 4:
        return _array(data, pos, end, depth, arg)
    return _map(data, pos, end, depth, arg)


def _array(data: bytes, pos: int, end: int, depth: int, count: int) -> tuple[object, int]:
    """Read ``count`` array members."""
    items = []
    for _ in range(count):
        value, pos = _item(data, pos, end, depth - 1)
        items.append(value)
    return tuple(items), pos


def _map(data: bytes, pos: int, end: int, depth: int, count: int) -> tuple[object, int]:
    """Read ``count`` key/value pairs; keys must be unique integers or text strings."""
    result: dict[object, object] = {}
    for _ in range(count):
        key, pos = _item(data, pos, end, 0)
        if type(key) not in (int, str) or key in result:
            raise _MalformedError
        result[key], pos = _item(data, pos, end, depth - 1)
    return result, pos

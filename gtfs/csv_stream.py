"""Stream one CSV file of a feed as batches of raw rows, turning bad bytes into notices.

The file is decoded as UTF-8 (a leading BOM is dropped) by a text wrapper over the binary
stream and split by the ``csv`` module, so only one batch of rows is held at a time (a batch
of plain lines, without quotes, empty lines or lone carriage returns, is split by
``str.split`` instead, which gives the same rows faster). NUL bytes
and text that is not UTF-8 stop the file with ``csv_parsing_failed`` at the first bad line;
a corrupt zip member stops it with ``i_o_error``.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import BinaryIO, cast

from gtfs.notices import Notice, Report, Severity

_READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, ValueError)


class NulByteError(ValueError):
    """A NUL byte was found in a text file."""


class _NulGuard(io.BufferedIOBase):
    """A binary stream that refuses NUL bytes, checked once per chunk read."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._checked(self._inner.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._inner, "read1", self._inner.read)
        return self._checked(read1(size))

    @staticmethod
    def _checked(data: bytes) -> bytes:
        if b"\0" in data:
            raise NulByteError("NUL byte")
        return data


@dataclass
class RawBatch:
    """Raw rows of a file and their CSV row numbers (the header is row 1)."""

    rows: list[list[str]]
    numbers: Sequence[int]


class TableStream:
    """The header and the rows of one file, read lazily."""

    def __init__(self, file_name: str, opener: Callable[[], BinaryIO], report: Report) -> None:
        self.file_name = file_name
        self._opener = opener
        self._report = report
        self._binary: BinaryIO | None = None
        self._reader: Iterator[list[str]] | None = None
        self._lines: Iterator[str] | None = None
        self._next_number = 2
        self.failed = False

    def read_header(self) -> list[str] | None:
        """The header's names, stripped; None when the file is empty or cannot be read."""
        try:
            self._binary = self._opener()
            text = io.TextIOWrapper(
                cast(BinaryIO, _NulGuard(self._binary)),
                encoding="utf-8-sig",
                newline="",
            )
            self._lines = text
            self._reader = csv.reader(text)
            header = next(self._reader, None)
        except (*_READ_ERRORS, UnicodeDecodeError, csv.Error) as error:
            self._fail(error, 1)
            return None
        if header is None:
            return None
        return [name.strip() for name in header]

    def batches(self, size: int | None) -> Iterator[RawBatch]:
        """Batches of at most ``size`` rows (all rows when None) until the end or a bad byte."""
        reader = self._reader
        if reader is None:
            return
        while True:
            try:
                rows = self._next_rows(reader, size)
            except (*_READ_ERRORS, UnicodeDecodeError, csv.Error) as error:
                self._fail(error, self._next_number)
                return
            if not rows:
                return
            first = self._next_number
            self._next_number += len(rows)
            yield RawBatch(rows, range(first, self._next_number))
            if size is None or len(rows) < size:
                return

    def _next_rows(self, reader: Iterator[list[str]], size: int | None) -> list[list[str]]:
        """The next ``size`` rows (all when None), read as the ``csv`` reader would read them.

        ``size`` lines are taken first: each holds at least part of one of the next ``size``
        rows, so the same lines are read (and the same read errors raised) as by the reader.
        """
        if not size or self._lines is None:
            return list(islice(reader, size)) if size else list(reader)
        lines = list(islice(self._lines, size))
        rows = _split_plain(lines)
        if rows is None:
            rows = list(islice(csv.reader(chain(lines, self._lines)), size))
        return rows

    def close(self) -> None:
        """Release the underlying stream."""
        if self._binary is not None:
            self._binary.close()

    def _fail(self, error: Exception, near_row: int) -> None:
        self.failed = True
        if isinstance(error, (NulByteError, UnicodeDecodeError)):
            row, reason = self._locate_bad_line(near_row)
            self._add("csv_parsing_failed", row, f"The file cannot be parsed as CSV: {reason}.")
        elif isinstance(error, csv.Error):
            self._add("csv_parsing_failed", near_row, f"The file cannot be parsed: {error}.")
        else:
            self._add("i_o_error", None, f"The file cannot be read from the feed: {error}.")

    def _add(self, code: str, row: int | None, detail: str) -> None:
        self._report.add(Notice(code, Severity.ERROR, file=self.file_name, row=row, detail=detail))

    def _locate_bad_line(self, near_row: int) -> tuple[int, str]:
        """The first line holding a NUL byte or bytes that are not UTF-8, read again."""
        try:
            with self._opener() as binary:
                for number, line in enumerate(binary, start=1):
                    if b"\0" in line:
                        return number, f"line {number} contains a NUL byte"
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError:
                        return number, f"line {number} is not valid UTF-8 text"
        except _READ_ERRORS:  # pragma: no cover - the file was readable a moment ago
            pass
        return near_row, "the text is not valid UTF-8"


def _split_plain(lines: list[str]) -> list[list[str]] | None:
    """The rows of ``lines`` split at commas; None unless that is what ``csv`` would give.

    That holds when no line has a quote, a carriage return other than in a final "\r\n", or
    nothing at all (``csv`` gives an empty row for it), and no line is longer than the
    ``csv`` field size limit.
    """
    if not lines:
        return []
    text = "".join(lines)
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    plain = text.split("\n")
    if "" in plain or max(map(len, plain)) > csv.field_size_limit():
        return None
    return list(map(str.split, plain, repeat(",")))

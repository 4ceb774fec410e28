"""Parse a whole column of raw values at once into Python values and problems.

Working column by column lets the common case run in C: values that repeat (times, dates,
stop sequences, enums) go through a memo dict whose misses alone are parsed in Python, and
identifiers are checked with a single ``"" in column`` test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gtfs import values as parse
from gtfs.currencies import is_valid_currency
from gtfs.schema import Field, FieldType

MEMO_LIMIT = 1 << 16


@dataclass(frozen=True)
class Rejection:
    """Why a raw value was refused: the notice code and a readable reason."""

    code: str
    detail: str


# (index in the column, notice code, readable reason)
Problem = tuple[int, str, str]
Parsed = tuple[Sequence[object], list[Problem]]

_INVALID = {
    FieldType.INTEGER: Rejection("invalid_integer", "is not an integer"),
    FieldType.ENUM: Rejection("invalid_integer", "is not an integer"),
    FieldType.TIME: Rejection("invalid_time", "is not a time as HH:MM:SS"),
    FieldType.DATE: Rejection("invalid_date", "is not a date as YYYYMMDD"),
    FieldType.CURRENCY_AMOUNT: Rejection("invalid_currency_amount", "is not a decimal amount"),
}
_PARSERS: dict[FieldType, Callable[[str], object]] = {
    FieldType.INTEGER: parse.parse_integer,
    FieldType.ENUM: parse.parse_integer,
    FieldType.TIME: parse.parse_time,
    FieldType.DATE: parse.parse_date,
    FieldType.CURRENCY_AMOUNT: parse.parse_currency_amount,
}
_CHECKS: dict[FieldType, tuple[Callable[[str], bool], Rejection]] = {
    FieldType.URL: (parse.is_valid_url, Rejection("invalid_url", "is not a valid URL")),
    FieldType.COLOR: (parse.is_valid_color, Rejection("invalid_color", "is not a colour")),
    FieldType.TIMEZONE: (
        parse.is_valid_timezone,
        Rejection("invalid_timezone", "is not an IANA time zone"),
    ),
    FieldType.CURRENCY: (
        is_valid_currency,
        Rejection("invalid_currency", "is not an ISO 4217 currency code"),
    ),
}
_OUT_OF_RANGE = Rejection("number_out_of_range", "is out of the allowed range")
_NOT_IN_ENUM = Rejection("unexpected_enum_value", "is not one of the allowed values")


def _missing(raw: Sequence[str], required: bool) -> list[Problem]:
    if not required or "" not in raw:
        return []
    return [(i, "missing_required_field", "is required") for i, v in enumerate(raw) if not v]


def _rejections(values: list[object]) -> list[Problem]:
    problems: list[Problem] = []
    for index, value in enumerate(values):
        if type(value) is Rejection:
            problems.append((index, value.code, value.detail))
            values[index] = None
    return problems


class _Memo(dict[str, object]):
    """Raw value -> parsed value (or Rejection), filled on first sight, size-capped."""

    def __init__(self, convert: Callable[[str], object]) -> None:
        super().__init__({"": None})
        self._convert = convert
        self.rejected = False

    def __missing__(self, key: str) -> object:
        value = self._convert(key)
        if type(value) is Rejection:
            self.rejected = True
        if len(self) < MEMO_LIMIT:
            self[key] = value
        return value


class ColumnParser:
    """Parses one field's column; subclasses handle one family of field types."""

    def __init__(self, field: Field) -> None:
        self.field = field

    def parse(self, raw: Sequence[str]) -> Parsed:
        """The column's values (None for empty) and the problems found."""
        if "" not in raw:
            return raw, []
        return [value or None for value in raw], _missing(raw, self.field.required)


class CheckedTextParser(ColumnParser):
    """Text that must pass a check (URL, colour, time zone, currency); good values cached."""

    def __init__(self, field: Field) -> None:
        super().__init__(field)
        self._check, self._rejection = _CHECKS[field.type]
        self._good: set[str] = set()

    def parse(self, raw: Sequence[str]) -> Parsed:
        """The column's values and its missing or malformed values."""
        values, problems = super().parse(raw)
        for index, value in enumerate(raw):
            if value and value not in self._good:
                if self._check(value):
                    if len(self._good) < MEMO_LIMIT:
                        self._good.add(value)
                else:
                    problems.append((index, self._rejection.code, self._rejection.detail))
        if problems:
            values = list(values)
            for index, _, _ in problems:
                values[index] = None
        return values, problems


class MemoParser(ColumnParser):
    """Integers, enums, times, dates and amounts, parsed once per distinct raw value."""

    def __init__(self, field: Field) -> None:
        super().__init__(field)
        self._parse = _PARSERS[field.type]
        self._invalid = _INVALID[field.type]
        self._memo = _Memo(self._convert)

    def _convert(self, text: str) -> object:
        value = self._parse(text)
        if value is None:
            return self._invalid
        field = self.field
        if field.enum is not None and value not in field.enum:
            return _NOT_IN_ENUM
        if field.minimum is not None and value < field.minimum:  # type: ignore[operator]
            return _OUT_OF_RANGE
        if field.maximum is not None and value > field.maximum:  # type: ignore[operator]
            return _OUT_OF_RANGE
        return value

    def parse(self, raw: Sequence[str]) -> Parsed:
        """The column's parsed values and its missing, malformed or out-of-range values."""
        values: list[object] = list(map(self._memo.__getitem__, raw))
        problems = _missing(raw, self.field.required)
        if self._memo.rejected:
            problems.extend(_rejections(values))
        return values, problems


class FloatParser(ColumnParser):
    """Floats, latitudes and longitudes, with their ranges."""

    def parse(self, raw: Sequence[str]) -> Parsed:
        """The column's floats and its missing, malformed or out-of-range values."""
        problems = _missing(raw, self.field.required)
        # ``float`` also takes underscores and non-ASCII digits, which GTFS does not (spaces
        # around the number are tolerated, as by gtfs-validator, which trims them).
        joined = "".join(raw)
        try:
            if not joined.isascii() or "_" in joined:
                raise ValueError(joined)
            floats: list[float | None] = (
                list(map(float, raw)) if "" not in raw else [float(v) if v else None for v in raw]
            )
            present = floats if None not in floats else [v for v in floats if v is not None]
            finite = math.isfinite(math.fsum(present))  # type: ignore[arg-type]
        except (ValueError, OverflowError):
            finite = False
        if not finite:
            problems = _missing(raw, self.field.required)
            floats = self._parse_slowly(raw, problems)
        self._check_range(floats, problems)
        return floats, problems

    def _check_range(self, floats: list[float | None], problems: list[Problem]) -> None:
        low, high = self.field.minimum, self.field.maximum
        if low is None and high is None:
            return
        present = [v for v in floats if v is not None]
        if not present:
            return
        if (low is None or min(present) >= low) and (high is None or max(present) <= high):
            return
        for index, value in enumerate(floats):
            if value is not None and (
                (low is not None and value < low) or (high is not None and value > high)
            ):
                problems.append((index, _OUT_OF_RANGE.code, _OUT_OF_RANGE.detail))
                floats[index] = None

    @staticmethod
    def _parse_slowly(raw: Sequence[str], problems: list[Problem]) -> list[float | None]:
        floats: list[float | None] = []
        for index, text in enumerate(raw):
            value = parse.parse_float(text) if text else None
            if text and value is None:
                problems.append((index, "invalid_float", "is not a finite decimal number"))
            floats.append(value)
        return floats


def column_parser(field: Field) -> ColumnParser:
    """The parser for ``field``'s type."""
    if field.type in _PARSERS:
        return MemoParser(field)
    if field.type in (FieldType.FLOAT, FieldType.LATITUDE, FieldType.LONGITUDE):
        return FloatParser(field)
    if field.type in _CHECKS:
        return CheckedTextParser(field)
    return ColumnParser(field)

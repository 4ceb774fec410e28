"""The vocabulary of ``gtfs.schema``: field types, fields, tables and shorthands for them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FieldType(Enum):
    """How a GTFS field is written and what it is parsed to."""

    TEXT = "text"  # str
    ID = "id"  # str
    URL = "url"  # str
    EMAIL = "email"  # str
    PHONE = "phone"  # str
    LANGUAGE = "language"  # str
    TIMEZONE = "timezone"  # str
    COLOR = "color"  # str, six hex digits
    CURRENCY = "currency"  # str, ISO 4217 code
    INTEGER = "integer"  # int
    ENUM = "enum"  # int, one of Field.enum
    FLOAT = "float"  # float
    LATITUDE = "latitude"  # float
    LONGITUDE = "longitude"  # float
    TIME = "time"  # int, seconds since noon minus 12 h of the service day
    DATE = "date"  # datetime.date
    CURRENCY_AMOUNT = "currency_amount"  # decimal.Decimal


@dataclass(frozen=True)
class Field:
    """One column of a GTFS file."""

    name: str
    type: FieldType
    required: bool = False
    enum: frozenset[int] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: tuple[str, str] | None = None  # (table, field) this field must exist in


@dataclass(frozen=True)
class Table:
    """One GTFS file."""

    name: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    required: bool = False

    @property
    def file_name(self) -> str:
        """The file's name inside a feed."""
        return f"{self.name}.txt"

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field name, in declaration order."""
        return tuple(f.name for f in self.fields)


def enum_of(*values: int) -> frozenset[int]:
    """The allowed codes of an enumerated field."""
    return frozenset(values)


T, ID, URL = FieldType.TEXT, FieldType.ID, FieldType.URL
INT, ENUM, FLOAT, TIME, DATE = (
    FieldType.INTEGER,
    FieldType.ENUM,
    FieldType.FLOAT,
    FieldType.TIME,
    FieldType.DATE,
)
BOOL = enum_of(0, 1)
ACCESS = enum_of(0, 1, 2)
PICKUP = enum_of(0, 1, 2, 3)
ROUTE_TYPES = enum_of(0, 1, 2, 3, 4, 5, 6, 7, 11, 12, *range(100, 1800))

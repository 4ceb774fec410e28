"""Money as integer minor units of one ISO 4217 currency, and exact parsing of GTFS amounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fares.errors import CodedError


class MoneyError(CodedError, ValueError):
    """A money value or operation that cannot be represented; ``code`` is stable."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (e.g. grosze, cents) of ``currency``."""

    amount: int
    currency: str

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in ``currency``."""
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(
                "mixed_currencies", f"cannot combine {self.currency} with {other.currency}"
            )

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def format(self, exponent: int = 2) -> str:
        """Render as e.g. ``4.00 PLN`` given the currency's number of decimal digits."""
        sign = "-" if self.amount < 0 else ""
        whole, fraction = divmod(abs(self.amount), 10**exponent)
        if exponent == 0:
            return f"{sign}{whole} {self.currency}"
        return f"{sign}{whole}.{fraction:0{exponent}d} {self.currency}"


def parse_amount(text: str, currency: str, minor_units: Mapping[str, int]) -> Money:
    """Convert a decimal string such as ``"4.00"`` exactly into minor units of ``currency``."""
    exponent = minor_units.get(currency)
    if exponent is None:
        raise MoneyError("unknown_currency", f"unknown ISO 4217 currency {currency!r}")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise MoneyError("bad_amount", f"{text!r} is not a decimal amount") from None
    if not value.is_finite():
        raise MoneyError("bad_amount", f"{text!r} is not a finite amount")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            "too_many_decimals",
            f"{text!r} has more than {exponent} decimal digits allowed for {currency}",
        )
    return Money(int(scaled), currency)

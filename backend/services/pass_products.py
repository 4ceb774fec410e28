"""Which fare products are sold as period passes, and for how long: the period passes file.

GTFS has no notion of a product's period, so the file (the ``period_passes_file`` setting; see
config/period-passes.toml) names each pass product with its period, and a price for a product
the published feed does not list.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from backend.settings import SettingsError
from fares.money import Money, MoneyError, parse_amount
from gtfs.currencies import MINOR_UNITS

PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class PassProduct:
    """A fare product sold as a pass, as the period passes file describes it."""

    fare_product_id: str
    period: str
    name: str | None = None
    price: Money | None = None  # for a product the feed does not list


def load_pass_products(path: Path) -> dict[str, PassProduct]:
    """The passes of the file at ``path`` (none when there is no file); a bad file is a
    settings error that names the fault."""
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text())
        products = [_pass_product(entry) for entry in document.get("pass", [])]
    except (tomllib.TOMLDecodeError, MoneyError, KeyError, TypeError, ValueError) as error:
        raise SettingsError(f"period passes file {path}: {error}") from error
    return {product.fare_product_id: product for product in products}


def _pass_product(entry: dict[str, Any]) -> PassProduct:
    period = entry["period"]
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    price = None
    if "amount" in entry:
        price = parse_amount(str(entry["amount"]), str(entry["currency"]), MINOR_UNITS)
    return PassProduct(str(entry["fare_product_id"]), period, entry.get("name"), price)


def pass_end(start: date, period: str) -> date:
    """The day after the last day a pass starting on ``start`` covers."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

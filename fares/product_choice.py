"""Pick the fare_products row that prices a product for a rider category and fare media.

Rider category: a row naming the category wins; otherwise rows with an empty
rider_category_id, which the spec makes eligible for every category. With no category
asked for, the feed's default category (is_default_fare_category=1) is used; a feed with
no default only offers rows with an empty rider_category_id.

Fare media: a row naming the media wins; otherwise rows with an empty fare_media_id (media
unknown, so not excluded). With no media asked for, every row is eligible and the cheapest
is taken; explanations say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fares.fare_model import FareError, FareProduct
from fares.fare_tables import FareTables

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rider:
    """The rider category and fare media a journey is priced for, after defaults."""

    rider_category_id: str | None
    fare_media_id: str | None
    category_is_default: bool


@dataclass(frozen=True, slots=True)
class Choice(Generic[T]):
    """The cheapest eligible product row, what it was chosen for, and how many competed."""

    source: T
    product: FareProduct
    eligible: int


def resolve_rider(tables: FareTables, category: str | None, media: str | None) -> Rider:
    """Apply the default category and reject categories or media the feed does not define."""
    if media is not None and media not in tables.fare_media:
        raise FareError("unknown_fare_media", f"fare media {media!r} is not in fare_media.txt")
    if category is None:
        return Rider(tables.default_rider_category, media, category_is_default=True)
    if category not in tables.rider_categories:
        raise FareError(
            "unknown_rider_category", f"rider category {category!r} is not in rider_categories.txt"
        )
    return Rider(category, media, category_is_default=False)


def eligible_rows(tables: FareTables, product_id: str, rider: Rider) -> list[FareProduct]:
    """The rows of one product a rider may buy."""
    rows = tables.products.get(product_id, ())
    named = [
        row
        for row in rows
        if rider.rider_category_id and row.rider_category_id == rider.rider_category_id
    ]
    rows_for_rider = named or [row for row in rows if not row.rider_category_id]
    if rider.fare_media_id is None:
        return rows_for_rider
    exact = [row for row in rows_for_rider if row.fare_media_id == rider.fare_media_id]
    return exact or [row for row in rows_for_rider if not row.fare_media_id]


def cheapest(
    tables: FareTables, candidates: Sequence[tuple[T, str]], rider: Rider
) -> Choice[T] | None:
    """The cheapest eligible row over (source, fare_product_id) pairs; first wins ties."""
    options = [
        (source, row)
        for source, product_id in candidates
        for row in eligible_rows(tables, product_id, rider)
    ]
    if not options:
        return None
    source, product = min(options, key=lambda option: option[1].price.amount)
    return Choice(source, product, len(options))


def describe_product(tables: FareTables, choice: Choice[T], rider: Rider) -> str:
    """Say which product row was chosen and for whom."""
    product = choice.product
    price = product.price.format(tables.exponent(product.price.currency))
    text = f"product {product.fare_product_id} ({product.name or 'unnamed'}, {price})"
    if product.rider_category_id:
        name = tables.rider_categories.get(product.rider_category_id, "")
        text += f" for rider category {product.rider_category_id} {name}".rstrip()
        if rider.category_is_default:
            text += " (the feed's default category)"
    else:
        text += " for every rider category"
    if product.fare_media_id:
        media_name = tables.fare_media.get(product.fare_media_id, "")
        text += f" on fare media {product.fare_media_id} {media_name}".rstrip()
    if choice.eligible > 1:
        text += f"; cheapest of {choice.eligible} eligible options"
    return text

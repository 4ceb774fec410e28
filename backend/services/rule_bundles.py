"""The rule bundle validators decide with, built from the database, and the server's own
online check of a ticket with the same decision (``fares.decide``).

A bundle holds the products of the active feed (Fares v2 products restricted to the areas and
networks of the leg rules that sell them and to the rider categories of their rows; Fares v1
fares restricted to their routes), the period passes, the seat-reservation product, the
public keys validators must trust, the deny list (every entry up to the newest, or up to the
``deny_through`` given, whose ticket may still be valid; its version is the bundle's own, so
that each bundle's list has a version a delta can start from or lead to), the passback
window and clock skew allowed, manifests of reserved trip instances (their stops and which
ticket holds which seat), and the trip instances each vehicle is assigned
(``backend.services.vehicle_assignments``) with when each runs
(``backend.services.trip_spans``). Its version is its issue time in epoch seconds, so a
later bundle always has a higher version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from backend.models import Booking, DenyEntry, Ticket, TripInventory
from backend.services.hold_pricing import RESERVATION_PRODUCT
from backend.services.pass_products import PassProduct, pass_end
from backend.services.reservation_store import Inventory
from backend.services.timetable import require_active_version
from backend.services.trip_spans import trip_spans
from fares.bundle import BundleRefusal, RuleBundle, build_bundle, open_bundle
from fares.deny_list import DenyList
from fares.fare_tables import FareTables
from fares.keys import epoch_seconds
from fares.rules import DeviceRole, Product, ProductKind, TripManifest

BUNDLE_LIFETIME = timedelta(days=7)  # how long a validator may decide with one bundle
PASSBACK_S = {DeviceRole.GATE_ENTRY: 120, DeviceRole.BUS: 120}
CLOCK_SKEW_S = 300


def build_rule_bundle(
    session: Session,
    inventory: Inventory,
    now: datetime,
    trip_instances: Iterable[str] = (),
    *,
    version: int | None = None,
    vehicle_trips: Mapping[str, Sequence[str]] | None = None,
    deny_through: int | None = None,
) -> bytes:
    """A signed bundle of the current rules, with manifests of ``trip_instances`` and the
    vehicles' trip instances (its version is ``version``, or its issue time in epoch
    seconds), denying the entries up to ``deny_through`` (default: all) still in force."""
    keyring = inventory.keyring.get()
    version_id = require_active_version(session)
    tables = inventory.fares.get(session, version_id)
    listed = [trip for trips in (vehicle_trips or {}).values() for trip in trips]
    spans = trip_spans(session, inventory.facts.get(session, version_id), listed)
    version = epoch_seconds(now) if version is None else version
    return build_bundle(
        signing_key=keyring.current(now),
        version=version,
        issued_at=now,
        valid_until=now + BUNDLE_LIFETIME,
        keys=keyring.key_set(now),
        products=bundle_products(tables, inventory.passes),
        deny=current_deny_list(session, now, through=deny_through, version=version),
        passback_s=PASSBACK_S,
        clock_skew_s=CLOCK_SKEW_S,
        manifests=manifests(session, trip_instances),
        vehicle_trips=vehicle_trips,
        trip_times=spans,
    )


def open_current_bundle(
    session: Session, inventory: Inventory, now: datetime, trip_instances: Iterable[str] = ()
) -> RuleBundle:
    """The current rules as a verified bundle, for deciding on the server."""
    opened = open_bundle(
        build_rule_bundle(session, inventory, now, trip_instances),
        inventory.keyring.get().key_set(now),
        now,
    )
    if isinstance(opened, BundleRefusal):  # pragma: no cover - the server signed it just now
        raise RuntimeError(f"a bundle built here does not open: {opened.value}")
    return opened


def bundle_products(tables: FareTables, passes: Mapping[str, PassProduct]) -> list[Product]:
    """Every product a ticket may carry, as validators check it."""
    found: dict[str, Product] = {}
    for product in (*_fare_products(tables), *_pass_products(passes)):
        found.setdefault(product.product_id, product)
    reservation = Product(RESERVATION_PRODUCT, "Seat reservation", ProductKind.RESERVED, 0)
    found.setdefault(RESERVATION_PRODUCT, reservation)
    return list(found.values())


def _fare_products(tables: FareTables) -> list[Product]:
    if tables.has_v2:
        return _v2_products(tables)
    return [
        Product(
            fare_id,
            fare_id,
            ProductKind.SINGLE,
            fare.transfer_duration or 0,
            route_ids=_rule_routes(tables, fare_id),
        )
        for fare_id, fare in tables.fare_attributes.items()
    ]


def _rule_routes(tables: FareTables, fare_id: str) -> frozenset[str]:
    rules = tables.fare_rule_sets.get(fare_id)
    return rules.routes if rules is not None else frozenset()


def _v2_products(tables: FareTables) -> list[Product]:
    """v2 products, limited to where their leg rules sell them (no limit where a rule leaves
    the field empty) and to the rider categories of their rows."""
    areas: dict[str, set[str] | None] = {}
    networks: dict[str, set[str] | None] = {}
    for rule in tables.leg_rules:
        _narrow(areas, rule.fare_product_id, (rule.from_area_id, rule.to_area_id))
        _narrow(networks, rule.fare_product_id, (rule.network_id,))
    products = []
    for product_id, rows in tables.products.items():
        categories = {row.rider_category_id for row in rows}
        products.append(
            Product(
                product_id,
                rows[0].name or product_id,
                ProductKind.SINGLE,
                0,
                area_ids=frozenset(areas.get(product_id) or ()),
                network_ids=frozenset(networks.get(product_id) or ()),
                rider_categories=frozenset() if "" in categories else frozenset(categories),
            )
        )
    return products


def _narrow(limits: dict[str, set[str] | None], product_id: str, values: tuple[str, ...]) -> None:
    """Add where one more leg rule sells a product; a rule leaving the field empty sells it
    everywhere (None: no limit)."""
    known = limits.get(product_id, set())
    if known is not None:
        limits[product_id] = None if "" in values else known | set(values)


def _pass_products(passes: Mapping[str, PassProduct]) -> list[Product]:
    start = datetime(2000, 1, 31).date()  # a long month: the longest a pass may run
    return [
        Product(
            product.fare_product_id,
            product.name or product.fare_product_id,
            ProductKind.PERIOD,
            int((pass_end(start, product.period) - start).total_seconds()),
        )
        for product in passes.values()
    ]


def newest_deny_entry(session: Session) -> int:
    """The id of the newest deny entry (0 when there is none)."""
    return session.scalar(select(func.max(DenyEntry.id))) or 0


def current_deny_list(
    session: Session, now: datetime, *, through: int | None = None, version: int | None = None
) -> DenyList:
    """Every deny entry up to id ``through`` (default: the newest) that may still matter at
    ``now``, at ``version`` (default: ``through``)."""
    through = newest_deny_entry(session) if through is None else through
    rows = session.execute(
        select(DenyEntry.kind, DenyEntry.value).where(DenyEntry.id <= through).where(in_force(now))
    ).all()
    return DenyList.of(
        through if version is None else version,
        tickets=(value for kind, value in rows if kind == "ticket"),
        media=(value for kind, value in rows if kind == "media"),
    )


def in_force(at: datetime) -> ColumnElement[bool]:
    """Whether a deny entry is still on the list at ``at``: its ticket may still be valid."""
    return or_(DenyEntry.expires_at.is_(None), DenyEntry.expires_at > at)


def manifests(session: Session, trip_instances: Iterable[str]) -> list[TripManifest]:
    """The stops and the seat of each live ticket of the given reserved trip instances."""
    wanted = set(trip_instances)
    if not wanted:
        return []
    stops = dict(
        session.execute(
            select(TripInventory.trip_instance, TripInventory.stop_ids).where(
                TripInventory.trip_instance.in_(wanted)
            )
        ).all()
    )
    seats: dict[str, dict[str, str | None]] = defaultdict(dict)
    # Reserved tickets belong to a booking of their trip: found through indexed booking rows.
    for trip, ticket_id, seat in session.execute(
        select(Ticket.trip_instance, Ticket.id, Ticket.seat)
        .join(Booking, Booking.id == Ticket.booking_id)
        .where(Booking.trip_instance.in_(stops), Ticket.trip_instance == Booking.trip_instance)
        .where(Ticket.revoked_at.is_(None))
    ):
        if trip is not None:
            seats[trip][ticket_id] = seat
    return [TripManifest(trip, tuple(stops[trip]), seats[trip]) for trip in sorted(stops)]


def booked_trips(session: Session, days: Sequence[date]) -> list[str]:
    """The trip instances of service ``days`` with a confirmed booking."""
    return list(
        session.scalars(
            select(TripInventory.trip_instance)
            .where(TripInventory.service_date.in_(days))
            .where(
                select(Booking.id)
                .where(Booking.trip_instance == TripInventory.trip_instance)
                .where(Booking.status == "confirmed")
                .exists()
            )
            .order_by(TripInventory.trip_instance)
        )
    )


def bookings_signal(session: Session, days: Sequence[date]) -> tuple[int, int]:
    """(count, greatest id) of the bookings of trip instances of service ``days``: bookings
    are never deleted, and a cancellation adds deny entries, so together with the deny list's
    version it changes whenever those days' manifests do."""
    count, greatest = session.execute(
        select(func.count(Booking.id), func.max(Booking.id))
        .join(TripInventory, TripInventory.trip_instance == Booking.trip_instance)
        .where(TripInventory.service_date.in_(days))
    ).one()
    return int(count), int(greatest or 0)

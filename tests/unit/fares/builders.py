"""Keys, credentials and bundles for the fares tests, with realistic GTFS-style ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fares.bundle import RuleBundle, build_bundle, open_bundle
from fares.credentials import Credential, Reservation, issue
from fares.deny_list import DenyList, DenyListDelta
from fares.keys import KeySet, SigningKey, epoch_seconds
from fares.rules import DeviceRole, Product, ProductKind, TripManifest

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
TRIP = "RUSH042@2008-06-02"
STOPS = ("STAGECOACH", "BEATTY_AIRPORT", "BULLFROG", "AMARGOSA_VALLEY", "FUR_CREEK_RES")
TICKET = "0123456789abcdef"
KEY_1 = SigningKey.generate(1, T0 - timedelta(days=365), T0 + timedelta(days=365))
SERVER_KEY = SigningKey.generate(9, T0 - timedelta(days=365), T0 + timedelta(days=365))

PRODUCTS = (
    Product("res_single", "Reserved single", ProductKind.RESERVED, 86400),
    Product(
        "day_pass",
        "Day pass, zone A",
        ProductKind.PERIOD,
        86400,
        area_ids=frozenset({"zone_a"}),
        network_ids=frozenset({"metro"}),
        route_ids=frozenset({"AB", "CITY"}),
        rider_categories=frozenset({"adult", "senior"}),
    ),
)


def reserved_credential(**changes: object) -> Credential:
    """A reserved-seat single trip on RUSH042, boarding BEATTY_AIRPORT, alighting BULLFROG."""
    issued = epoch_seconds(T0)
    credential = Credential(
        kid=1,
        ticket_id=TICKET,
        product_id="res_single",
        rider_category="adult",
        issued_at=issued,
        valid_from=issued,
        valid_until=issued + 2 * 86400,
        reservation=Reservation(TRIP, "12A", "BEATTY_AIRPORT", "BULLFROG"),
    )
    return replace(credential, **changes)  # type: ignore[arg-type]


def pass_credential(**changes: object) -> Credential:
    """A zone A day pass."""
    issued = epoch_seconds(T0)
    credential = Credential(1, "fedcba9876543210", "day_pass", "adult", issued, issued,
                            issued + 86400)  # fmt: skip
    return replace(credential, **changes)  # type: ignore[arg-type]


def signed(credential: Credential, key: SigningKey = KEY_1) -> bytes:
    """The blob of a credential signed with ``key``."""
    return issue(credential, key)


def bundle_blob(
    *,
    keys: Iterable[SigningKey] = (KEY_1,),
    deny: DenyList | DenyListDelta | None = None,
    manifests: Iterable[TripManifest] | None = None,
    passback_s: Mapping[DeviceRole, int] | None = None,
    valid_for: timedelta = timedelta(days=7),
    signer: SigningKey = SERVER_KEY,
    version: int = 1,
    vehicle_trips: Mapping[str, Iterable[str]] | None = None,
    trip_times: Mapping[str, tuple[datetime, datetime]] | None = None,
) -> bytes:
    """A signed bundle with the test products and the RUSH042 manifest (bus-17 runs it)."""
    return build_bundle(
        signing_key=signer,
        version=version,
        issued_at=T0,
        valid_until=T0 + valid_for,
        keys=[k.public_key() for k in keys],
        products=PRODUCTS,
        deny=DenyList() if deny is None else deny,
        passback_s={DeviceRole.GATE_ENTRY: 600, DeviceRole.BUS: 300}
        if passback_s is None
        else passback_s,
        clock_skew_s=60,
        manifests=[TripManifest(TRIP, STOPS, {TICKET: "12A"})] if manifests is None else manifests,
        vehicle_trips={"bus-17": [TRIP]} if vehicle_trips is None else vehicle_trips,
        trip_times=trip_times,
    )


def open_test_bundle(**kwargs: object) -> RuleBundle:
    """An opened bundle (fails the test if it does not open)."""
    opened = open_bundle(bundle_blob(**kwargs), TRUSTED, T0)  # type: ignore[arg-type]
    assert isinstance(opened, RuleBundle), opened
    return opened


TRUSTED = KeySet([SERVER_KEY.public_key()])

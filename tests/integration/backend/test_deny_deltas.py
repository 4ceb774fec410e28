"""The deny list sent to devices as deltas, on both backends: exactly the entries added and
dropped since the device's bundle, when that is smaller than the full bundle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.db import Database
from backend.models import RuleBundleRecord
from backend.services import devices
from backend.services.deny_deltas import DELTA_HORIZON, Delivery, delivery
from backend.services.device_bundles import current_bundle
from backend.services.reservation_store import Inventory
from backend.services.signing_keys import load_keyring
from backend.settings import Settings
from fares.bundle import RuleBundle, bundle_etag, open_bundle
from fares.deny_list import DenyList
from tests.harness.deny_entries import add_deny_entries, carried_delta
from tests.harness.reservations import book_through_api, reservable_settings
from tests.harness.scraped_metrics import Scrape

T0 = datetime(2008, 6, 1, 12, 0, tzinfo=UTC)
BUNDLE = "/api/v1/device/bundle"
DOWNLOADS = "faregate_bundle_downloads_total"
BYTES = "faregate_bundle_download_bytes_total"

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return reservable_settings(database_url, tmp_path, signing_keys_file)


@pytest.fixture
def device_headers(database: Database) -> dict[str, str]:
    """The API headers of a provisioned gate."""
    now = datetime.now(UTC)
    with database.sessions() as session:
        _, once = devices.create_device(
            session, "gate-1", "gate_entry", stop_id="BEATTY_AIRPORT", vehicle_id=None,
            description="", now=now,
        )  # fmt: skip
        _, token = devices.provision(session, once, now)
    return {"Authorization": f"Device {token}"}


@pytest.fixture
def inventory(app: Flask) -> Inventory:
    found: Inventory = app.extensions["faregate.inventory"]
    return found


def _opened(blob: bytes, keys_file: str, at: datetime, base: DenyList | None = None) -> RuleBundle:
    opened = open_bundle(blob, load_keyring(Path(keys_file)).key_set(at), at, base)
    assert isinstance(opened, RuleBundle), opened
    return opened


def _bundle_at(database: Database, inventory: Inventory, at: datetime) -> RuleBundleRecord:
    with database.sessions() as session:
        return current_bundle(session, inventory, at)


def _sent(
    database: Database, inventory: Inventory, current: RuleBundleRecord, held: int | None
) -> Delivery:
    with database.sessions() as session:
        return delivery(session, inventory, current, held)


def test_a_device_gets_exactly_the_entries_added_and_expired_since_its_bundle(
    database: Database, inventory: Inventory, signing_keys_file: str
) -> None:
    soon, later = T0 + timedelta(hours=1), T0 + timedelta(days=30)
    expiring = add_deny_entries(database, 2, now=T0, expires_at=soon)
    staying = add_deny_entries(database, 50, now=T0, expires_at=later)
    media = add_deny_entries(database, 3, now=T0, expires_at=None, kind="media")
    held = _bundle_at(database, inventory, T0)
    t1 = T0 + timedelta(hours=2)  # the first two entries' tickets have expired since
    added = add_deny_entries(database, 3, now=t1, expires_at=later)
    added_media = add_deny_entries(database, 1, now=t1, expires_at=None, kind="media")
    current = _bundle_at(database, inventory, t1)

    sent = _sent(database, inventory, current, held.version)

    assert sent.delta_from == held.version
    assert sent.blob is not None
    assert sent.etag == bundle_etag(sent.blob) != current.etag
    delta = carried_delta(sent.blob)
    assert delta is not None
    assert (delta.from_version, delta.to_version) == (held.version, current.version)
    assert (delta.added_tickets, delta.removed_tickets) == (added, expiring)
    assert (delta.added_media, delta.removed_media) == (added_media, frozenset())
    assert len(sent.blob) < len(current.blob)
    base = _opened(held.blob, signing_keys_file, T0).deny_list
    assert (base.tickets, base.media) == (expiring | staying, media)
    applied = _opened(sent.blob, signing_keys_file, t1, base)
    full = _opened(current.blob, signing_keys_file, t1)
    assert applied.deny_list == full.deny_list
    assert applied.deny_list.tickets == staying | added
    assert (applied.version, applied.products, applied.manifests, list(applied.keys)) == (
        full.version, full.products, full.manifests, list(full.keys),
    )  # fmt: skip


def test_a_bundle_change_without_new_entries_is_an_empty_delta(
    database: Database, inventory: Inventory, signing_keys_file: str
) -> None:
    add_deny_entries(database, 20, now=T0, expires_at=T0 + timedelta(days=30))
    held = _bundle_at(database, inventory, T0)
    next_day = T0 + timedelta(days=1)  # another service day: a new bundle, the same entries
    current = _bundle_at(database, inventory, next_day)
    assert current.version > held.version

    sent = _sent(database, inventory, current, held.version)

    assert sent.blob is not None
    delta = carried_delta(sent.blob)
    assert delta is not None
    assert not (delta.added_tickets | delta.removed_tickets | delta.added_media)
    base = _opened(held.blob, signing_keys_file, T0).deny_list
    applied = _opened(sent.blob, signing_keys_file, next_day, base).deny_list
    assert applied == _opened(current.blob, signing_keys_file, next_day).deny_list


def test_an_unknown_too_old_or_absent_version_gets_the_full_bundle(
    database: Database, inventory: Inventory
) -> None:
    add_deny_entries(database, 20, now=T0, expires_at=T0 + timedelta(days=30))
    held = _bundle_at(database, inventory, T0)
    beyond = T0 + DELTA_HORIZON + timedelta(hours=1)
    add_deny_entries(database, 1, now=beyond, expires_at=beyond + timedelta(days=30))
    current = _bundle_at(database, inventory, beyond)

    for version in (held.version, held.version + 1, 12345, None):
        sent = _sent(database, inventory, current, version)
        assert (sent.blob, sent.etag, sent.delta_from) == (current.blob, current.etag, None)


def test_a_delta_no_smaller_than_the_full_bundle_is_not_sent(
    database: Database, inventory: Inventory
) -> None:
    held = _bundle_at(database, inventory, T0)  # an empty deny list
    t1 = T0 + timedelta(minutes=5)
    add_deny_entries(database, 1, now=t1, expires_at=t1 + timedelta(days=30))
    current = _bundle_at(database, inventory, t1)

    sent = _sent(database, inventory, current, held.version)

    assert (sent.blob, sent.delta_from) == (current.blob, None)


def test_tickets_of_a_cancelled_booking_reach_devices_as_a_delta(
    client: FlaskClient, database: Database, inventory: Inventory, signing_keys_file: str
) -> None:
    add_deny_entries(database, 30, now=T0, expires_at=T0 + timedelta(days=30))
    before_trip = datetime(2008, 6, 2, 8, 0, tzinfo=UTC)
    held = _bundle_at(database, inventory, before_trip)
    _, booking = book_through_api(client, "AB1@2008-06-02", "BEATTY_AIRPORT", "BULLFROG", "Ada")
    cancel = f"/api/v1/bookings/{booking['reference']}/cancel"
    assert client.post(cancel, json={"email": "ada@example.org"}).status_code == 200
    current = _bundle_at(database, inventory, before_trip + timedelta(minutes=1))

    sent = _sent(database, inventory, current, held.version)

    assert sent.blob is not None
    delta = carried_delta(sent.blob)
    assert delta is not None
    assert delta.added_tickets == {booking["passengers"][0]["ticket_id"]}
    assert not delta.removed_tickets
    base = _opened(held.blob, signing_keys_file, before_trip).deny_list
    at = before_trip + timedelta(minutes=1)
    applied = _opened(sent.blob, signing_keys_file, at, base)
    assert applied.deny_list == _opened(current.blob, signing_keys_file, at).deny_list


def test_the_bundle_endpoint_answers_a_named_deny_list_with_a_delta_or_304(
    client: FlaskClient, database: Database, signing_keys_file: str, device_headers: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    add_deny_entries(database, 40, now=now, expires_at=now + timedelta(days=30))
    before = Scrape.of_app(client)
    first = client.get(BUNDLE, headers=device_headers)
    assert first.status_code == 200
    assert "X-Deny-Delta-From" not in first.headers
    version = int(first.headers["X-Bundle-Version"])
    unchanged = client.get(f"{BUNDLE}?deny_version={version}", headers=device_headers)
    assert (unchanged.status_code, unchanged.headers["ETag"]) == (304, first.headers["ETag"])
    added = add_deny_entries(database, 1, now=now, expires_at=now + timedelta(days=30))

    named = {**device_headers, "If-None-Match": first.headers["ETag"]}
    delta = client.get(f"{BUNDLE}?deny_version={version}", headers=named)
    full = client.get(BUNDLE, headers=named)
    unknown = client.get(f"{BUNDLE}?deny_version=12345", headers=named)

    assert delta.status_code == full.status_code == unknown.status_code == 200
    assert delta.headers["X-Deny-Delta-From"] == str(version)
    assert delta.headers["ETag"] == bundle_etag(delta.data)
    assert delta.headers["X-Bundle-Version"] == full.headers["X-Bundle-Version"]
    assert "X-Deny-Delta-From" not in full.headers
    assert unknown.data == full.data
    assert len(delta.data) < len(full.data)
    carried = carried_delta(delta.data)
    assert carried is not None
    assert carried.added_tickets == added
    base = _opened(first.data, signing_keys_file, now).deny_list
    applied = _opened(delta.data, signing_keys_file, now, base).deny_list
    assert applied == _opened(full.data, signing_keys_file, now).deny_list
    after = Scrape.of_app(client)
    counted = {
        kind: after.count(DOWNLOADS, delivery=kind) - before.count(DOWNLOADS, delivery=kind)
        for kind in ("full", "delta", "unchanged")
    }
    assert counted == {"full": 3, "delta": 1, "unchanged": 1}
    sent = after.count(BYTES, delivery="delta") - before.count(BYTES, delivery="delta")
    assert sent == len(delta.data)
    for bad in ("abc", "-1", "1.5"):
        refused = client.get(f"{BUNDLE}?deny_version={bad}", headers=device_headers)
        assert refused.status_code == 422, bad
        assert refused.json["error"]["code"] == "validation_failed"

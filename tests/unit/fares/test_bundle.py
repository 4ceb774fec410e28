"""Building, signing and opening rule bundles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from fares.bundle import BundleRefusal, RuleBundle, bundle_etag, delta_bundle, open_bundle
from fares.deny_list import DenyList, DenyListDelta
from fares.keys import KeySet, SigningKey
from fares.rules import DeviceRole, ProductKind
from tests.unit.fares.builders import (
    KEY_1,
    SERVER_KEY,
    STOPS,
    T0,
    TICKET,
    TRIP,
    TRUSTED,
    bundle_blob,
    open_test_bundle,
)
from tests.unit.fares.cbor_strategies import cbor_values

DENY_V2 = DenyList.of(2, tickets=["aa" * 8], media=["bb" * 32])


def test_opened_bundle_carries_everything_a_validator_needs() -> None:
    bundle = open_test_bundle(deny=DENY_V2)
    assert bundle.version == 1
    assert bundle.keys.get(1) == KEY_1.public_key()
    assert bundle.products["day_pass"].kind is ProductKind.PERIOD
    assert "zone_a" in bundle.products["day_pass"].area_ids
    assert bundle.deny_list == DENY_V2
    assert bundle.passback_s[DeviceRole.GATE_ENTRY] == 600
    assert bundle.clock_skew_s == 60
    assert bundle.manifests[TRIP].stop_ids == STOPS
    assert bundle.manifests[TRIP].seats == {TICKET: "12A"}
    assert bundle.manifests[TRIP].stop_index["BULLFROG"] == 2
    assert bundle.vehicle_trips == {"bus-17": (TRIP,)}
    assert bundle.signer_kid == SERVER_KEY.kid


def test_etag_is_the_content_hash_of_the_blob_and_stable() -> None:
    blob = bundle_blob()
    opened = open_bundle(blob, TRUSTED, T0)
    assert isinstance(opened, RuleBundle)
    assert opened.etag == bundle_etag(blob) == bundle_etag(bundle_blob())
    assert opened.etag != bundle_etag(bundle_blob(version=2))


def test_changing_any_byte_of_a_bundle_is_refused() -> None:
    blob = bundle_blob()
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        assert isinstance(open_bundle(bytes(tampered), TRUSTED, T0), BundleRefusal), position


def test_bundle_signed_by_an_untrusted_key_is_refused() -> None:
    impostor = SigningKey.generate(9, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert open_bundle(bundle_blob(signer=impostor), TRUSTED, T0) is BundleRefusal.BAD_SIGNATURE
    assert open_bundle(bundle_blob(), KeySet(), T0) is BundleRefusal.UNKNOWN_KEY


def test_bundle_past_its_valid_until_is_refused() -> None:
    blob = bundle_blob(valid_for=timedelta(days=1))
    assert open_bundle(blob, TRUSTED, T0 + timedelta(days=2)) is BundleRefusal.EXPIRED


def test_bundle_from_a_future_format_is_unsupported() -> None:
    body = cbor2.dumps({"format": 1})
    blob = cbor2.dumps([2, SERVER_KEY.kid, body, SERVER_KEY.sign(body)])
    assert open_bundle(blob, TRUSTED, T0) is BundleRefusal.UNSUPPORTED_VERSION


def test_well_signed_ill_shaped_content_is_malformed() -> None:
    for content in ({"format": 1}, [1], {"format": 1, "version": "one"}):
        body = cbor2.dumps(content)
        blob = cbor2.dumps([1, SERVER_KEY.kid, body, SERVER_KEY.sign(body)])
        assert open_bundle(blob, TRUSTED, T0) is BundleRefusal.MALFORMED


def resigned(blob: bytes, **changes: object) -> bytes:
    """``blob``'s content with ``changes`` (None: the key left out), signed again."""
    content = cbor2.loads(cbor2.loads(blob)[2])
    for name, value in changes.items():
        if value is None:
            del content[name]
        else:
            content[name] = value
    body = cbor2.dumps(content)
    return cbor2.dumps([1, SERVER_KEY.kid, body, SERVER_KEY.sign(body)])


def test_trip_times_travel_as_epoch_seconds() -> None:
    departs = T0 + timedelta(hours=15, minutes=30)
    arrives = departs + timedelta(hours=2)  # past midnight UTC: just a later instant
    bundle = open_test_bundle(trip_times={TRIP: (departs, arrives)})
    assert bundle.trip_times == {TRIP: (int(departs.timestamp()), int(arrives.timestamp()))}


def test_a_bundle_made_before_trip_times_opens_without_them() -> None:
    older = resigned(bundle_blob(), trip_times=None)
    assert b"trip_times" not in older
    opened = open_bundle(older, TRUSTED, T0)
    assert isinstance(opened, RuleBundle)
    assert opened.trip_times == {}
    assert opened.vehicle_trips == {"bus-17": (TRIP,)}


def test_ill_shaped_trip_times_are_malformed() -> None:
    for times in ({TRIP: [1, 2]}, [[TRIP, 20, 10]], [[TRIP, 1.5, 2]], [[TRIP, 1]], [[7, 1, 2]]):
        blob = resigned(bundle_blob(), trip_times=times)
        assert open_bundle(blob, TRUSTED, T0) is BundleRefusal.MALFORMED, times


def test_delta_bundle_applies_onto_the_current_deny_list() -> None:
    newer = DenyList.of(3, tickets=["cc" * 8], media=["bb" * 32])
    blob = bundle_blob(deny=DENY_V2.delta_to(newer))
    opened = open_bundle(blob, TRUSTED, T0, base=DENY_V2)
    assert isinstance(opened, RuleBundle)
    assert opened.deny_list == newer


def test_delta_bundle_on_another_base_is_refused_and_leaves_the_base_alone() -> None:
    blob = bundle_blob(deny=DenyListDelta(5, 6, added_tickets=frozenset({"dd" * 8})))
    assert open_bundle(blob, TRUSTED, T0, base=DENY_V2) is BundleRefusal.DELTA_BASE_MISMATCH
    assert open_bundle(blob, TRUSTED, T0) is BundleRefusal.DELTA_BASE_MISMATCH
    assert DENY_V2.version == 2


def test_a_full_bundle_made_into_a_delta_opens_as_the_same_bundle_on_the_older_list() -> None:
    newer = DenyList.of(3, tickets=["cc" * 8], media=["bb" * 32])
    full = bundle_blob(deny=newer, version=3)
    delta = delta_bundle(full, DENY_V2.delta_to(newer), SERVER_KEY)
    assert delta is not None
    opened = open_bundle(delta, TRUSTED, T0, base=DENY_V2)
    expected = open_bundle(full, TRUSTED, T0)
    assert isinstance(opened, RuleBundle)
    assert isinstance(expected, RuleBundle)
    assert opened.etag == bundle_etag(delta) != expected.etag
    assert replace(opened, content_hash=expected.content_hash, keys=expected.keys) == expected
    assert list(opened.keys) == list(expected.keys)
    assert open_bundle(delta, TRUSTED, T0) is BundleRefusal.DELTA_BASE_MISMATCH


def test_a_delta_is_made_only_from_a_full_list_at_its_target_under_the_signers_key() -> None:
    newer = DenyList.of(3, tickets=["cc" * 8])
    delta = DENY_V2.delta_to(newer)
    other = SigningKey.generate(SERVER_KEY.kid + 1, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert delta_bundle(bundle_blob(deny=newer), delta, other) is None
    assert delta_bundle(bundle_blob(deny=DenyList.of(4)), delta, SERVER_KEY) is None
    assert delta_bundle(bundle_blob(deny=delta), delta, SERVER_KEY) is None
    assert delta_bundle(b"not a bundle", delta, SERVER_KEY) is None


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(blob: bytes) -> None:
    assert isinstance(open_bundle(blob, TRUSTED, T0), BundleRefusal)


CONTENT_FIELDS = ("version", "issued_at", "valid_until", "keys", "products", "deny",
                  "passback_s", "clock_skew_s", "manifests", "vehicles", "trip_times")  # fmt: skip


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(CONTENT_FIELDS), cbor_values), st.data())
def test_signed_arbitrary_content_never_raises(
    content: dict[str, object], data: st.DataObject
) -> None:
    valid = cbor2.loads(cbor2.loads(bundle_blob())[2])
    field = data.draw(st.sampled_from(CONTENT_FIELDS))
    for name in (field, *content):
        valid[name] = content.get(name, data.draw(cbor_values))
    body = cbor2.dumps(valid)
    blob = cbor2.dumps([1, SERVER_KEY.kid, body, SERVER_KEY.sign(body)])
    assert isinstance(open_bundle(blob, TRUSTED, T0), BundleRefusal | RuleBundle)

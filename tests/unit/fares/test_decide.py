"""The tap decision: allowed taps, every deny reason, passback, and total input handling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fares.credentials import Reservation
from fares.decide import decide
from fares.deny_list import DenyList
from fares.media import ndef_message, qr_text
from fares.reasons import Decision, DenyReason
from fares.rules import DeviceRole, TripManifest
from fares.tap import InMemoryHistory, MediaKind, PresentedMedia, TapContext, media_fingerprint
from tests.unit.fares.builders import (
    KEY_1,
    SERVER_KEY,
    STOPS,
    T0,
    TICKET,
    TRIP,
    open_test_bundle,
    pass_credential,
    reserved_credential,
    signed,
)

UID = bytes.fromhex("04a1b2c3d4e5f6")
BLOCKED_UID = bytes.fromhex("04ffffffffffff")
BUNDLE = open_test_bundle(
    deny=DenyList.of(4, tickets=["dead" * 4], media=[media_fingerprint("iso14443a", BLOCKED_UID)])
)
LATER = T0 + timedelta(hours=1)
GATE = TapContext(LATER, "gate-3", DeviceRole.GATE_ENTRY, "CENTRAL", frozenset({"zone_a"}))
BUS = TapContext(
    LATER, "bus-17", DeviceRole.BUS, "BEATTY_AIRPORT", frozenset(), "metro", "AB", TRIP
)


def qr(blob: bytes) -> PresentedMedia:
    return PresentedMedia(MediaKind.QR_TEXT, qr_text(blob), "qr")


def card(uid: bytes) -> PresentedMedia:
    return PresentedMedia(MediaKind.ACCOUNT, uid, "iso14443a")


def run(media: PresentedMedia, context: TapContext = BUS) -> Decision:
    return decide(media, context, BUNDLE, InMemoryHistory())


def test_valid_reserved_ticket_boards_its_bus_at_its_stop() -> None:
    decision = run(qr(signed(reserved_credential())))
    assert decision.allowed
    assert decision.reason is None
    assert (decision.ticket_id, decision.product_id) == (TICKET, "res_single")
    assert decision.history_key == "ticket:" + TICKET


def test_same_ticket_is_accepted_as_ndef_and_raw_credential() -> None:
    blob = signed(reserved_credential())
    assert run(PresentedMedia(MediaKind.NDEF, ndef_message(blob), "nfc-a")).allowed
    assert run(PresentedMedia(MediaKind.CREDENTIAL, blob)).allowed


def test_boarding_later_than_the_booked_stop_is_allowed() -> None:
    assert run(qr(signed(reserved_credential())), replace(BUS, stop_id="BEATTY_AIRPORT")).allowed
    late = reserved_credential(reservation=Reservation(TRIP, "12A", "STAGECOACH", "BULLFROG"))
    assert run(qr(signed(late))).allowed


def test_day_pass_opens_a_gate_in_its_zone() -> None:
    decision = run(qr(signed(pass_credential())), GATE)
    assert decision.allowed
    assert decision.history_key is not None


def test_exit_gate_allows_without_recording_an_entry() -> None:
    decision = run(qr(signed(pass_credential())), replace(GATE, role=DeviceRole.GATE_EXIT))
    assert decision.allowed
    assert decision.history_key is None


def test_account_card_not_on_the_deny_list_is_allowed_for_later_pricing() -> None:
    decision = run(card(UID), GATE)
    assert decision.allowed
    assert decision.fingerprint == media_fingerprint("iso14443a", UID)


def test_second_entry_within_the_window_is_passback_and_after_it_is_allowed() -> None:
    history = InMemoryHistory()
    media = qr(signed(pass_credential()))
    first = decide(media, GATE, BUNDLE, history)
    assert first.allowed
    assert first.history_key is not None
    history.record_entry(first.history_key, GATE.at)
    again = replace(GATE, at=GATE.at + timedelta(seconds=599))
    assert decide(media, again, BUNDLE, history).reason is DenyReason.PASSBACK
    later = replace(GATE, at=GATE.at + timedelta(seconds=600))
    assert decide(media, later, BUNDLE, history).allowed
    exit_gate = replace(again, role=DeviceRole.GATE_EXIT)
    assert decide(media, exit_gate, BUNDLE, history).allowed


def _v2_payload() -> PresentedMedia:
    payload = cbor2.dumps([2, 1, b"\x00" * 8])
    return PresentedMedia(MediaKind.CREDENTIAL, payload + KEY_1.sign(payload))


def _flipped_signature() -> PresentedMedia:
    blob = bytearray(signed(reserved_credential()))
    blob[-1] ^= 1
    return qr(bytes(blob))


def _passback() -> Decision:
    history = InMemoryHistory()
    history.record_entry("media:" + media_fingerprint("iso14443a", UID), LATER)
    return decide(card(UID), GATE, BUNDLE, history)


def _wrong_seat() -> Decision:
    bundle = open_test_bundle(manifests=[TripManifest(TRIP, STOPS, {TICKET: "14C"})])
    return decide(qr(signed(reserved_credential())), BUS, bundle, InMemoryHistory())


SCENARIOS: dict[DenyReason, Callable[[], Decision]] = {
    DenyReason.MALFORMED: lambda: run(PresentedMedia(MediaKind.QR_TEXT, "HELLO")),
    DenyReason.UNSUPPORTED_VERSION: lambda: run(_v2_payload()),
    DenyReason.UNKNOWN_KEY: lambda: run(qr(signed(reserved_credential(kid=9), SERVER_KEY))),
    DenyReason.BAD_SIGNATURE: lambda: run(_flipped_signature()),
    DenyReason.NOT_YET_VALID: lambda: run(
        qr(signed(reserved_credential())), replace(BUS, at=T0 - timedelta(minutes=5))
    ),
    DenyReason.EXPIRED: lambda: run(
        qr(signed(reserved_credential())), replace(BUS, at=T0 + timedelta(days=2, minutes=5))
    ),
    DenyReason.REVOKED: lambda: run(qr(signed(reserved_credential(ticket_id="dead" * 4)))),
    DenyReason.UNKNOWN_PRODUCT: lambda: run(qr(signed(pass_credential(product_id="ghost")))),
    DenyReason.WRONG_RIDER_CATEGORY: lambda: run(
        qr(signed(pass_credential(rider_category="child"))), GATE
    ),
    DenyReason.WRONG_AREA: lambda: run(
        qr(signed(pass_credential())), replace(GATE, area_ids=frozenset({"zone_b"}))
    ),
    DenyReason.WRONG_NETWORK: lambda: run(
        qr(signed(pass_credential())), replace(BUS, network_id="regional")
    ),
    DenyReason.WRONG_ROUTE: lambda: run(qr(signed(pass_credential())), replace(BUS, route_id="Z")),
    DenyReason.WRONG_TRIP: lambda: run(
        qr(signed(reserved_credential())), replace(BUS, trip_instance="AB1@2008-06-02")
    ),
    DenyReason.WRONG_SEAT: _wrong_seat,
    DenyReason.WRONG_STOP: lambda: run(
        qr(signed(reserved_credential())), replace(BUS, stop_id="BULLFROG")
    ),
    DenyReason.PASSBACK: _passback,
    DenyReason.BUNDLE_EXPIRED: lambda: run(
        qr(signed(reserved_credential())), replace(BUS, at=T0 + timedelta(days=8))
    ),
}


def test_every_deny_reason_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(DenyReason)


@pytest.mark.parametrize("reason", list(SCENARIOS), ids=lambda r: r.value)
def test_scenario_is_denied_with_its_reason(reason: DenyReason) -> None:
    decision = SCENARIOS[reason]()
    assert not decision.allowed
    assert decision.reason is reason
    assert decision.explanation


def test_boarding_before_the_booked_stop_or_off_the_route_is_wrong_stop() -> None:
    blob = signed(reserved_credential())
    for stop in ("STAGECOACH", "AMARGOSA_VALLEY", "NOT_ON_TRIP"):
        assert run(qr(blob), replace(BUS, stop_id=stop)).reason is DenyReason.WRONG_STOP


def test_without_a_manifest_only_the_alighting_stop_is_refused() -> None:
    bundle = open_test_bundle(manifests=[])
    blob = signed(reserved_credential())
    history = InMemoryHistory()
    at_alight = replace(BUS, stop_id="BULLFROG")
    assert decide(qr(blob), at_alight, bundle, history).reason is DenyReason.WRONG_STOP
    assert decide(qr(blob), replace(BUS, stop_id="STAGECOACH"), bundle, history).allowed


def test_reserved_product_without_a_reservation_is_wrong_trip_on_a_bus() -> None:
    credential = reserved_credential(reservation=None)
    assert run(qr(signed(credential))).reason is DenyReason.WRONG_TRIP


def test_blocked_card_is_revoked() -> None:
    decision = run(card(BLOCKED_UID), GATE)
    assert decision.reason is DenyReason.REVOKED
    assert decision.fingerprint is not None


def test_account_media_without_a_uid_is_malformed() -> None:
    assert run(card(b""), GATE).reason is DenyReason.MALFORMED
    assert run(PresentedMedia(MediaKind.ACCOUNT, "04a1", "x"), GATE).reason is (
        DenyReason.MALFORMED
    )


def test_naive_tap_time_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="aware"):
        TapContext(datetime(2026, 6, 1), "gate-3", DeviceRole.GATE_ENTRY)


media_strategy = st.builds(
    PresentedMedia,
    st.sampled_from(MediaKind),
    st.binary(max_size=300) | st.text(max_size=300) | st.just(qr_text(signed(pass_credential()))),
    st.text(max_size=40),
)
context_strategy = st.builds(
    TapContext,
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.text(max_size=10),
    st.sampled_from(DeviceRole),
    st.none() | st.sampled_from(STOPS) | st.text(max_size=10),
    st.frozensets(st.sampled_from(["zone_a", "zone_b"])),
    st.none() | st.sampled_from(["metro", "regional"]),
    st.none() | st.sampled_from(["AB", "Z"]),
    st.none() | st.just(TRIP) | st.text(max_size=20),
)


@settings(max_examples=400)
@given(media_strategy, context_strategy)
def test_decide_never_raises_on_any_media_or_context(
    media: PresentedMedia, context: TapContext
) -> None:
    decision = decide(media, context, BUNDLE, InMemoryHistory())
    assert decision.allowed == (decision.reason is None)

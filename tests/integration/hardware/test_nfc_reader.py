"""The nfcpy reader through nfcpy's udp device, with cards answering on the UDP port."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import ndef
import nfc
import pytest

from fares.media import ndef_message, parse_ndef_message
from hardware.nfc_reader import NfcpyReader
from hardware.ports import Technology
from hardware.reconnect import ReconnectPolicy
from tests.integration.hardware.nfc_cards import (
    Type2Card,
    Type3Card,
    free_udp_port,
    type2_memory,
)
from tests.integration.hardware.nfc_type4_card import MAX_READ, Type4Card
from tests.unit.hardware.sink import EventSink, wait_until

pytestmark = pytest.mark.timeout(60)
FIXED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
FAST = ReconnectPolicy(initial=0.05, maximum=0.2)
CREDENTIAL_TYPE = "application/vnd.faregate.credential"


def credential_message(body: bytes = b"FG1 signed credential bytes") -> bytes:
    return b"".join(ndef.message_encoder([ndef.Record(CREDENTIAL_TYPE, "", body)]))


def reader_on(port: int, technologies: tuple[str, ...], **options: Any) -> NfcpyReader:
    options.setdefault("clock", lambda: FIXED)
    return NfcpyReader(
        "nfc-1",
        f"udp:localhost:{port}",
        technologies,
        policy=FAST,
        poll_interval=0.1,
        repeat_guard=0.3,
        **options,
    )


@pytest.fixture
def sink() -> EventSink:
    return EventSink()


@pytest.fixture
def started() -> Iterator[list[NfcpyReader]]:
    """Readers appended here are stopped after the test, even when it fails."""
    readers: list[NfcpyReader] = []
    yield readers
    for reader in readers:
        reader.stop()


def test_reads_the_ndef_message_of_a_type3_card_once_while_it_stays(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    port = free_udp_port()
    message = credential_message()
    with Type3Card(port, message) as card:
        reader = reader_on(port, ("212F",))
        started.append(reader)
        reader.start(sink)
        (event,) = sink.wait_for(1)
        time.sleep(1.5)  # the card stays in the field: the reader holds it
        assert len(sink.events) == 1
    assert event.technology is Technology.NFC_TYPE3
    assert event.payload == message
    assert event.uid == card.idm
    assert (event.source, event.at) == ("nfc-1", FIXED)
    (record,) = ndef.message_decoder(event.payload)
    assert record.type == CREDENTIAL_TYPE


def test_a_card_presented_again_after_leaving_gives_a_second_event(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    port = free_udp_port()
    message = credential_message()
    reader = reader_on(port, ("212F",))
    started.append(reader)
    reader.start(sink)
    with Type3Card(port, message):
        sink.wait_for(1)
    time.sleep(1.0)  # removal is noticed, and the repeat guard passes
    with Type3Card(port, message):
        events = sink.wait_for(2)
    assert [event.payload for event in events] == [message, message]


def test_reads_the_ndef_message_of_a_type2_card(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    uid = bytes.fromhex("05A1B2C3D4E5F6")
    message = credential_message(b"type 2 credential")
    with Type2Card(uid, memory=type2_memory(uid, message)) as card:
        reader = reader_on(card.port, ("106A",))
        started.append(reader)
        reader.start(sink)
        (event,) = sink.wait_for(1)
        time.sleep(1.0)
        assert len(sink.events) == 1
    assert event.technology is Technology.NFC_TYPE2
    assert (event.uid, event.payload) == (uid, message)


def test_reads_the_credential_of_a_type4_card_and_holds_it_while_it_stays(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    uid = bytes.fromhex("04C1D2E3F40A0B")
    blob = b"FG1 reserved seat " + bytes(range(126))  # a 144-byte credential blob
    message = ndef_message(blob)
    assert len(message) > 2 * MAX_READ  # read in several READ BINARY commands
    with Type4Card(uid, message) as card:
        reader = reader_on(card.port, ("106A",))
        started.append(reader)
        reader.start(sink)
        (event,) = sink.wait_for(1)
        wait_until(lambda: card.received.count("R(NAK)") >= 5)
        assert len(sink.events) == 1
        since_read = card.received[card.received.index("R(NAK)") :]
    assert set(since_read) == {"R(NAK)"}  # held: presence checks only, no new activation
    assert event.technology is Technology.NFC_TYPE4
    assert (event.uid, event.payload) == (uid, message)
    assert parse_ndef_message(event.payload) == blob


def test_a_type4_card_leaving_the_field_is_released_for_the_next_card(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    first, second = bytes.fromhex("04C1D2E3F40A0B"), bytes.fromhex("04C1D2E3F40A0C")
    with Type4Card(first, ndef_message(b"first credential")) as card:
        port = card.port
        reader = reader_on(port, ("106A",))
        started.append(reader)
        reader.start(sink)
        sink.wait_for(1)
    with Type4Card(second, ndef_message(b"second credential"), port=port):
        events = sink.wait_for(2)
    assert [(event.uid, parse_ndef_message(event.payload)) for event in events] == [
        (first, b"first credential"),
        (second, b"second credential"),
    ]


def test_a_mifare_classic_card_gives_its_uid_once(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    uid = bytes.fromhex("5CA1AB1E")
    with Type2Card(uid, sak=0x08, readable=False) as card:
        reader = reader_on(card.port, ("106A",))
        started.append(reader)
        reader.start(sink)
        (event,) = sink.wait_for(1)
        time.sleep(1.5)  # it fails every presence check, yet stays one presentation
        assert len(sink.events) == 1
    assert event.technology is Technology.NFC_UID
    assert (event.uid, event.payload) == (uid, None)


def test_a_type2_card_without_ndef_gives_its_uid(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    uid = bytes.fromhex("05010203040506")
    blank = type2_memory(uid, b"")[:12] + bytes(16 + 144)  # no capability container
    with Type2Card(uid, memory=blank) as card:
        reader = reader_on(card.port, ("106A",))
        started.append(reader)
        reader.start(sink)
        (event,) = sink.wait_for(1)
    assert (event.technology, event.uid, event.payload) == (Technology.NFC_UID, uid, None)


def test_an_error_while_reading_a_card_is_contained(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    calls: list[datetime] = []

    def faulty_clock() -> datetime:
        calls.append(FIXED)
        if len(calls) == 1:
            raise RuntimeError("clock fault")
        return FIXED

    uid = bytes.fromhex("05A1B2C3D4E5F6")
    memory = type2_memory(uid, credential_message())
    with Type2Card(uid, memory=memory) as card:
        port = card.port
        reader = reader_on(port, ("106A",), clock=faulty_clock)
        started.append(reader)
        reader.start(sink)
        time.sleep(1.0)
        assert sink.events == []
        assert reader.healthy()
    time.sleep(0.8)
    with Type2Card(uid, memory=memory, port=port):
        (event,) = sink.wait_for(1)
    assert event.uid == uid
    assert reader.alive()
    assert not reader.crashed()


def test_reopens_the_device_with_backoff_after_failed_opens(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    attempts: list[float] = []

    def flaky_open(path: str) -> Any:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise OSError("no such device")
        return nfc.ContactlessFrontend(path)

    port = free_udp_port()
    reader = reader_on(port, ("212F",), open_frontend=flaky_open)
    started.append(reader)
    reader.start(sink)
    with Type3Card(port, credential_message()):
        sink.wait_for(1)
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= FAST.initial
    assert attempts[2] - attempts[1] >= FAST.initial * FAST.factor  # the delay grew
    assert reader.healthy()


def test_a_missing_usb_reader_is_unhealthy_and_stops_promptly(
    started: list[NfcpyReader],
) -> None:
    reader = NfcpyReader("nfc-usb", "usb:ffff:ffff", policy=FAST)
    started.append(reader)
    reader.start(EventSink())
    time.sleep(0.5)
    assert reader.alive()
    assert not reader.healthy()
    begun = time.monotonic()
    reader.stop()
    assert time.monotonic() - begun < 2.0
    assert not reader.crashed()


@pytest.mark.hardware
@pytest.mark.skipif(
    not os.environ.get("FAREGATE_NFC_DEVICE"), reason="set FAREGATE_NFC_DEVICE to an nfcpy path"
)
def test_a_physical_reader_opens_and_reads_a_presented_card(
    sink: EventSink, started: list[NfcpyReader]
) -> None:
    """Present a card to the reader within 20 s of the test's start."""
    reader = NfcpyReader("nfc-hw", os.environ["FAREGATE_NFC_DEVICE"], ("106A", "212F"))
    started.append(reader)
    reader.start(sink)
    wait_until(reader.healthy, timeout=10)
    (event,) = sink.wait_for(1, timeout=20)
    assert event.uid

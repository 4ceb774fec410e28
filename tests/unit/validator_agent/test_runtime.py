"""The tap loop: decision, journal before the gate, passback, and the failure policy."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

from fares.deny_list import DenyList
from fares.media import ndef_message, qr_text
from fares.rules import DeviceRole
from fares.tap import MediaKind, media_fingerprint
from hardware.ports import GateCommand, Verdict
from tests.unit.fares.builders import (
    T0,
    bundle_blob,
    pass_credential,
    signed,
)
from tests.unit.validator_agent.bus_day import EARLY, LATE, bus_bundle, late_ticket
from tests.unit.validator_agent.conftest import RuntimeFactory
from tests.unit.validator_agent.fakes import (
    InjectedReader,
    ManualClock,
    RecordingGate,
    ndef_event,
    qr_event,
    uid_event,
)
from validator_agent.config import FailurePolicy
from validator_agent.journal import NO_BUNDLE
from validator_agent.runtime import JOURNAL_FAULT
from validator_agent.store import Store

PASS_QR = qr_text(signed(pass_credential()))


def fill_store(store: Store) -> None:
    """Cap the database at its current size so that the next append finds it full."""
    store.set_max_pages(store.page_count())


def test_valid_qr_tap_opens_the_gate_and_is_journaled(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    outcome = make_runtime().handle(qr_event(PASS_QR))

    assert gate.commands == [GateCommand(Verdict.OPEN, "ok")]
    [row] = store.take_batch(10)
    assert outcome.row == row
    assert row.tap.allowed
    assert row.tap.media_kind is MediaKind.QR_TEXT
    assert row.tap.ticket_id == "fedcba9876543210"
    assert row.tap.product_id == "day_pass"
    assert row.tap.bundle_version == 1


def test_valid_ndef_tap_opens_the_gate(make_runtime: RuntimeFactory, gate: RecordingGate) -> None:
    make_runtime().handle(ndef_event(ndef_message(signed(pass_credential()))))

    assert [c.verdict for c in gate.commands] == [Verdict.OPEN]


def test_journal_keeps_the_blob_hash_never_the_payload(
    make_runtime: RuntimeFactory, store: Store
) -> None:
    blob = signed(pass_credential())
    make_runtime().handle(qr_event(qr_text(blob)))

    [row] = store.take_batch(10)
    assert row.tap.fingerprint == hashlib.sha256(blob).hexdigest()


def test_revoked_ticket_reaches_the_gate_as_deny(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    revoked = DenyList.of(1, [pass_credential().ticket_id])
    make_runtime(bundle_blob(deny=revoked)).handle(qr_event(PASS_QR))

    assert gate.commands == [GateCommand(Verdict.DENY, "ticket or card is blocked")]
    [row] = store.take_batch(10)
    assert (row.tap.allowed, row.tap.reason) == (False, "revoked")


def test_passback_within_the_window_is_denied_at_an_entry_gate(
    make_runtime: RuntimeFactory, gate: RecordingGate, clock: ManualClock
) -> None:
    runtime = make_runtime()
    runtime.handle(qr_event(PASS_QR, clock.now()))
    clock.advance(120)
    second = runtime.handle(qr_event(PASS_QR, clock.now()))

    assert [c.verdict for c in gate.commands] == [Verdict.OPEN, Verdict.DENY]
    assert second.decision is not None
    assert second.decision.reason is not None
    assert second.decision.reason.value == "passback"


def test_passback_window_over_lets_the_ticket_in_again(
    make_runtime: RuntimeFactory, gate: RecordingGate, clock: ManualClock
) -> None:
    runtime = make_runtime()
    runtime.handle(qr_event(PASS_QR, clock.now()))
    clock.advance(601)
    runtime.handle(qr_event(PASS_QR, clock.now()))

    assert [c.verdict for c in gate.commands] == [Verdict.OPEN, Verdict.OPEN]


def test_exit_gate_does_not_check_passback(
    make_runtime: RuntimeFactory, gate: RecordingGate
) -> None:
    runtime = make_runtime(role=DeviceRole.GATE_EXIT)
    runtime.handle(qr_event(PASS_QR))
    runtime.handle(qr_event(PASS_QR))

    assert [c.verdict for c in gate.commands] == [Verdict.OPEN, Verdict.OPEN]


def test_uid_only_card_is_account_media_known_by_its_fingerprint(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    make_runtime().handle(uid_event(b"\x04\xa1\xb2\xc3\xd4\xe5\xf6"))

    [row] = store.take_batch(10)
    assert row.tap.media_kind is MediaKind.ACCOUNT
    assert row.tap.fingerprint == media_fingerprint("nfc_uid", b"\x04\xa1\xb2\xc3\xd4\xe5\xf6")
    assert gate.commands[0].verdict is Verdict.OPEN


def test_garbage_is_a_journaled_deny(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    make_runtime().handle(qr_event("FG1:not a ticket"))

    assert gate.commands[0].verdict is Verdict.DENY
    assert store.take_batch(10)[0].tap.reason == "malformed"


def test_without_bundle_fail_closed_is_out_of_service(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    make_runtime(install=False).handle(qr_event(PASS_QR))

    assert gate.commands == [GateCommand(Verdict.OUT_OF_SERVICE, "no rules")]
    [row] = store.take_batch(10)
    assert (row.tap.allowed, row.tap.reason, row.tap.bundle_version) == (False, NO_BUNDLE, None)


def test_without_bundle_fail_open_opens(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime(install=False, failure_policy=FailurePolicy.FAIL_OPEN)
    runtime.handle(qr_event(PASS_QR))

    assert gate.commands == [GateCommand(Verdict.OPEN, "no rules")]
    assert store.take_batch(10)[0].tap.allowed


def test_full_journal_fail_closed_shows_out_of_service_and_keeps_earlier_rows(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime(role=DeviceRole.GATE_EXIT)
    for _ in range(3):
        runtime.handle(qr_event(PASS_QR))
    fill_store(store)
    taps = [runtime.handle(qr_event(PASS_QR)) for _ in range(200)]
    lost = [t for t in taps if t.row is None]

    assert lost, "the capped database never filled up"
    assert {t.fault for t in lost} == {"journal_full"}
    assert gate.commands[-1] == GateCommand(Verdict.OUT_OF_SERVICE, JOURNAL_FAULT)
    committed = [1, 2, 3] + [t.row.seq for t in taps if t.row is not None]
    assert [r.seq for r in store.take_batch(1000)] == committed
    failure = runtime.status()["failure"]
    assert isinstance(failure, dict)
    assert (failure["journal_fault"], failure["lost_taps"]) == ("journal_full", len(lost))


def test_full_journal_fail_open_opens_allowed_taps_only(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    revoked = DenyList.of(1, ["00000000000000aa"])
    runtime = make_runtime(
        bundle_blob(deny=revoked), failure_policy=FailurePolicy.FAIL_OPEN, role=DeviceRole.GATE_EXIT
    )
    fill_store(store)
    blocked = qr_text(signed(pass_credential(ticket_id="00000000000000aa")))
    for text in [PASS_QR, blocked] * 100:
        runtime.handle(qr_event(text))

    assert gate.commands[-2] == GateCommand(Verdict.OPEN, JOURNAL_FAULT)
    assert gate.commands[-1].verdict is Verdict.DENY


def test_journal_recovers_once_space_is_back(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime(role=DeviceRole.GATE_EXIT)
    fill_store(store)
    for _ in range(200):
        runtime.handle(qr_event(PASS_QR))
    store.set_max_pages(1_000_000)
    outcome = runtime.handle(qr_event(PASS_QR))

    assert outcome.fault is None
    assert outcome.row is not None
    failure = runtime.status()["failure"]
    assert isinstance(failure, dict)
    assert failure["journal_fault"] is None


def drive(store: Store, chosen: str | None = None, finished: tuple[str, ...] = ()) -> None:
    """A driver's command, as ``faregate-agent trip`` writes it."""
    store.change_driver_trips(chosen, finished, T0, T0 - timedelta(days=3))


def test_bus_checks_reservations_against_its_current_trip(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime(bus_bundle(), role=DeviceRole.BUS, vehicle_id="bus-17", stop_id=None)
    runtime.set_stop("BEATTY_AIRPORT")
    runtime.handle(qr_event(late_ticket()))
    drive(store, finished=(EARLY,))
    runtime.handle(qr_event(late_ticket()))

    assert gate.commands == [
        GateCommand(Verdict.DENY, "reservation is for another trip"),
        GateCommand(Verdict.OPEN, "ok"),
    ]


def test_bus_driver_override_selects_the_trip(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime(bus_bundle(), role=DeviceRole.BUS, vehicle_id="bus-17", stop_id=None)
    runtime.set_stop("BULLFROG")
    drive(store, LATE)
    runtime.handle(qr_event(late_ticket()))
    runtime.set_stop("BEATTY_AIRPORT")
    runtime.handle(qr_event(late_ticket()))

    assert gate.commands == [
        GateCommand(Verdict.DENY, "reservation not from this stop"),
        GateCommand(Verdict.OPEN, "ok"),
    ]


def test_readers_in_threads_share_one_gate_and_one_journal(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store
) -> None:
    runtime = make_runtime()
    readers = [InjectedReader(f"reader-{n}") for n in range(4)]
    runtime.start(readers)
    tickets = [
        [qr_text(signed(pass_credential(ticket_id=f"{n:04x}{i:012x}"))) for i in range(25)]
        for n in range(4)
    ]

    def tap_all(reader: InjectedReader, texts: list[str]) -> None:
        for text in texts:
            reader.present(qr_event(text))
            reader.present(qr_event(text))  # the second is passback

    threads = [
        threading.Thread(target=tap_all, args=pair) for pair in zip(readers, tickets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rows = store.take_batch(1000)
    assert [r.seq for r in rows] == list(range(1, 201))
    assert sum(r.tap.allowed for r in rows) == 100
    assert [c.verdict for c in gate.commands].count(Verdict.OPEN) == 100
    assert runtime.status()["readers"] == {r.name: True for r in readers}
    runtime.stop()
    assert gate.closed


def test_housekeeping_forgets_entries_older_than_any_window(
    make_runtime: RuntimeFactory, store: Store, clock: ManualClock
) -> None:
    runtime = make_runtime()
    runtime.handle(qr_event(PASS_QR, clock.now()))
    runtime.maintain()
    assert store.last_entry("ticket:fedcba9876543210") is not None

    clock.advance(600 + 60 + 1)
    runtime.maintain()
    assert store.last_entry("ticket:fedcba9876543210") is None


def test_a_bus_journals_the_trip_instance_it_was_running_and_a_gate_none(
    make_runtime: RuntimeFactory, store: Store
) -> None:
    bus = make_runtime(bus_bundle(), role=DeviceRole.BUS, vehicle_id="bus-17", stop_id=None)
    bus.handle(uid_event(b"\x04\x01\x02\x03"))
    drive(store, finished=(EARLY,))
    bus.handle(qr_event(late_ticket()))
    make_runtime().handle(qr_event(PASS_QR))

    rows = store.take_batch(10)
    assert [row.tap.trip_instance for row in rows] == [EARLY, LATE, None]
    assert rows[0].to_wire()["trip_instance"] == EARLY
    assert "trip_instance" not in rows[2].to_wire()


def test_a_bus_without_rules_journals_the_drivers_trip_and_drops_an_overlong_one(
    make_runtime: RuntimeFactory, store: Store
) -> None:
    bus = make_runtime(install=False, role=DeviceRole.BUS, vehicle_id="bus-17", stop_id=None)
    drive(store, LATE)
    bus.handle(uid_event(b"\x04\x01\x02\x03"))
    drive(store, "X" * 150 + "@2026-06-01")  # longer than the server takes: not journaled
    bus.handle(uid_event(b"\x04\x01\x02\x03"))
    drive(store, "X@2026-05-29")  # its service day is over
    bus.handle(uid_event(b"\x04\x01\x02\x03"))

    assert [row.tap.trip_instance for row in store.take_batch(10)] == [LATE, None, None]


def test_a_bus_follows_its_timetable_through_the_day(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store, clock: ManualClock
) -> None:
    bus = make_runtime(bus_bundle(timed=True), role=DeviceRole.BUS, vehicle_id="bus-17",
                       stop_id=None)  # fmt: skip
    bus.set_stop("BEATTY_AIRPORT")
    bus.handle(qr_event(late_ticket(), clock.now()))  # 08:05: EARLY is running
    clock.advance(80 * 60)  # 09:25: LATE boards
    bus.handle(qr_event(late_ticket(), clock.now()))
    trip = bus.status()["trip"]

    assert [c.verdict for c in gate.commands] == [Verdict.DENY, Verdict.OPEN]
    rows = store.take_batch(10)
    assert [(row.tap.reason, row.tap.trip_instance) for row in rows] == [
        ("wrong_trip", EARLY), (None, LATE)]  # fmt: skip
    assert trip == {"vehicle_id": "bus-17", "instance": LATE, "source": "timetable"}


def test_a_running_bus_obeys_a_drivers_command_from_its_next_tap(
    make_runtime: RuntimeFactory, gate: RecordingGate, store: Store, clock: ManualClock
) -> None:
    bus = make_runtime(bus_bundle(timed=True), role=DeviceRole.BUS, vehicle_id="bus-17",
                       stop_id=None)  # fmt: skip
    bus.set_stop("BEATTY_AIRPORT")
    bus.handle(qr_event(late_ticket(1), clock.now()))
    drive(store, LATE)
    bus.handle(qr_event(late_ticket(2), clock.now()))
    chosen = bus.status()["trip"]
    drive(store)
    bus.handle(qr_event(late_ticket(3), clock.now()))

    assert [c.verdict for c in gate.commands] == [Verdict.DENY, Verdict.OPEN, Verdict.DENY]
    rows = [(row.tap.reason, row.tap.trip_instance) for row in store.take_batch(10)]
    assert rows == [("wrong_trip", EARLY), (None, LATE), ("wrong_trip", EARLY)]
    assert chosen == {"vehicle_id": "bus-17", "instance": LATE, "source": "driver"}
    assert make_runtime().status()["trip"] is None  # a gate runs no trip

"""The validator loop: a reader's event → decision → committed journal row → gate command.

Order per tap, under one lock shared by every reader (so decisions and passback history
are serialized): build the presented media and tap context, ``fares.decide`` against the
bundle in force and the store's passback history, commit the journal row (with its
passback entry, in the same transaction), then drive every gate. A tap is journaled before
the gate moves, so a kill -9 after the gate opened cannot lose it. A bus journals the trip
instance it was running, so that the server can place the boarding when it prices taps: the
one its ``TripKeeper`` gives at the tap's time (``validator_agent.trip_timetable``), which
the decision checks reservations against too.

Failure policy (``policy.on_failure``):
- no bundle in force: ``fail_closed`` shows OUT_OF_SERVICE, ``fail_open`` opens; the tap
  is journaled either way with reason ``no_bundle`` (allowed per the policy);
- journal append fails (disk full, I/O error): ``fail_closed`` shows OUT_OF_SERVICE for
  every tap; ``fail_open`` opens for a tap the rules allowed, with "journal fault" on the
  display, and still denies a tap the rules denied (a fault in recording never turns a
  revoked ticket into a pass). The fault is counted and reported until an append succeeds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fares.bundle import BundleRefusal, RuleBundle
from fares.decide import decide
from fares.reasons import Decision
from fares.rules import DeviceRole
from fares.tap import PresentedMedia, TapContext
from hardware.ports import Gate, GateCommand, MediaEvent, MediaReader, Verdict
from validator_agent.bundles import BundleKeeper, InstallRefusal
from validator_agent.clock import Clock
from validator_agent.config import AgentConfig, FailurePolicy
from validator_agent.driver_trips import TripKeeper, trip_report
from validator_agent.errors import JournalError
from validator_agent.journal import MAX_TRIP_INSTANCE, NO_BUNDLE, JournalRow, TapRecord
from validator_agent.presentation import presented_media, tap_fingerprint
from validator_agent.status import agent_status
from validator_agent.store import Store
from validator_agent.trip_timetable import CurrentTrip

log = logging.getLogger(__name__)
JOURNAL_FAULT = "journal fault"
NO_RULES = "no rules"


@dataclass(frozen=True, slots=True)
class TapOutcome:
    """What became of one tap: the gate command, the decision and the committed row."""

    command: GateCommand
    decision: Decision | None
    row: JournalRow | None
    fault: str | None = None


@dataclass(slots=True)
class _FaultState:
    code: str | None = None
    since: datetime | None = None
    lost_taps: int = 0


class Runtime:
    """One validator: its readers feed ``on_media``; its gates show the answers."""

    def __init__(
        self,
        config: AgentConfig,
        store: Store,
        bundles: BundleKeeper,
        gates: Sequence[Gate],
        clock: Clock,
    ) -> None:
        self._config, self._store, self._bundles = config, store, bundles
        self._gates, self._clock = tuple(gates), clock
        self._lock = threading.Lock()
        self._fault = _FaultState()
        self._trips: TripKeeper | None = None
        if config.role is DeviceRole.BUS and config.vehicle_id is not None:
            self._trips = TripKeeper(store, config.vehicle_id, config.trips)
        self._stop_override: str | None = None
        self._readers: tuple[MediaReader, ...] = ()

    def start(self, readers: Iterable[MediaReader]) -> None:
        """Start every reader with this runtime as its callback."""
        self._readers = tuple(readers)
        for reader in self._readers:
            reader.start(self.on_media)

    def stop(self) -> None:
        """Stop the readers and release the gates."""
        for reader in self._readers:
            reader.stop()
        for gate in self._gates:
            gate.close()

    def on_media(self, event: MediaEvent) -> None:
        """The readers' callback."""
        self.handle(event)

    def handle(self, event: MediaEvent) -> TapOutcome:
        """Decide, journal and answer one presentation."""
        with self._lock:
            at = event.at if event.at.tzinfo is not None else self._clock.now()
            media = presented_media(event)
            bundle = self._bundles.current
            trip = self._trip(at, bundle)
            decision = None if bundle is None else self._decide(media, at, bundle, trip)
            record = self._record(media, at, bundle, decision, trip)
            try:
                key = decision.history_key if decision is not None else None
                row = self._store.append_tap(record, key)
            except JournalError as error:
                outcome = self._journal_failed(error, decision)
            else:
                self._journal_ok()
                outcome = TapOutcome(self._command(record, decision), decision, row)
            self._show(outcome.command)
            return outcome

    def _decide(
        self, media: PresentedMedia, at: datetime, bundle: RuleBundle, trip: str | None
    ) -> Decision:
        return decide(media, self._context(at, trip), bundle, self._store)

    def context(self, at: datetime, bundle: RuleBundle) -> TapContext:
        """The tap context at ``at``: configured place, or a bus's stop and trip instance."""
        return self._context(at, self._trip(at, bundle))

    def _context(self, at: datetime, trip: str | None) -> TapContext:
        config = self._config
        stop = self._stop_override if self._stop_override is not None else config.stop_id
        return TapContext(at, config.device_id, config.role, stop, config.area_ids,
                          config.network_id, None, trip)  # fmt: skip

    def _trip(self, at: datetime, bundle: RuleBundle | None) -> str | None:
        """A bus's trip instance at ``at``: the driver's choice, else its timetable's."""
        current = self.current_trip(at, bundle)
        return None if current is None else current.instance

    def current_trip(self, at: datetime, bundle: RuleBundle | None) -> CurrentTrip | None:
        """A bus's current trip and where it comes from (None at a gate)."""
        return None if self._trips is None else self._trips.current(bundle, at)

    def _record(
        self, media: PresentedMedia, at: datetime, bundle: RuleBundle | None,
        decision: Decision | None, trip: str | None,
    ) -> TapRecord:  # fmt: skip
        fingerprint = tap_fingerprint(media, decision)
        if trip is not None and len(trip) > MAX_TRIP_INSTANCE:
            trip = None  # the server could not take it; the tap itself must still upload
        if decision is None:
            allowed = self._config.failure_policy is FailurePolicy.FAIL_OPEN
            return TapRecord(
                at, media.kind, fingerprint, None, None, allowed, NO_BUNDLE, None, trip
            )
        reason = None if decision.reason is None else decision.reason.value
        version = None if bundle is None else bundle.version
        return TapRecord(at, media.kind, fingerprint, decision.ticket_id, decision.product_id,
                         decision.allowed, reason, version, trip)  # fmt: skip

    def _command(self, record: TapRecord, decision: Decision | None) -> GateCommand:
        if decision is None:
            verdict = Verdict.OPEN if record.allowed else Verdict.OUT_OF_SERVICE
            return GateCommand(verdict, NO_RULES)
        return GateCommand(Verdict.OPEN if decision.allowed else Verdict.DENY, decision.explanation)

    def _journal_failed(self, error: JournalError, decision: Decision | None) -> TapOutcome:
        fault = self._fault
        if fault.code != error.code:
            log.error("journal append failed: %s (%s)", error.code, error.message)
            fault.code, fault.since = error.code, self._clock.now()
            self._record_fault({"code": error.code, "since": fault.since.isoformat()})
        fault.lost_taps += 1
        opens = self._config.failure_policy is FailurePolicy.FAIL_OPEN and (
            decision is None or decision.allowed
        )
        if opens:
            command = GateCommand(Verdict.OPEN, JOURNAL_FAULT)
        elif self._config.failure_policy is FailurePolicy.FAIL_OPEN and decision is not None:
            command = GateCommand(Verdict.DENY, decision.explanation)
        else:
            command = GateCommand(Verdict.OUT_OF_SERVICE, JOURNAL_FAULT)
        return TapOutcome(command, decision, None, error.code)

    def _journal_ok(self) -> None:
        if self._fault.code is not None:
            log.warning("journal recovered after %s", self._fault.code)
            self._fault.code, self._fault.since = None, None
            self._record_fault(None)

    def _record_fault(self, fault: dict[str, str] | None) -> None:
        """Keep the fault state for ``faregate-agent status``, if the store can still write."""
        # The store is what failed; the running agent still reports the fault itself.
        with contextlib.suppress(JournalError):
            self._store.set_meta("journal_fault", "" if fault is None else json.dumps(fault))

    def _show(self, command: GateCommand) -> None:
        for gate in self._gates:
            try:
                gate.show(command)
            except Exception:  # a driver broke its contract; the other gates still answer
                log.exception("gate %s raised on %s", gate.name, command.verdict.value)

    def install_bundle(self, blob: bytes) -> RuleBundle | BundleRefusal | InstallRefusal:
        """Verify and install a new bundle; a refusal leaves the last good one in force."""
        return self._bundles.install(blob)

    def set_stop(self, stop_id: str | None) -> None:
        """The stop where the bus is now (None: the configured one)."""
        with self._lock:
            self._stop_override = stop_id

    def maintain(self) -> None:
        """Housekeeping between taps: forget passback entries older than any window."""
        bundle = self._bundles.current
        if bundle is None:
            return
        window = max(bundle.passback_s.values(), default=0) + bundle.clock_skew_s
        try:
            self._store.prune_history(self._clock.now() - timedelta(seconds=window))
        except JournalError as error:
            log.warning("history pruning failed: %s", error.code)

    def status(self) -> dict[str, object]:
        """The store's status plus what only the running agent knows."""
        report = agent_status(self._store)
        bundle = self._bundles.current
        refusal = self._bundles.last_refusal
        fault = self._fault
        report["bundle_in_force"] = None if bundle is None else bundle.version
        report["last_refusal"] = None if refusal is None else {
            "code": refusal.code, "at": refusal.at.isoformat()}  # fmt: skip
        report["failure"] = {
            "journal_fault": fault.code,
            "since": None if fault.since is None else fault.since.isoformat(),
            "lost_taps": fault.lost_taps,
            "bundle_store_fault": self._bundles.store_fault,
        }
        report["readers"] = {reader.name: reader.healthy() for reader in self._readers}
        report["trip"] = trip_report(self._config, self.current_trip(self._clock.now(), bundle))
        return report

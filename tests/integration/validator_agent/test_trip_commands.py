"""``faregate-agent trip set|clear|end`` and ``status`` on a bus's store file, while a
runtime of the same agent decides taps over its own connection to that file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fares.bundle import RuleBundle
from fares.rules import DeviceRole
from hardware.ports import Verdict
from tests.unit.fares.builders import T0, TRUSTED
from tests.unit.validator_agent.bus_day import EARLY, LATE, bus_bundle, late_ticket
from tests.unit.validator_agent.fakes import ManualClock, RecordingGate, agent_config, qr_event
from tests.unit.validator_agent.test_config import STORE_TRUST_POLICY
from validator_agent import cli
from validator_agent.bundles import BundleKeeper
from validator_agent.runtime import Runtime
from validator_agent.store import Store

CONFIG = """
[device]
id = "bus-17-front"
role = "{role}"
stop_id = "BEATTY_AIRPORT"
vehicle_id = "bus-17"
[server]
urls = ["http://127.0.0.1:9"]
[devices]
readers = ["wedge:stdin"]
gates = ["console:"]
"""


class BusAgent:
    """A bus agent's files, the faregate-agent command on them, and its running runtime."""

    def __init__(self, folder: Path, role: str = "bus") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "agent.toml"
        self.config.write_text(CONFIG.format(role=role) + STORE_TRUST_POLICY)
        self.clock = ManualClock(T0 + timedelta(minutes=5))  # EARLY runs 08:00-09:00
        self.gate = RecordingGate()
        self.store = Store.open(folder / "agent.db")
        config = replace(
            agent_config(folder / "agent.db"), device_id="bus-17-front", role=DeviceRole(role),
            stop_id="BEATTY_AIRPORT", vehicle_id="bus-17",
        )  # fmt: skip
        keeper = BundleKeeper(self.store, TRUSTED, self.clock)
        self.runtime = Runtime(config, self.store, keeper, [self.gate], self.clock)

    def install(self, blob: bytes) -> None:
        assert isinstance(self.runtime.install_bundle(blob), RuleBundle)

    def command(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
        """Run ``faregate-agent ARGS --config FILE`` at the clock's time; (status, JSON)."""
        status = cli.main([*args, "--config", str(self.config)], clock=self.clock)
        out, err = capsys.readouterr()
        return status, json.loads(out if status == 0 else err)

    def tap(self, number: int) -> tuple[Verdict, str | None, str | None]:
        outcome = self.runtime.handle(qr_event(late_ticket(number), self.clock.now()))
        assert outcome.row is not None
        return outcome.command.verdict, outcome.row.tap.reason, outcome.row.tap.trip_instance


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[BusAgent]:
    agent = BusAgent(tmp_path)
    agent.install(bus_bundle(timed=True))
    yield agent
    agent.store.close()


def test_a_tap_after_trip_set_is_judged_and_journaled_against_the_drivers_trip(
    bus: BusAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bus.tap(1) == (Verdict.DENY, "wrong_trip", EARLY)
    assert bus.command(capsys, "trip", "set", LATE) == (
        0, {"trip": {"vehicle_id": "bus-17", "instance": LATE, "source": "driver"}})  # fmt: skip
    assert bus.tap(2) == (Verdict.OPEN, None, LATE)
    _, status = bus.command(capsys, "status")
    assert status["trip"] == {"vehicle_id": "bus-17", "instance": LATE, "source": "driver"}
    assert bus.runtime.status()["trip"] == status["trip"]

    assert bus.command(capsys, "trip", "clear")[1]["trip"]["source"] == "timetable"
    assert bus.tap(3) == (Verdict.DENY, "wrong_trip", EARLY)
    assert [row.tap.trip_instance for row in bus.store.take_batch(10)] == [EARLY, LATE, EARLY]


def test_trip_end_finishes_the_current_trip_and_the_next_one_follows(
    bus: BusAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    _, ended = bus.command(capsys, "trip", "end")
    assert ended["trip"] == {"vehicle_id": "bus-17", "instance": LATE, "source": "timetable"}
    assert bus.tap(1) == (Verdict.OPEN, None, LATE)

    _, ended = bus.command(capsys, "trip", "end")
    assert ended["trip"] == {"vehicle_id": "bus-17", "instance": None, "source": None}
    assert bus.command(capsys, "trip", "end")[1]["error"]["code"] == "no_current_trip"
    # Choosing a finished trip again runs it: the driver knows best.
    assert bus.command(capsys, "trip", "set", EARLY)[1]["trip"]["instance"] == EARLY
    assert bus.tap(2) == (Verdict.DENY, "wrong_trip", EARLY)


@pytest.mark.parametrize(
    ("trip", "code"),
    [
        ("NOPE@2026-06-01", "unknown_trip_instance"),
        ("RUSH041", "invalid_trip_instance"),
        ("RUSH041@June", "invalid_trip_instance"),
        ("R" * 160 + "@2026-06-01", "invalid_trip_instance"),
    ],
)
def test_a_refused_trip_set_says_why_and_changes_nothing(
    bus: BusAgent, capsys: pytest.CaptureFixture[str], trip: str, code: str
) -> None:
    bus.command(capsys, "trip", "set", LATE)
    before = bus.store.driver_trips()

    status, answer = bus.command(capsys, "trip", "set", trip)

    assert (status, answer["error"]["code"]) == (2, code)
    assert bus.store.driver_trips() == before
    assert bus.tap(1) == (Verdict.OPEN, None, LATE)


def test_a_trip_long_over_cannot_be_chosen(
    bus: BusAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    bus.clock.advance(6 * 3600)  # EARLY ended at 09:00; a choice holds for 4 hours after
    assert bus.command(capsys, "trip", "set", EARLY)[1]["error"]["code"] == "trip_over"
    assert bus.command(capsys, "trip", "set", LATE)[1]["trip"]["source"] == "driver"


def test_trip_commands_need_a_bus_with_a_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = BusAgent(tmp_path / "bus")
    gate = BusAgent(tmp_path / "gate", role="gate_entry")
    gate.install(bus_bundle(timed=True))
    try:
        assert bare.command(capsys, "trip", "set", LATE)[1]["error"]["code"] == "no_bundle"
        assert bare.command(capsys, "trip", "end")[1]["error"]["code"] == "no_current_trip"
        for args in (("set", LATE), ("clear",), ("end",)):
            assert gate.command(capsys, "trip", *args)[1]["error"]["code"] == "not_a_bus"
        assert bare.store.driver_trips().changes == gate.store.driver_trips().changes == 0
        assert gate.command(capsys, "status")[1]["trip"] is None
        assert bare.command(capsys, "status")[1]["trip"] == {
            "vehicle_id": "bus-17", "instance": None, "source": None}  # fmt: skip
    finally:
        bare.store.close()
        gate.store.close()


def test_a_bundle_without_times_runs_the_list_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bus = BusAgent(tmp_path)
    bus.install(bus_bundle(timed=False))
    try:
        bus.clock.advance(3 * 3600)  # the time of day does not matter without times
        assert bus.command(capsys, "status")[1]["trip"]["source"] == "assignment"
        assert bus.tap(1) == (Verdict.DENY, "wrong_trip", EARLY)
        assert bus.command(capsys, "trip", "end")[1]["trip"]["instance"] == LATE
        assert bus.tap(2) == (Verdict.OPEN, None, LATE)
    finally:
        bus.store.close()

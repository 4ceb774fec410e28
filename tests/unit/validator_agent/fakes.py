"""Hand-written fakes for the agent tests: a clock, readers, gates and a ready config."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from fares.rules import DeviceRole
from hardware.ports import GateCommand, MediaCallback, MediaEvent, MediaReader, Technology
from tests.unit.fares.builders import T0, TRUSTED
from validator_agent.config import AgentConfig, FailurePolicy

NOW = T0 + timedelta(minutes=5)


class ManualClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class RecordingGate:
    """Keeps every command it was shown."""

    def __init__(self, name: str = "gate") -> None:
        self.name = name
        self.commands: list[GateCommand] = []
        self.closed = False

    def show(self, command: GateCommand) -> None:
        self.commands.append(command)

    def close(self) -> None:
        self.closed = True


class InjectedReader:
    """A reader whose presentations the test injects."""

    def __init__(self, name: str = "reader") -> None:
        self.name = name
        self.callback: MediaCallback | None = None
        self.started = threading.Event()

    def start(self, on_media: MediaCallback) -> None:
        self.callback = on_media
        self.started.set()

    def stop(self) -> None:
        self.callback = None

    def healthy(self) -> bool:
        return self.callback is not None

    def present(self, event: MediaEvent) -> None:
        assert self.callback is not None
        self.callback(event)


class FakeDevices:
    """A device factory handing out the given fakes."""

    def __init__(self, readers: list[MediaReader], gates: list[RecordingGate]) -> None:
        self.readers, self.gates = list(readers), list(gates)
        self.specs: list[str] = []

    def reader(self, spec: str) -> MediaReader:
        self.specs.append(spec)
        return self.readers.pop(0)

    def gate(self, spec: str) -> RecordingGate:
        self.specs.append(spec)
        return self.gates.pop(0)


def qr_event(text: str, at: datetime = NOW) -> MediaEvent:
    return MediaEvent("scanner", Technology.QR, at, payload=text)


def ndef_event(message: bytes, at: datetime = NOW) -> MediaEvent:
    return MediaEvent("nfc", Technology.NFC_TYPE2, at, uid=b"\x04\x11\x22\x33", payload=message)


def uid_event(uid: bytes, at: datetime = NOW) -> MediaEvent:
    return MediaEvent("nfc", Technology.NFC_UID, at, uid=uid)


def agent_config(store_path: Path = Path(":memory:"), **changes: object) -> AgentConfig:
    """An entry gate at STAGECOACH in zone_a, failing closed."""
    config = AgentConfig(
        device_id="gate-1",
        role=DeviceRole.GATE_ENTRY,
        stop_id="STAGECOACH",
        area_ids=frozenset({"zone_a"}),
        network_id=None,
        vehicle_id=None,
        server_urls=("http://127.0.0.1:9",),
        sync_interval_s=30,
        readers=("fake:1",),
        gates=("fake:1",),
        store_path=store_path,
        trusted_keys=TRUSTED,
        failure_policy=FailurePolicy.FAIL_CLOSED,
    )
    return replace(config, **changes)  # type: ignore[arg-type]

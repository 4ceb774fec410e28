"""``faregate-agent run`` with in-process fake devices, and ``status`` as JSON."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fares.media import qr_text
from hardware.ports import Verdict
from tests.unit.fares.builders import pass_credential, signed
from tests.unit.validator_agent.fakes import FakeDevices, InjectedReader, RecordingGate, qr_event
from tests.unit.validator_agent.test_config import STORE_TRUST_POLICY
from validator_agent import cli

CONFIG = """
[device]
id = "gate-1"
role = "gate_entry"
stop_id = "CENTRAL"
area_ids = ["zone_a"]
[server]
urls = ["http://127.0.0.1:9"]
sync_interval_s = 1
[devices]
readers = ["fake:"]
gates = ["fake:"]
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(CONFIG + STORE_TRUST_POLICY)
    return path


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_run_answers_taps_until_terminated(
    config_file: Path, restore_signals: None, capsys: pytest.CaptureFixture[str]
) -> None:
    reader, gate = InjectedReader(), RecordingGate()

    def presenter() -> None:
        reader.started.wait(10)
        reader.present(qr_event(qr_text(signed(pass_credential()))))
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=presenter)
    thread.start()
    status = cli.main(["run", "--config", str(config_file)], FakeDevices([reader], [gate]))
    thread.join()

    assert status == 0
    # No bundle was ever installed and the policy fails closed.
    assert [c.verdict for c in gate.commands] == [Verdict.OUT_OF_SERVICE]
    assert gate.closed
    assert cli.main(["status", "--config", str(config_file)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device_id"] == "gate-1"
    assert report["journal"] == {"ready": 1, "in_flight": 0, "last_seq": 1, "ack_watermark": 0}
    assert report["bundle"] is None


def test_bad_config_prints_a_coded_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("[device\n")

    assert cli.main(["status", "--config", str(path)]) == 2
    assert json.loads(capsys.readouterr().err)["error"]["code"] == "config_not_toml"


def test_missing_config_prints_a_coded_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--config", str(tmp_path / "nope.toml")]) == 2
    assert json.loads(capsys.readouterr().err)["error"]["code"] == "config_unreadable"

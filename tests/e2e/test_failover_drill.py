"""The replica failover drill as an operator runs it (``scripts/failover_drill.py``): two real
PostgreSQL clusters, ``faregate serve`` on the multi-host URL, bookings through the HTTP API,
the primary crashed and the standby promoted mid-stream.

The WAL is held back from the standby for a moment before the crash (``--lag``), as a slow
link would leave it behind. With synchronous replication no booking a traveler was told is
confirmed may go missing; the same drill with asynchronous replication, run beside it, is the
control: it must find bookings missing, which shows the drill sees a loss when there is one.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.ops.clusters import find_server_binaries

pytestmark = [pytest.mark.failover, pytest.mark.postgres]

DRILL = Path(__file__).resolve().parents[2] / "scripts" / "failover_drill.py"
ARGUMENTS = ("--clients", "3", "--before", "25", "--after", "10", "--lag", "1.5")
DRILL_TIMEOUT_S = 240


def run_drills(*modes: str) -> dict[str, tuple[int, dict[str, Any], str]]:
    """Run one drill per mode side by side; (exit status, last line's JSON, output) by mode."""
    drills = {
        mode: subprocess.Popen(
            [sys.executable, str(DRILL), "--mode", mode, *ARGUMENTS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for mode in modes
    }
    outputs: dict[str, tuple[int, dict[str, Any], str]] = {}
    try:
        for mode, drill in drills.items():
            output, _ = drill.communicate(timeout=DRILL_TIMEOUT_S)
            lines = output.strip().splitlines()
            figures = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
            outputs[mode] = (drill.returncode, figures, output)
    finally:
        for drill in drills.values():
            _stop(drill)
    return outputs


def _stop(drill: subprocess.Popen[str]) -> None:
    """Let a drill that is still running clean up (SIGTERM), then kill it."""
    if drill.poll() is None:
        drill.send_signal(signal.SIGTERM)
        try:
            drill.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            drill.kill()
            drill.communicate()


def test_a_synchronous_standby_keeps_every_confirmed_booking_through_a_failover() -> None:
    if find_server_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")

    drills = run_drills("synchronous", "asynchronous")

    status, figures, output = drills["synchronous"]
    assert status == 0, output
    assert figures["mode"] == "synchronous"
    assert figures["confirmed_before"] >= 25
    assert figures["missing_after_failover"] == 0
    assert figures["confirmed_after"] >= 10
    assert figures["missing_confirmed_after"] == 0
    assert 0 < figures["recovery_s"] < 30
    assert "recovery: first booking confirmed" in output
    # Requests caught by the crash were refused cleanly and retried; none was a 500.
    assert figures["refusals"]["database_unavailable"] >= 1
    assert figures["server_errors"] == 0
    assert figures["job_runner_survived"]
    assert figures["jobs_resumed_s"] is not None

    status, control, output = drills["asynchronous"]
    assert status == 0, output  # a loss is reported, not failed, without synchronous replication
    assert control["missing_after_failover"] > 0, output
    assert control["confirmed_after"] >= 10

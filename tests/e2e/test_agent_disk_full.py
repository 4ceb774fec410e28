"""A validator whose journal disk fills up follows its failure policy, says so, and keeps
every row it had journaled intact and on its way to the server.

The disk is real: a 2 MiB tmpfs holding the agent's store, in a private mount namespace
(``tests.harness.full_disk``), filled by a ballast file as another program on the device
would fill it. sqlite meets ENOSPC there as on any full disk, so this is the agent's whole
stack under the fault, not a rehearsal of it. (RLIMIT_FSIZE gives EFBIG, which sqlite
reports as an I/O error rather than a full disk, and ``PRAGMA max_page_count`` is set per
connection, so neither could fill the disk under a separate agent process.)
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fares.media import parse_qr_text
from fares.reasons import EXPLANATIONS, DenyReason
from tests.harness.agent_process import AgentFactory, AgentProcess, GateAnswer, wait_until
from tests.harness.device_link import DeviceLink
from tests.harness.full_disk import MountNamespaceUnavailableError, SmallDisk
from tests.harness.server_process import FaregateServer, StoredTap
from tests.harness.todays_feed import next_city_run

pytestmark = pytest.mark.postgres
DISK_KIB = 2048
ROUNDS = 5  # each round taps a valid ticket and an unreadable code
JOURNAL_FAULT = "journal fault"
OPEN_OK = GateAnswer("open", "ok")
# Run inside the disk's namespace once the agent stopped: store integrity and journal rows.
INSPECT = (
    "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], uri=True); "
    "print(db.execute('PRAGMA integrity_check').fetchone()[0], "
    "db.execute('SELECT count(*) FROM journal').fetchone()[0])"
)
UNREADABLE = GateAnswer("deny", EXPLANATIONS[DenyReason.MALFORMED][:32])
# The answers to the valid ticket and to the unreadable code while no tap can be journaled:
# fail_open lets the ticket through and still denies what the rules deny; fail_closed shuts.
ANSWERS_WHILE_FULL = {
    "fail_open": [GateAnswer("open", JOURNAL_FAULT), UNREADABLE],
    "fail_closed": [GateAnswer("out_of_service", JOURNAL_FAULT)] * 2,
}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", DISK_KIB)
    try:
        disk.mount()
    except MountNamespaceUnavailableError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no private mount namespace for a small disk: {error}")
        pytest.skip(f"no private mount namespace for a small disk: {error}")
    yield disk
    disk.unmount()


def fingerprint_of_code(text: str) -> str:
    """What the agent journals for a scanned code: the credential's hash, or the text's."""
    blob = parse_qr_text(text)
    return hashlib.sha256(blob if isinstance(blob, bytes) else text.encode()).hexdigest()


def tap_rounds(agent: AgentProcess, qr_text: str, label: str) -> list[tuple[str, GateAnswer]]:
    """Present the ticket and an unreadable code ``ROUNDS`` times; (code, answer) pairs."""
    answers = []
    for number in range(ROUNDS):
        for code in (qr_text, f"{label}-{number}"):
            answers.append((code, agent.tap(code)))
    return answers


def journal_row(code: str, answer: GateAnswer) -> tuple[str, bool, str | None]:
    """(fingerprint, allowed, reason) the server should hold for a tap the gate answered."""
    opened = answer.verdict == "open"
    return fingerprint_of_code(code), opened, None if opened else DenyReason.MALFORMED.value


def journaled(stored: list[StoredTap]) -> list[tuple[str, bool, str | None]]:
    """(fingerprint, allowed, reason) of the server's rows, in sequence order."""
    return [(tap.fingerprint, tap.allowed, tap.reason) for tap in stored]


@pytest.mark.parametrize("policy", ["fail_open", "fail_closed"])
def test_a_full_journal_disk_follows_the_policy_and_keeps_journaled_rows_intact(
    policy: str,
    live_server: FaregateServer,
    device_link: DeviceLink,
    make_agent: AgentFactory,
    small_disk: SmallDisk,
) -> None:
    device = f"gate-full-{policy}"
    ticket = live_server.book(next_city_run(datetime.now(UTC)), "STAGECOACH", "NADAV", 1)
    qr_text = ticket.tickets[0].qr_text
    store = small_disk.mountpoint / "agent.db"
    # An exit gate checks no passback: the same ticket opens it every time.
    agent = make_agent(
        device, via=device_link.url, store_path=store, wrap=small_disk.wrap,
        role="gate_exit", on_failure=policy,
    )  # fmt: skip
    agent.start()
    agent.bundle_version()
    device_link.down = True  # the journal keeps what follows until after the fault

    before = tap_rounds(agent, qr_text, "BEFORE")
    assert [answer for _, answer in before] == [OPEN_OK, UNREADABLE] * ROUNDS
    small_disk.fill()
    assert small_disk.available_kib() == 0

    during = tap_rounds(agent, qr_text, "DURING")
    assert [answer for _, answer in during] == ANSWERS_WHILE_FULL[policy] * ROUNDS
    status = agent.status()
    assert status["store"] == {"writable": False, "fault": "journal_full", "free_bytes": 0}
    assert status["journal"]["ready"] == status["journal"]["last_seq"] == 2 * ROUNDS
    log = (agent.folder / "agent.log").read_text()
    assert "journal append failed: journal_full" in log

    # The link comes back while the disk is still full: the rows go up all the same.
    expected = [journal_row(code, answer) for code, answer in before]
    device_link.down = False
    wait_until(lambda: live_server.tap_count(device) >= 2 * ROUNDS, 120, "the upload")
    assert journaled(live_server.taps(device)) == expected

    small_disk.free()
    after = tap_rounds(agent, qr_text, "AFTER")
    assert [answer for _, answer in after] == [OPEN_OK, UNREADABLE] * ROUNDS
    journal = agent.drained(timeout=120)
    assert agent.status()["store"]["writable"] is True
    assert agent.stop() == 0

    stored = live_server.taps(device)
    assert journal["last_seq"] == len(stored) == 4 * ROUNDS  # the refused taps took no number
    assert [tap.sequence for tap in stored] == list(range(1, 4 * ROUNDS + 1))
    assert len({tap.nonce for tap in stored}) == len(stored)  # sent again and again, kept once
    assert journaled(stored) == expected + [journal_row(code, answer) for code, answer in after]
    inspected = small_disk.run(sys.executable, "-c", INSPECT, f"file:{store}?mode=rw")
    assert inspected.stdout.split() == ["ok", "0"], inspected  # intact, and every row acked

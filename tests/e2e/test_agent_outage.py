"""A validator keeps deciding while the server is down, and every tap it made reaches the
server exactly once when the server is back."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.harness.agent_process import AgentFactory, ScannerPty
from tests.harness.server_process import FaregateServer

pytestmark = pytest.mark.postgres
TAPS = 10_000
UP_BEFORE_CRASH = 1_000  # taps answered before the server is killed
DRAIN_S = 180.0  # the agent backs off while no server answers: 2, 4, 8 ... s (jittered)


def fingerprint(line: str) -> str:
    """What the agent journals for a scanned line that holds no credential."""
    return hashlib.sha256(line.encode()).hexdigest()


@pytest.fixture
def scanner() -> Iterator[ScannerPty]:
    pty = ScannerPty()
    yield pty
    pty.close()


def test_taps_made_while_the_server_is_down_reach_it_exactly_once(
    live_server: FaregateServer, make_agent: AgentFactory, scanner: ScannerPty
) -> None:
    agent = make_agent("gate-outage", reader=f"serial:{scanner.device}")
    agent.start()
    agent.bundle_version()
    # The scanner's port flushes its input when the agent opens it: scan until one answers.
    probes: list[str] = []
    while not agent.answered():
        assert len(probes) < 50, "the agent never answered the scanner"
        probes.append(f"PROBE-{len(probes)}")
        scanner.type_lines(probes[-1:])
        time.sleep(0.2)
    first = agent.answered()

    lines = [f"OUTAGE-{n:05d}" for n in range(TAPS)]
    typist = threading.Thread(target=scanner.type_lines, args=(lines,))
    typist.start()
    agent.wait_answers(first + UP_BEFORE_CRASH)
    live_server.kill()  # SIGKILL to gunicorn, its workers and its job runner, mid-stream
    answers = agent.wait_answers(first + TAPS, timeout=120)
    typist.join(60)
    offline = agent.status()["journal"]
    assert offline["ready"] + offline["in_flight"] > 0, offline  # held while the server is down

    live_server.start()
    journal = agent.drained(timeout=DRAIN_S)
    assert agent.stop() == 0
    answered = len(agent.current.answers)
    assert journal["last_seq"] == answered  # every answer was a journaled tap, and only those

    stored = live_server.taps("gate-outage")
    assert [tap.sequence for tap in stored] == list(range(1, answered + 1))  # no gap, no twin
    assert len({tap.nonce for tap in stored}) == len(stored)
    counts = Counter(tap.fingerprint for tap in stored)
    assert all(counts[fingerprint(line)] == 1 for line in lines)
    assert set(counts) - {fingerprint(line) for line in lines} <= {fingerprint(p) for p in probes}
    assert {answer.verdict for answer in answers[first:]} == {"deny"}  # no line is a ticket

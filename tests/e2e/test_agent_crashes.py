"""kill -9 of a validator at random points of its taps and syncs loses no tap the gate
answered and stores none twice.

A tap is *acknowledged* when the agent's console gate answers it: the runtime commits the
journal row before it drives the gate. Each agent process reads a fresh standard input, so
the n-th answer of a process is its n-th line, and the server must end up with exactly the
acknowledged lines of each process, in order, plus at most the one line per process whose
row was committed when the kill came before its answer. The points are chosen by a random
generator whose seed the test prints; ``FAREGATE_E2E_SEED=<seed>`` replays the same kinds of
point in the same order with the same counts and delays (where a kill lands within a process
still depends on timing):

- ``tapping``: after a random number of answers;
- ``starting``: a random moment after the process started (restoring, resuming, syncing);
- ``upload_held``: while an upload is on its way, which the server then never receives;
- ``answer_lost``: after the server stored an upload, before its answer reaches the agent;
- ``bundle_held``: while the agent downloads its bundle.
"""

from __future__ import annotations

import hashlib
import os
import random
import time

import pytest

from tests.harness.agent_process import AgentFactory, AgentRun
from tests.harness.device_link import BUNDLE_PATH, TAPS_PATH, DeviceLink, Hold
from tests.harness.server_process import FaregateServer

pytestmark = pytest.mark.postgres
POINTS = ("tapping", "starting", "upload_held", "answer_lost", "bundle_held")
KILLS_PER_POINT = 5
LINES_PER_RUN = 1_500
TAPS_PER_SECOND = 800.0
HOLDS = {
    "upload_held": (TAPS_PATH, False),
    "answer_lost": (TAPS_PATH, True),
    "bundle_held": (BUNDLE_PATH, True),
}


def fingerprint(line: str) -> str:
    """What the agent journals for a scanned line that holds no credential."""
    return hashlib.sha256(line.encode()).hexdigest()


def kill_at(point: str, run: AgentRun, hold: Hold | None, rng: random.Random) -> None:
    """Wait until ``point`` is reached in ``run``."""
    if point == "tapping":
        wanted = rng.randint(1, LINES_PER_RUN - 1)
        while len(run.answers) < wanted and run.process.poll() is None:
            time.sleep(0.005)
    elif point == "starting":
        time.sleep(rng.uniform(0.0, 1.0))
    else:
        assert hold is not None
        assert hold.arrived.wait(60), f"no {hold.path} request reached the link"


def test_kill_9_at_random_points_loses_no_answered_tap_and_stores_none_twice(
    live_server: FaregateServer, device_link: DeviceLink, make_agent: AgentFactory
) -> None:
    seed = int(os.environ.get("FAREGATE_E2E_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill -9 points: seed {seed} (FAREGATE_E2E_SEED={seed} replays them)")
    rng = random.Random(seed)  # noqa: S311 - replayable kill points, not a secret
    points = [point for point in POINTS for _ in range(KILLS_PER_POINT)]
    rng.shuffle(points)
    agent = make_agent("gate-crash", via=device_link.url)

    for number, point in enumerate(points):
        run = agent.start()
        path, after_answer = HOLDS.get(point, (None, False))
        hold = None if path is None else device_link.hold(path, after_answer=after_answer)
        lines = [f"CRASH-{number:02d}-{n:04d}" for n in range(LINES_PER_RUN)]
        agent.feed(lines, per_second=TAPS_PER_SECOND)
        kill_at(point, run, hold, rng)
        agent.kill()
        if hold is not None:
            hold.drop()  # the request, or its answer, is lost with the agent
        journal = agent.status()["journal"]
        if point in ("upload_held", "answer_lost"):
            assert journal["in_flight"] > 0, (seed, number, point, journal)
        print(f"kill {number:2d} {point:12s} answered {len(run.answers):4d} {journal}")

    agent.start()
    journal = agent.drained()
    assert agent.stop() == 0

    stored = live_server.taps("gate-crash")
    assert [tap.sequence for tap in stored] == list(range(1, len(stored) + 1)), seed
    assert journal["last_seq"] == len(stored), seed
    assert len({tap.nonce for tap in stored}) == len(stored), seed
    found = [tap.fingerprint for tap in stored]
    position = 0
    for number, (point, run) in enumerate(zip(points, agent.runs, strict=False)):
        answered = [fingerprint(line) for line in run.written[: len(run.answers)]]
        assert found[position : position + len(answered)] == answered, (seed, number, point)
        position += len(answered)
        unanswered = run.written[len(run.answers) : len(run.answers) + 1]
        if unanswered and found[position : position + 1] == [fingerprint(unanswered[0])]:
            position += 1  # committed, then killed before the gate answered
    assert position == len(found), (seed, "taps on the server that no process journaled")
    assert sum(len(run.answers) for run in agent.runs) > 0

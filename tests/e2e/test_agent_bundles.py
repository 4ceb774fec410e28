"""Rule bundles between the server and a running validator: a bundle that fails
verification never replaces the last good one, and a good one carries revocations to the
gate at the next sync."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest

from fares.bundle import RuleBundle, build_bundle, open_bundle
from fares.keys import KeySet, PublicKey, SigningKey
from fares.reasons import DenyReason
from tests.harness.agent_process import OPEN, AgentFactory, AgentProcess, blocked, wait_until
from tests.harness.device_link import BundleAnswer, DeviceLink
from tests.harness.server_process import FaregateServer
from tests.harness.todays_feed import later_city_run, next_city_run

pytestmark = pytest.mark.postgres


def truncated(blob: bytes) -> bytes:
    """The first half of a bundle, as a download cut short would leave it."""
    return blob[: len(blob) // 2]


def bit_flipped(blob: bytes) -> bytes:
    """The bundle with one bit of its signed content flipped, as a bad medium would."""
    content = cbor2.loads(blob)[2]
    middle = blob.index(content) + len(content) // 2
    return blob[:middle] + bytes([blob[middle] ^ 0x01]) + blob[middle + 1 :]


def forged(trusted: KeySet, *, same_kid: bool) -> Callable[[bytes], bytes]:
    """Re-sign the server's bundle, as a newer version, with a key of the forger's own:
    under the server key's kid, or under a kid the agent does not know."""

    def forge(blob: bytes) -> bytes:
        now = datetime.now(UTC)
        opened = open_bundle(blob, trusted, now)
        assert isinstance(opened, RuleBundle), opened
        kid = opened.signer_kid if same_kid else opened.signer_kid + 100
        key = SigningKey.generate(kid, now - timedelta(days=1), now + timedelta(days=30))
        return build_bundle(
            signing_key=key,
            version=opened.version + 1000,
            issued_at=now,
            valid_until=now + timedelta(days=7),
            keys=opened.keys,
            products=opened.products.values(),
            deny=opened.deny_list,
            passback_s=opened.passback_s,
            clock_skew_s=opened.clock_skew_s,
            manifests=opened.manifests.values(),
            vehicle_trips=opened.vehicle_trips,
        )

    return forge


def trusted_keys(server: FaregateServer) -> KeySet:
    """The keys validators trust, from ``faregate keys public``."""
    lines = server.public_keys().splitlines()
    return KeySet(PublicKey.from_json(line) for line in lines if line.strip())


def refusal_since(agent: AgentProcess, since: float) -> dict[str, Any]:
    """The agent's last bundle refusal, once one was recorded at or after ``since``."""

    def recorded() -> dict[str, Any] | None:
        refusal: dict[str, Any] | None = agent.status()["last_refusal"]
        if refusal and datetime.fromisoformat(refusal["at"]).timestamp() >= since:
            return refusal
        return None

    return dict(wait_until(recorded, what="the agent to refuse the bundle"))


def test_a_corrupted_or_foreign_bundle_is_refused_and_the_last_good_one_stays_in_force(
    live_server: FaregateServer, device_link: DeviceLink, make_agent: AgentFactory
) -> None:
    booking = live_server.book(next_city_run(datetime.now(UTC), "CITY2"), "EMSI", "STAGECOACH", 6)
    first, *others, last = booking.tickets
    agent = make_agent("gate-bundles", via=device_link.url)
    agent.start()
    good = agent.bundle_version()
    assert agent.tap(first.qr_text) == OPEN

    device_link.serve_instead(truncated)  # from before the cancellation: no sync slips by
    live_server.cancel(booking)  # from now on the server's bundle denies these tickets
    cancelled = time.time()
    trusted = trusted_keys(live_server)
    stages = [
        (truncated, "bundle_malformed"),
        (bit_flipped, "bundle_bad_signature"),
        (forged(trusted, same_kid=True), "bundle_bad_signature"),
        (forged(trusted, same_kid=False), "bundle_unknown_key"),
    ]
    for (rewrite, code), ticket in zip(stages, others, strict=True):
        served_at = device_link.serve_instead(rewrite, since=cancelled)
        assert refusal_since(agent, served_at)["code"] == code, rewrite
        assert agent.status()["bundle"]["version"] == good
        assert agent.tap(ticket.qr_text) == OPEN, code  # the cancellation is not in force

    assert agent.stop() == 0  # restarted while bundles are still forged: the good one is back
    agent.start()
    assert agent.status()["bundle"]["version"] == good
    assert agent.tap(last.qr_text) == OPEN

    device_link.rewrite_bundle = None  # the server's own bundle gets through again
    newer = agent.bundle_version(above=good)
    assert agent.tap(first.qr_text) == blocked(DenyReason.REVOKED)
    agent.drained()
    assert agent.stop() == 0

    stored = live_server.taps("gate-bundles")
    journaled = [(tap.ticket_id, tap.allowed, tap.reason, tap.bundle_version) for tap in stored]
    decided_before = [(ticket.ticket_id, True, None, good) for ticket in booking.tickets]
    assert journaled == [*decided_before, (first.ticket_id, False, "revoked", newer)]


def test_a_ticket_cancelled_on_the_server_is_denied_at_the_gate_after_the_next_sync(
    live_server: FaregateServer, device_link: DeviceLink, make_agent: AgentFactory
) -> None:
    now = datetime.now(UTC)
    # Tickets cancelled before: the agent's deny list holds enough that a delta is smaller.
    live_server.cancel(
        live_server.book(later_city_run(next_city_run(now, "CITY2"), 120), "EMSI", "STAGECOACH", 8)
    )
    booking = live_server.book(next_city_run(now), "STAGECOACH", "NADAV", 1)
    ticket = booking.tickets[0]
    agent = make_agent("gate-revocation", via=device_link.url)
    agent.start()
    before = agent.bundle_version()
    assert agent.tap(ticket.qr_text) == OPEN

    live_server.cancel(booking)
    after = agent.bundle_version(above=before)  # the next sync brought the server's new bundle
    assert agent.tap(ticket.qr_text) == blocked(DenyReason.REVOKED)
    # It came as a deny-list delta from the list the agent held.
    assert BundleAnswer(200, after, before) in device_link.bundle_answers
    agent.drained()
    assert agent.stop() == 0

    stored = live_server.taps("gate-revocation")
    assert [(tap.ticket_id, tap.allowed, tap.reason, tap.bundle_version) for tap in stored] == [
        (ticket.ticket_id, True, None, before),
        (ticket.ticket_id, False, "revoked", after),
    ]

"""A trip with bookings is cancelled on a running server: every traveler ends with a new valid
ticket or a refund, a gate denies the old tickets after its next sync and opens for the new
ones, and the e-mails arrive at the mail server."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial

from fares.reasons import DenyReason
from tests.harness.agent_process import (
    OPEN,
    AgentFactory,
    AgentProcess,
    GateAnswer,
    blocked,
    wait_until,
)
from tests.harness.mailbox import Mailbox
from tests.harness.server_process import Booking, FaregateServer
from tests.harness.todays_feed import later_city_run, next_city_run

FIRST, LAST = "STAGECOACH", "EMSI"


def free_seats(server: FaregateServer, trip: str) -> int:
    status, seen = server.request(
        "GET", f"/api/v1/trips/{trip}/availability?from={FIRST}&to={LAST}"
    )
    assert status == 200, seen
    return sum(entry["seats"] for entry in seen["classes"])


def new_qr_texts(server: FaregateServer, reference: str, email: str) -> list[str]:
    status, booking = server.request("GET", f"/api/v1/bookings/{reference}?email={email}")
    assert status == 200, booking
    texts = []
    for passenger in booking["passengers"]:
        status, ticket = server.request("GET", f"/api/v1/tickets/{passenger['ticket_id']}")
        assert status == 200, ticket
        texts.append(ticket["qr_text"])
    return texts


def denied(agent: AgentProcess, qr_text: str, answer: GateAnswer) -> bool:
    """Whether a tap of ``qr_text`` gets ``answer`` at the gate."""
    return agent.tap(qr_text) == answer


def mail_about(mailbox: Mailbox, reference: str) -> list[EmailMessage]:
    return [m for m in mailbox.messages() if f"(booking {reference})" in m.get_content()]


def test_cancelling_a_trip_rebooks_or_refunds_everyone_and_the_gate_learns_it(
    live_server: FaregateServer, make_agent: AgentFactory, mailbox: Mailbox
) -> None:
    # The next run: the rebooked travelers' new tickets must be valid at the gate already.
    # (The revocation test in test_agent_bundles.py books this run too, and runs first.)
    cancelled = next_city_run(datetime.now(UTC))  # departs within half an hour
    later = later_city_run(cancelled, minutes=30)  # the one alternative in the server's window
    trio = live_server.book(cancelled, FIRST, LAST, 3)
    pair = live_server.book(cancelled, FIRST, LAST, 2)
    filler = free_seats(live_server, later) - 3
    if filler > 0:  # three seats left on the next run: room for one of the two parties
        live_server.book(later, FIRST, LAST, filler)
    agent = make_agent("gate-disruption")
    agent.start()
    before = agent.bundle_version()
    mine: tuple[Booking, ...] = (trio, pair)
    for booking in mine:
        for ticket in booking.tickets:
            assert agent.tap(ticket.qr_text) == OPEN

    done = live_server.call(
        "POST",
        "/api/v1/cancellations",
        {"trip_instance": cancelled, "reason": "Vehicle breakdown"},
        expect=201,
    )
    assert done["status"] == "done"
    outcomes = {row["reference"]: row for row in done["bookings"]}
    assert sorted(outcomes[b.reference]["outcome"] for b in mine) == ["rebooked", "refunded"]

    # Each booking's outcome commits on its own, so a sync in the middle of the work brings a
    # bundle with some of the old tickets denied: tap again until a later sync brings the rest.
    agent.bundle_version(above=before)
    revoked = blocked(DenyReason.REVOKED)
    for booking in mine:
        for ticket in booking.tickets:
            wait_until(
                partial(denied, agent, ticket.qr_text, revoked),
                what=f"{ticket.ticket_id} denied as revoked",
                every=1.0,
            )
    for booking in mine:
        outcome = outcomes[booking.reference]
        if outcome["outcome"] == "rebooked":
            assert outcome["trip_instance"] == later
            new_tickets = new_qr_texts(live_server, outcome["new_reference"], booking.email)
            assert len(new_tickets) == len(booking.tickets)
            for qr_text in new_tickets:
                assert agent.tap(qr_text) == OPEN
        else:
            status, refunded = live_server.request(
                "GET", f"/api/v1/bookings/{booking.reference}?email={booking.email}"
            )
            assert (status, refunded["status"]) == (200, "cancelled")
    agent.drained()
    assert agent.stop() == 0

    for booking in mine:
        [message] = wait_until(
            partial(mail_about, mailbox, booking.reference), what="the traveler's e-mail"
        )
        assert message["To"] == booking.email
        assert "is cancelled" in message["Subject"]
        new_reference = outcomes[booking.reference]["new_reference"]
        if new_reference:
            assert f"Your new booking is {new_reference}" in message.get_content()
        else:
            assert "refunded" in message.get_content()

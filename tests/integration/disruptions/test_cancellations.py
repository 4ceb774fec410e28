"""Cancelling a trip instance: sales stop, each booking is rebooked on another run or
refunded, the old tickets are denied, and the traveler hears of it by e-mail, in a support
case and through the webhook log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from backend import jobs
from backend.db import Database
from backend.errors import ConflictError
from backend.models import (
    Booking,
    BookingPassenger,
    DenyEntry,
    Payment,
    Reaccommodation,
    Ticket,
    TripCancellation,
    WebhookEvent,
)
from backend.models.messaging import OutboxMessage
from backend.models.support import SupportCase
from backend.services import (
    bookings,
    cancellation_views,
    cancellations,
    checkout,
    feeds,
    reservations,
)
from backend.services.bookings import Passenger
from backend.services.cancellations import Policy
from backend.services.checkout import Checkout
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from tests.harness.feeds import sample_feed_copy
from tests.harness.todays_feed import agency_today
from tests.integration.traveler.world import OFFERED, post_form, text_of


def words(response: TestResponse) -> str:
    """A page's words, without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text_of(response)))


FIRST, LAST = "STAGECOACH", "EMSI"
# Only the next run, half an hour later, is in the window: one alternative.
NEXT_RUN_ONLY = Policy(earliest_minutes=0, latest_minutes=30, time_limit_s=5)


def run(day: date, at: str) -> str:
    return f"CITY1@{day.isoformat()}T{at}:00"


def book(inventory: Inventory, trip: str, names: dict[str, str]) -> str:
    """Book and pay seats (seat → name) with the test provider; the booking reference."""
    request = HoldRequest(trip, FIRST, LAST, seats=tuple(names))
    hold_id = reservations.create_hold(inventory, request, datetime.now(UTC)).body["id"]
    order = Checkout(hold_id, list(names.values()), "ada@example.org", "test")
    return checkout.check_out(inventory, OFFERED, order, datetime.now(UTC))


def booking(database: Database, reference: str) -> Booking:
    with database.sessions() as session:
        found = session.scalar(select(Booking).where(Booking.reference == reference))
        assert found is not None
        return found


@dataclass(frozen=True)
class Cancelled:
    """The 10:00 run cancelled with a party of three and a pair booked, when the 10:30 run
    has three seats left."""

    trip: str
    later: str
    trio: str
    pair: str
    waiting_hold: str
    report: cancellations.Report


@pytest.fixture
def cancelled(inventory: Inventory, travel_day: date) -> Cancelled:
    trip, later = run(travel_day, "10:00"), run(travel_day, "10:30")
    book(inventory, later, {"1A": "P", "1B": "Q", "1C": "R", "1D": "S", "2A": "T"})
    trio = book(inventory, trip, {"1B": "Ada", "1C": "Bo", "1D": "Cy"})
    pair = book(inventory, trip, {"2A": "Di", "2B": "Ed"})
    waiting = reservations.create_hold(
        inventory, HoldRequest(trip, FIRST, LAST, party=1), datetime.now(UTC)
    ).body["id"]
    report = cancellations.cancel(
        inventory, trip, source="operator", reason="Driver shortage", now=datetime.now(UTC),
        policy=NEXT_RUN_ONLY,
    )  # fmt: skip
    return Cancelled(trip, later, trio, pair, waiting, report)


def test_the_party_that_fits_is_rebooked_on_the_next_run_and_the_other_refunded(
    cancelled: Cancelled, database: Database
) -> None:
    report = cancelled.report
    assert (report.recorded, report.rebooked, report.refunded, report.left) == (True, 1, 1, 0)
    moved = next(o for o in report.outcomes if o.reference == cancelled.trio)
    assert moved.trip_instance == cancelled.later
    assert sorted(moved.seats) == ["2B", "2C", "2D"]  # the three seats left on the next run
    assert moved.delay_minutes == 30
    old_trio, old_pair = booking(database, cancelled.trio), booking(database, cancelled.pair)
    assert (old_trio.status, old_pair.status) == ("cancelled", "cancelled")
    new = booking(database, str(moved.new_reference))
    assert (new.trip_instance, new.status, new.total_amount, new.contact_email) == (
        cancelled.later, "confirmed", old_trio.total_amount, old_trio.contact_email,
    )  # fmt: skip
    with database.sessions() as session:
        seated = session.execute(
            select(BookingPassenger.name, BookingPassenger.seat)
            .where(BookingPassenger.booking_id == new.id)
            .order_by(BookingPassenger.position)
        ).all()
        assert [name for name, _ in seated] == ["Ada", "Bo", "Cy"]
        outcomes = {
            r.booking_id: (r.outcome, r.new_booking_id)
            for r in session.scalars(select(Reaccommodation))
        }
        assert outcomes == {old_trio.id: ("rebooked", new.id), old_pair.id: ("refunded", None)}
        state = session.get(TripCancellation, cancelled.trip)
        assert state is not None
        assert (state.status, state.rebooked, state.refunded, state.source) == (
            "done", 1, 1, "operator",
        )  # fmt: skip


def test_old_tickets_are_denied_new_ones_issued_and_the_money_follows_the_booking(
    cancelled: Cancelled, database: Database
) -> None:
    moved = next(o for o in cancelled.report.outcomes if o.outcome == "rebooked")
    old_trio, old_pair = booking(database, cancelled.trio), booking(database, cancelled.pair)
    new = booking(database, str(moved.new_reference))
    with database.sessions() as session:
        old_tickets = session.scalars(
            select(Ticket.id).where(Ticket.booking_id.in_([old_trio.id, old_pair.id]))
        ).all()
        assert len(old_tickets) == 5
        denied = set(session.scalars(select(DenyEntry.value).where(DenyEntry.kind == "ticket")))
        assert set(old_tickets) <= denied
        new_tickets = session.scalars(select(Ticket).where(Ticket.booking_id == new.id)).all()
        assert [t.trip_instance for t in new_tickets] == [cancelled.later] * 3
        assert {t.seat for t in new_tickets} == {"2B", "2C", "2D"}
        assert not {t.id for t in new_tickets} & denied
        moved_payment = session.scalar(select(Payment).where(Payment.hold_id == new.hold_id))
        assert moved_payment is not None
        assert moved_payment.status == "paid"
        refund = session.scalar(select(Payment).where(Payment.hold_id == old_pair.hold_id))
        assert refund is not None
        assert refund.status == "refunded"


def test_travelers_are_told_by_email_in_a_case_and_other_systems_by_webhook(
    cancelled: Cancelled, database: Database
) -> None:
    moved = next(o for o in cancelled.report.outcomes if o.outcome == "rebooked")
    when = cancelled.trip.split("@")[1]
    old_trio, old_pair = booking(database, cancelled.trio), booking(database, cancelled.pair)
    with database.sessions() as session:
        mail = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.recipient, m.subject) for m in mail] == [
            ("ada@example.org",
             f"Trip CITY1 on {when} is cancelled: you are rebooked ({moved.new_reference})"),
            ("ada@example.org",
             f"Trip CITY1 on {when} is cancelled: booking {cancelled.pair} refunded"),
        ]  # fmt: skip
        assert "seats: 2B, 2C, 2D" in mail[0].body_text
        assert "arriving 30 minutes later" in mail[0].body_text
        cases = session.scalars(select(SupportCase).order_by(SupportCase.id)).all()
        assert [(c.kind, c.booking_id, c.status) for c in cases] == [
            ("disruption", old_trio.id, "resolved"),
            ("disruption", old_pair.id, "open"),
        ]
        events = session.scalars(select(WebhookEvent.event_type)).all()
        assert (events.count("trip.cancelled"), events.count("trip.reaccommodated")) == (1, 1)


def test_sales_stop_and_cancelling_again_changes_nothing(
    cancelled: Cancelled, inventory: Inventory, database: Database
) -> None:
    with pytest.raises(ConflictError) as refused:
        reservations.create_hold(
            inventory, HoldRequest(cancelled.trip, FIRST, LAST, party=1), datetime.now(UTC)
        )
    assert refused.value.code == "trip_cancelled"
    with pytest.raises(ConflictError) as late:  # a hold made before the cancellation
        bookings.confirm(
            inventory, cancelled.waiting_hold, passengers=[Passenger("Fay")],
            email="f@example.org", now=datetime.now(UTC),
        )  # fmt: skip
    assert late.value.code == "trip_cancelled"
    again = cancellations.cancel(
        inventory, cancelled.trip, source="realtime", reason="again", now=datetime.now(UTC),
        policy=NEXT_RUN_ONLY,
    )  # fmt: skip
    assert (again.recorded, again.outcomes, again.left) == (False, [], 0)
    with database.sessions() as session:
        state = session.get(TripCancellation, cancelled.trip)
        assert state is not None
        assert (state.source, state.reason) == ("operator", "Driver shortage")


def publish_a_single_run(database: Database, tmp_path: Path, last: date, now: datetime) -> date:
    """Publish a timetable that runs CITY1 once, at its stop times, instead of every half hour,
    from today to ``last``; today's date."""
    first = agency_today(now)
    feed = sample_feed_copy(
        tmp_path / "new",
        calendar=(
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
            f"start_date,end_date\nFULLW,1,1,1,1,1,1,1,{first:%Y%m%d},{last:%Y%m%d}\n"
            f"WE,0,0,0,0,0,1,1,{first:%Y%m%d},{last:%Y%m%d}\n"
        ),
        calendar_dates="service_id,date,exception_type\n",
        frequencies="trip_id,start_time,end_time,headway_secs\n",
    )
    feeds.import_feed(database, feed, filename="new", now=now, today=first, publish=True)
    return first


def test_a_timetable_that_drops_a_booked_run_cancels_it_and_refunds_without_an_alternative(
    inventory: Inventory, database: Database, travel_day: date, tmp_path: Path
) -> None:
    dropped = run(travel_day, "10:00")
    reference = book(inventory, dropped, {"1A": "Ada"})
    now = datetime.now(UTC)
    first = publish_a_single_run(database, tmp_path, travel_day, now)

    newly = cancellations.dropped_by_active_feed(inventory, since=first, now=now)
    assert newly == [dropped]
    assert cancellation_views.unfinished_instances(database, first) == [dropped]
    report = cancellations.process(inventory, dropped, now=now, policy=NEXT_RUN_ONLY)
    assert (report.rebooked, report.refunded, report.left) == (0, 1, 0)
    assert booking(database, reference).status == "cancelled"
    with database.sessions() as session:
        state = session.get(TripCancellation, dropped)
        assert state is not None
        assert (state.source, state.status) == ("feed", "done")
        assert state.reason.startswith("not in the timetable published as version")
    assert cancellations.dropped_by_active_feed(inventory, since=first, now=now) == []
    assert cancellation_views.unfinished_instances(database, first) == []


def test_the_cancellation_job_works_on_what_a_new_timetable_drops_once(
    inventory: Inventory, database: Database, travel_day: date, tmp_path: Path
) -> None:
    dropped = run(travel_day, "10:00")
    reference = book(inventory, dropped, {"1A": "Ada"})
    job = jobs.Disruptions(inventory, NEXT_RUN_ONLY)
    assert jobs.resume_cancellations(job) == 0  # the timetable in force drops nothing
    publish_a_single_run(database, tmp_path, travel_day, datetime.now(UTC))

    assert jobs.resume_cancellations(job) == 1
    assert booking(database, reference).status == "cancelled"  # refunded: no other run
    with database.sessions() as session:
        state = session.get(TripCancellation, dropped)
        assert state is not None
        assert (state.source, state.status) == ("feed", "done")
    assert jobs.resume_cancellations(job) == 0  # done once, and the timetable was looked at


def test_the_traveler_pages_show_where_a_cancelled_booking_went(
    cancelled: Cancelled, client: FlaskClient
) -> None:
    moved = next(o for o in cancelled.report.outcomes if o.outcome == "rebooked")
    found = post_form(
        client, "/bookings", {"reference": cancelled.trio, "email": "ada@example.org"}
    )
    assert found.status_code == 303
    old_page = words(client.get(found.headers["Location"]))
    assert "This trip was cancelled (Driver shortage)." in old_page
    assert f"your new booking is {moved.new_reference} , with new tickets" in old_page
    new_page = words(client.get(f"/bookings/{moved.new_reference}"))  # opened from the link
    assert f"This booking replaces booking {cancelled.trio}" in new_page
    assert "Confirmed" in new_page
    refunded = post_form(
        client, "/bookings", {"reference": cancelled.pair, "email": "ada@example.org"}
    )
    assert "no other trip in time had room for you" in words(
        client.get(refunded.headers["Location"])
    )

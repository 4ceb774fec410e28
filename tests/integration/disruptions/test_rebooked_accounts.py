"""A booking in a traveler account that is re-accommodated after a cancellation: the new
booking is in the same account, so My trips shows the trip the traveler now takes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backend.models import Booking, TravelerAccount
from backend.services import checkout, reservations, traveler_accounts
from backend.services.checkout import Checkout
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from tests.integration.disruptions.test_erased_travelers import cancel, run
from tests.integration.traveler.world import OFFERED, PASSWORD

EMAIL = "lise@example.org"


def test_the_new_booking_of_a_rebooked_traveler_is_in_their_account(
    inventory: Inventory, travel_day: date
) -> None:
    now = datetime.now(UTC)
    with inventory.database.sessions() as session:
        traveler_accounts.sign_up(session, EMAIL, PASSWORD, lifetime=timedelta(days=1), now=now)
        account = session.scalar(select(TravelerAccount.id).where(TravelerAccount.email == EMAIL))
    trip = run(travel_day, "10:00")
    hold = reservations.create_hold(
        inventory, HoldRequest(trip, "STAGECOACH", "EMSI", seats=("1A",)), now
    ).body["id"]
    order = Checkout(hold, ["Lise Meitner"], EMAIL, "test", account_id=account)
    old = checkout.check_out(inventory, OFFERED, order, now)
    [moved] = cancel(inventory, trip).outcomes
    assert moved.outcome == "rebooked"
    with inventory.database.sessions() as session:
        owners = dict(session.execute(select(Booking.reference, Booking.traveler_account_id)).all())
    assert account is not None
    assert owners == {old: account, moved.new_reference: account}

"""The traveler pages: search trips, pick seats, hold them, pay and book, show the tickets,
and find or cancel a booking.

Pages render on the server and work without JavaScript; ``static/js/traveler.js`` adds the
hold's live countdown, stop-name suggestions from ``/api/v1/stops``, and a count of the seats
picked. The pages call the services (``trip_offers``, ``reservations``, ``checkout``,
``bookings``, ``tickets``), never the JSON API. Form mistakes are answered with the form again
(200) and a message beside each field, and change nothing.

URLs: ``/`` (search), ``/trips`` (results), ``/trips/<trip>/seats`` (seat map; POST holds),
``/holds/<id>`` (details and checkout; ``/release`` lets the seats go), ``/bookings`` (find a
booking), ``/bookings/<reference>`` (tickets; ``/cancel`` asks, then cancels), ``/help``
(open a support case; ``/help/cases`` finds one, ``/help/cases/<reference>`` shows it),
``/account`` (My trips, for travelers who choose to have an account; see ``accounts``).
"""

from __future__ import annotations

import logging

from flask import Flask

from backend.services.payments import offered_providers
from backend.settings import Settings
from backend.web.traveler import accounts, booking_pages, help_pages, holds, search, seats
from backend.web.traveler.context import (
    PROVIDERS_EXTENSION,
    clock,
    duration,
    long_date,
    money_text,
    short_date,
)
from backend.web.traveler.signed_in import signed_in_traveler

log = logging.getLogger(__name__)


def init_traveler(app: Flask, settings: Settings) -> None:
    """Register the traveler pages and the payment providers they offer."""
    app.extensions[PROVIDERS_EXTENSION] = offered_providers(settings)
    if settings.test_payments and settings.secure_cookies:
        log.warning(
            "test_payments is on: travelers can book without paying. "
            "Set test_payments = false on a public site."
        )
    blueprints = (search.bp, seats.bp, holds.bp, booking_pages.bp, help_pages.bp, accounts.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.add_template_filter(clock, "trip_clock")
    app.add_template_filter(long_date, "trip_day")
    app.add_template_filter(short_date, "trip_short_day")
    app.add_template_global(duration, "trip_duration")
    app.add_template_global(money_text, "money_text")
    app.add_template_global(signed_in_traveler, "signed_in_traveler")

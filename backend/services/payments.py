"""Payment providers, and the payments of bookings made through the traveler pages.

A provider stands behind the small ``PaymentProvider`` protocol: it *authorizes* an amount
(giving its reference and whether the money is assured now or owed later), *captures* an
authorized payment once the booking exists, *voids* one whose booking never came or was
cancelled unpaid, and *refunds* a paid one. Two are offered to travelers, each switched on by a
setting:

- ``counter`` ("Pay at the counter", ``counter_payments``): nothing is taken online. The
  booking is made at once and keeps its seats, its payment ``pending``; staff take the money
  at a ticket office and record it (``checkout.mark_paid``, ``POST
  /api/v1/bookings/{reference}/payment``). A refund of a paid counter booking is
  ``refund_due``: staff hand it back at the counter.
- ``test`` ("Test payment", ``test_payments``): takes no money and pays at once. On by
  default so that a development server books end to end; production sets it to false.

A journey the fares do not price costs nothing: its payment is recorded under ``no_charge``
(never offered as a choice) and is paid at once.

**Tickets are issued only once a booking is paid**, in the same transaction that records the
payment as paid: a traveler who chose the counter holds a reservation (seats kept, reference
and amount due shown) but no credential a validator would accept until staff record the
payment. The alternative, tickets marked unpaid, would put a payment state in the signed
credential that every validator would have to understand and that could not change once
issued.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from backend.models import Payment
from backend.services.fare_quotes import money_json
from backend.settings import Settings
from fares.money import Money


@dataclass(frozen=True)
class Authorization:
    """A provider's answer to a payment asked for: ``authorized`` (captured once the booking
    exists) or ``pending`` (owed, to be paid later), and the provider's reference."""

    status: str
    reference: str


class PaymentProvider(Protocol):
    """A way for a traveler to pay for a booking."""

    name: str  # stored with each payment; never changes
    label: str  # what travelers choose
    description: str  # one sentence under the choice

    def authorize(self, amount: int, currency: str | None) -> Authorization:
        """Ask for ``amount`` minor units of ``currency``."""
        ...

    def capture(self, reference: str) -> None:
        """Take an authorized payment, now that its booking exists."""
        ...

    def void(self, reference: str) -> None:
        """Let an authorization (or money owed) go: the booking never came, or was cancelled
        unpaid."""
        ...

    def refund(self, reference: str) -> str:
        """Give a paid payment back; the payment's status afterwards."""
        ...


def _reference(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6).upper()}"


class CounterPayment:
    """Pay at a ticket office: the booking waits for staff to record the payment."""

    name = "counter"
    label = "Pay at the counter"
    description = (
        "Your seats are reserved now. Pay at a ticket office before you travel; your tickets "
        "are issued as soon as you have paid."
    )

    def authorize(self, amount: int, currency: str | None) -> Authorization:
        """Nothing is taken online: the amount is owed."""
        del amount, currency
        return Authorization("pending", _reference("CTR"))

    def capture(self, reference: str) -> None:
        """Never called: staff record counter payments (``checkout.mark_paid``)."""
        del reference

    def void(self, reference: str) -> None:
        """Nothing was taken: nothing to give back."""
        del reference

    def refund(self, reference: str) -> str:
        """The money is handed back at the counter."""
        del reference
        return "refund_due"


class SandboxPayment:
    """The "test" provider, for development and demonstrations: takes no money and pays at
    once (a payment provider's sandbox, without the provider)."""

    name = "test"
    label = "Test payment"
    description = "For testing only: no money is taken and the booking is paid at once."

    def authorize(self, amount: int, currency: str | None) -> Authorization:
        """Always approved."""
        del amount, currency
        return Authorization("authorized", _reference("TEST"))

    def capture(self, reference: str) -> None:
        """Nothing to take."""
        del reference

    def void(self, reference: str) -> None:
        """Nothing to give back."""
        del reference

    def refund(self, reference: str) -> str:
        """Refunded at once."""
        del reference
        return "refunded"


class NoCharge(SandboxPayment):
    """The payment of a journey the fares do not price: nothing to pay (never offered)."""

    name = "no_charge"
    label = "No charge"
    description = "This journey costs nothing."

    def authorize(self, amount: int, currency: str | None) -> Authorization:
        """Nothing to ask for."""
        del amount, currency
        return Authorization("authorized", _reference("FREE"))


NO_CHARGE = NoCharge()
_KNOWN: dict[str, PaymentProvider] = {
    provider.name: provider for provider in (CounterPayment(), SandboxPayment(), NO_CHARGE)
}


def offered_providers(settings: Settings) -> dict[str, PaymentProvider]:
    """The providers travelers may choose, by name, in the order shown."""
    offered: dict[str, PaymentProvider] = {}
    if settings.counter_payments:
        offered["counter"] = _KNOWN["counter"]
    if settings.test_payments:
        offered["test"] = _KNOWN["test"]
    return offered


def provider_named(name: str) -> PaymentProvider:
    """The provider a stored payment was made with (offered or not any more)."""
    return _KNOWN[name]


class Step(StrEnum):
    """What a payment needs so that it agrees with its booking."""

    NONE = "none"
    CAPTURE = "capture"  # booked and authorized: take the money, issue the tickets
    VOID = "void"  # cancelled before any money was taken
    REFUND = "refund"  # cancelled after it was paid


def next_step(booking_status: str, payment_status: str) -> Step:
    """What to do with a payment in ``payment_status`` of a booking in ``booking_status``."""
    if booking_status == "confirmed":
        return Step.CAPTURE if payment_status == "authorized" else Step.NONE
    if payment_status in ("authorized", "pending"):
        return Step.VOID
    return Step.REFUND if payment_status == "paid" else Step.NONE


def amount_text(amount: int, currency: str | None) -> str | None:
    """An amount as travelers read it ("4.00 PLN"); None when nothing is charged."""
    if currency is None:
        return None
    text: str = money_json(Money(amount, currency))["text"]
    return text


def payment_json(payment: Payment, booking_reference: str) -> dict[str, Any]:
    """A payment as the staff API shows it."""
    money = None
    if payment.currency is not None:
        money = money_json(Money(payment.amount, payment.currency))
    return {
        "booking_reference": booking_reference,
        "provider": payment.provider,
        "status": payment.status,
        "amount": money,
        "reference": payment.reference,
        "created_at": payment.created_at.isoformat(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "ended_at": payment.ended_at.isoformat() if payment.ended_at else None,
        "received_by": payment.received_by,
        "receipt": payment.receipt,
    }


def labels(offered: Mapping[str, PaymentProvider]) -> list[tuple[str, str, str]]:
    """(name, label, description) of each offered provider, for a form."""
    return [(p.name, p.label, p.description) for p in offered.values()]

"""Payment providers and what a payment needs to agree with its booking."""

from __future__ import annotations

import pytest

from backend.services.payments import (
    CounterPayment,
    PaymentProvider,
    SandboxPayment,
    Step,
    amount_text,
    next_step,
    offered_providers,
    provider_named,
)
from backend.settings import Settings


@pytest.mark.parametrize(
    ("booking", "payment", "step"),
    [
        ("confirmed", "authorized", Step.CAPTURE),
        ("confirmed", "pending", Step.NONE),  # owed at the counter: staff record it
        ("confirmed", "paid", Step.NONE),
        ("cancelled", "authorized", Step.VOID),
        ("cancelled", "pending", Step.VOID),
        ("cancelled", "paid", Step.REFUND),
        ("cancelled", "void", Step.NONE),
        ("cancelled", "refunded", Step.NONE),
        ("cancelled", "refund_due", Step.NONE),
    ],
)
def test_a_payment_is_brought_in_line_with_its_booking(
    booking: str, payment: str, step: Step
) -> None:
    assert next_step(booking, payment) is step


def test_the_settings_choose_the_providers_offered() -> None:
    assert list(offered_providers(Settings())) == ["counter", "test"]
    assert list(offered_providers(Settings(test_payments=False))) == ["counter"]
    assert offered_providers(Settings(counter_payments=False, test_payments=False)) == {}


def test_a_payment_made_with_a_provider_no_longer_offered_can_still_be_refunded() -> None:
    assert provider_named("test").refund("TEST-1") == "refunded"
    assert provider_named("no_charge").refund("FREE-1") == "refunded"


def test_the_counter_leaves_the_money_owed_and_refunds_at_the_desk() -> None:
    counter: PaymentProvider = CounterPayment()
    owed = counter.authorize(250, "USD")
    assert owed.status == "pending"
    assert owed.reference.startswith("CTR-")
    assert counter.refund(owed.reference) == "refund_due"


def test_the_test_provider_approves_at_once_under_a_reference_of_its_own() -> None:
    test: PaymentProvider = SandboxPayment()
    first, second = test.authorize(250, "USD"), test.authorize(250, "USD")
    assert first.status == "authorized"
    assert first.reference.startswith("TEST-")
    assert first.reference != second.reference


def test_amounts_read_as_travelers_read_them() -> None:
    assert amount_text(250, "USD") == "2.50 USD"
    assert amount_text(500, "JPY") == "500 JPY"
    assert amount_text(0, None) is None

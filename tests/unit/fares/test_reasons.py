"""The texts a traveler reads on a validator's display."""

from __future__ import annotations

from fares.reasons import EXPLANATIONS, Decision, DenyReason
from hardware.feedback import DISPLAY_WIDTH


def test_every_deny_reason_has_a_text_that_fits_the_display() -> None:
    assert set(EXPLANATIONS) == set(DenyReason)
    too_long = {r.value: t for r, t in EXPLANATIONS.items() if len(t) > DISPLAY_WIDTH}
    assert too_long == {}


def test_a_denial_reads_its_reason_text_unless_given_one() -> None:
    assert Decision.deny(DenyReason.PASSBACK).explanation == "already used a moment ago"
    assert Decision.deny(DenyReason.EXPIRED, explanation="pass ended").explanation == "pass ended"

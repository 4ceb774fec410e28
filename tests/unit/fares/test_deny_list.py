"""The versioned deny list and its deltas."""

from __future__ import annotations

import cbor2
import pytest

from fares import strict_cbor
from fares.deny_list import DeltaBaseError, DenyList, DenyListDelta

V3 = DenyList.of(3, tickets=["aa" * 8, "bb" * 8], media=["cc" * 32])


def test_delta_adds_and_removes_entries_and_moves_the_version() -> None:
    delta = DenyListDelta(3, 5, frozenset({"dd" * 8}), frozenset({"aa" * 8}), frozenset(),
                          frozenset({"cc" * 32}))  # fmt: skip
    after = V3.apply(delta)
    assert after == DenyList.of(5, tickets=["bb" * 8, "dd" * 8])
    assert V3.version == 3  # the old list is untouched


def test_delta_from_another_version_is_refused_with_a_stable_code() -> None:
    with pytest.raises(DeltaBaseError, match="starts at version 4") as raised:
        V3.apply(DenyListDelta(4, 5))
    assert raised.value.code == "delta_base_mismatch"


def test_delta_to_recreates_the_newer_list() -> None:
    newer = DenyList.of(7, tickets=["bb" * 8, "ee" * 8], media=["ff" * 32])
    assert V3.apply(V3.delta_to(newer)) == newer
    with pytest.raises(ValueError, match="later version"):
        newer.delta_to(V3)


def test_wire_forms_round_trip() -> None:
    assert DenyList.from_wire(strict_cbor.decode(cbor2.dumps(V3.to_wire()), 4)) == V3
    delta = V3.delta_to(DenyList.of(4, tickets=["bb" * 8]))
    wire = strict_cbor.decode(cbor2.dumps(delta.to_wire()), 4)
    assert DenyListDelta.from_wire(wire) == delta


def test_ill_shaped_wire_forms_are_refused() -> None:
    assert DenyList.from_wire({"version": 1, "tickets": ("aa",), "media": ()}) is None
    assert DenyList.from_wire([]) is None
    assert DenyListDelta.from_wire({"from": 2, "to": 1}) is None

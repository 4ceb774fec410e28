"""The offline rules a validator applies: products, reserved-trip manifests, device roles.

Empty id sets in a product mean "no restriction" on that dimension.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class DeviceRole(enum.Enum):
    """Where a validator sits; decides which checks apply (entry roles check passback)."""

    GATE_ENTRY = "gate_entry"
    GATE_EXIT = "gate_exit"
    BUS = "bus"


ENTRY_ROLES = frozenset({DeviceRole.GATE_ENTRY, DeviceRole.BUS})


class ProductKind(enum.Enum):
    """How a product is used: one ride, any rides in a period, or a reserved place."""

    SINGLE = "single"
    PERIOD = "period"
    RESERVED = "reserved"


@dataclass(frozen=True, slots=True)
class Product:
    """A fare product as validators see it."""

    product_id: str
    name: str
    kind: ProductKind
    validity_s: int
    area_ids: frozenset[str] = frozenset()
    network_ids: frozenset[str] = frozenset()
    route_ids: frozenset[str] = frozenset()
    rider_categories: frozenset[str] = frozenset()

    def to_wire(self) -> list[object]:
        """CBOR-ready form: [id, name, kind, validity_s, areas, networks, routes, riders]."""
        return [
            self.product_id,
            self.name,
            self.kind.value,
            self.validity_s,
            sorted(self.area_ids),
            sorted(self.network_ids),
            sorted(self.route_ids),
            sorted(self.rider_categories),
        ]

    @classmethod
    def from_wire(cls, value: object) -> Product | None:
        """Rebuild from decoded CBOR; None if the shape is wrong."""
        if type(value) is not tuple or len(value) != 8:
            return None
        product_id, name, kind, validity_s, *id_lists = value
        if type(product_id) is not str or type(name) is not str or type(validity_s) is not int:
            return None
        kinds = {k.value: k for k in ProductKind}
        sets = [_text_set(ids) for ids in id_lists]
        if kind not in kinds or any(ids is None for ids in sets):
            return None
        return cls(product_id, name, kinds[kind], validity_s, *sets)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TripManifest:
    """A reserved trip instance: its stops in order and the seat held by each ticket.

    ``seats`` maps ticket id (hex) to seat, or None for an unassigned place.
    """

    trip_instance: str
    stop_ids: tuple[str, ...]
    seats: Mapping[str, str | None]
    stop_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # First occurrence wins so that a loop trip boards at its first visit to a stop.
        index: dict[str, int] = {}
        for position, stop_id in enumerate(self.stop_ids):
            index.setdefault(stop_id, position)
        object.__setattr__(self, "stop_index", index)

    def to_wire(self) -> list[object]:
        """CBOR-ready form: [trip instance, [stop ids], [[ticket bstr, seat|null], ...]]."""
        seats = [[bytes.fromhex(t), s] for t, s in sorted(self.seats.items())]
        return [self.trip_instance, list(self.stop_ids), seats]

    @classmethod
    def from_wire(cls, value: object) -> TripManifest | None:
        """Rebuild from decoded CBOR; None if the shape is wrong."""
        if type(value) is not tuple or len(value) != 3:
            return None
        trip_instance, stop_ids, seat_rows = value
        if type(trip_instance) is not str or _text_set(stop_ids) is None:
            return None
        if type(seat_rows) is not tuple:
            return None
        seats: dict[str, str | None] = {}
        for row in seat_rows:
            if type(row) is not tuple or len(row) != 2 or type(row[0]) is not bytes:
                return None
            if not (row[1] is None or type(row[1]) is str):
                return None
            seats[row[0].hex()] = row[1]
        return cls(trip_instance, stop_ids, seats)


def _text_set(value: object) -> frozenset[str] | None:
    if type(value) is not tuple or any(type(v) is not str for v in value):
        return None
    return frozenset(value)

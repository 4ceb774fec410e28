"""SQLAlchemy 2 models; importing this package registers every table on ``Base.metadata``."""

from backend.models.audit import AuditEvent
from backend.models.base import Base
from backend.models.devices import Device, RuleBundleRecord, Tap
from backend.models.disruptions import (
    Reaccommodation,
    SeatMapAssignment,
    TripCancellation,
    WebhookEvent,
)
from backend.models.feeds import ActiveFeed, FeedNotice, FeedVersion
from backend.models.gtfs_tables import GTFS_TABLES
from backend.models.messaging import OutboxMessage, WebhookDelivery, WebhookEndpoint
from backend.models.payments import Payment
from backend.models.reconciliation import (
    DailyCharge,
    Journey,
    JourneyLeg,
    PassbackFlag,
    ReconciledTap,
    ReconciliationRun,
)
from backend.models.reservations import (
    Booking,
    BookingPassenger,
    Hold,
    IdempotencyRecord,
    LegCapacity,
    PlaceClaim,
    SeatClaim,
    TripInventory,
)
from backend.models.staff import ApiToken, StaffUser
from backend.models.staff_security import LoginFailure, RecoveryCode, StaffSession, StaffTwoFactor
from backend.models.support import SupportCase, SupportCaseNote, SupportRefund
from backend.models.tickets import DenyEntry, Ticket
from backend.models.traveler_accounts import TravelerAccount, TravelerSession
from backend.models.vehicles import VehicleAssignment

__all__ = [
    "GTFS_TABLES",
    "ActiveFeed",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Booking",
    "BookingPassenger",
    "DailyCharge",
    "DenyEntry",
    "Device",
    "FeedNotice",
    "FeedVersion",
    "Hold",
    "IdempotencyRecord",
    "Journey",
    "JourneyLeg",
    "LegCapacity",
    "LoginFailure",
    "OutboxMessage",
    "PassbackFlag",
    "Payment",
    "PlaceClaim",
    "Reaccommodation",
    "ReconciledTap",
    "ReconciliationRun",
    "RecoveryCode",
    "RuleBundleRecord",
    "SeatClaim",
    "SeatMapAssignment",
    "StaffSession",
    "StaffTwoFactor",
    "StaffUser",
    "SupportCase",
    "SupportCaseNote",
    "SupportRefund",
    "Tap",
    "Ticket",
    "TravelerAccount",
    "TravelerSession",
    "TripCancellation",
    "TripInventory",
    "VehicleAssignment",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

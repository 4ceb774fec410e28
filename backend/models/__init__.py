"""SQLAlchemy 2 models; importing this package registers every table on ``Base.metadata``."""

from backend.models.base import Base
from backend.models.feeds import ActiveFeed, FeedNotice, FeedVersion
from backend.models.gtfs_tables import GTFS_TABLES
from backend.models.staff import ApiToken, StaffUser

__all__ = [
    "GTFS_TABLES",
    "ActiveFeed",
    "ApiToken",
    "Base",
    "FeedNotice",
    "FeedVersion",
    "StaffUser",
]

"""SQLAlchemy 2 models; importing this package registers every table on ``Base.metadata``."""

from backend.models.base import Base
from backend.models.staff import ApiToken, StaffUser

__all__ = ["ApiToken", "Base", "StaffUser"]

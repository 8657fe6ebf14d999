"""SQLAlchemy models. Import models from here; each submodule holds one part of the domain."""

from kiosk.models.audit import AuditEntry
from kiosk.models.hall import Duty, Hall, Staff, Window
from kiosk.models.rating import (
    COMPLAINT_STATUSES,
    RATING_CHANNELS,
    RATING_STATUSES,
    REASON_TAGS,
    Complaint,
    Rating,
    RatingRevision,
)
from kiosk.models.setting import Setting
from kiosk.models.user import ROLES, User

__all__ = [
    "COMPLAINT_STATUSES",
    "RATING_CHANNELS",
    "RATING_STATUSES",
    "REASON_TAGS",
    "ROLES",
    "AuditEntry",
    "Complaint",
    "Duty",
    "Hall",
    "Rating",
    "RatingRevision",
    "Setting",
    "Staff",
    "User",
    "Window",
]

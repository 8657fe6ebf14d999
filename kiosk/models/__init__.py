"""SQLAlchemy models. Import models from here; each submodule holds one part of the domain."""

from kiosk.models.audit import AuditEntry
from kiosk.models.complaint_event import (
    COMPLAINT_ACTIONS,
    SATISFACTIONS,
    SEVERITIES,
    ComplaintEvent,
)
from kiosk.models.hall import Duty, Hall, Staff, Window
from kiosk.models.notification import NOTIFICATION_CHANNELS, Notification
from kiosk.models.rating import (
    COMPLAINT_STATUSES,
    RATING_CHANNELS,
    RATING_STATUSES,
    REASON_TAGS,
    Complaint,
    Rating,
    RatingRevision,
)
from kiosk.models.user import ROLES, User

__all__ = [
    "COMPLAINT_ACTIONS",
    "COMPLAINT_STATUSES",
    "NOTIFICATION_CHANNELS",
    "RATING_CHANNELS",
    "RATING_STATUSES",
    "REASON_TAGS",
    "ROLES",
    "SATISFACTIONS",
    "SEVERITIES",
    "AuditEntry",
    "Complaint",
    "ComplaintEvent",
    "Duty",
    "Hall",
    "Notification",
    "Rating",
    "RatingRevision",
    "Staff",
    "User",
    "Window",
]

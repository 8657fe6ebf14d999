"""SQLAlchemy models. Import models from here; each submodule holds one part of the domain."""

from kiosk.models.audit import AuditEntry
from kiosk.models.board import TALLY_GRAINS, TALLY_SUBJECTS, RatingTally
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
from kiosk.models.user import ROLES, User

__all__ = [
    "COMPLAINT_STATUSES",
    "RATING_CHANNELS",
    "RATING_STATUSES",
    "REASON_TAGS",
    "ROLES",
    "TALLY_GRAINS",
    "TALLY_SUBJECTS",
    "AuditEntry",
    "Complaint",
    "Duty",
    "Hall",
    "Rating",
    "RatingRevision",
    "RatingTally",
    "Staff",
    "User",
    "Window",
]

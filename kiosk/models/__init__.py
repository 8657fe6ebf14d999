"""SQLAlchemy models. Import models from here; each submodule holds one part of the domain."""

from kiosk.models.audit import AuditEntry
from kiosk.models.board import TALLY_GRAINS, TALLY_SUBJECTS, RatingTally
from kiosk.models.complaint_event import (
    COMPLAINT_ACTIONS,
    SATISFACTIONS,
    SEVERITIES,
    ComplaintEvent,
)
from kiosk.models.device import DEVICE_KINDS, Device, ServiceInvitation
from kiosk.models.district import District
from kiosk.models.evaluation import (
    ADJUSTMENT_KINDS,
    ASSESSOR_KINDS,
    Adjustment,
    Assessment,
    EvaluationSnapshot,
    MonthlySelection,
    PeerAssignment,
    ResultFeedback,
)
from kiosk.models.hall import Duty, Hall, Staff, Window
from kiosk.models.limits import RateLimitCounter
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
from kiosk.models.rating_log import RatingLogEntry
from kiosk.models.retired_token import RetiredQrToken
from kiosk.models.setting import Setting
from kiosk.models.station_round import (
    MEMBER_ROLES,
    ROUND_KINDS,
    ROUND_STATUSES,
    RoundEvidence,
    RoundMember,
    RoundScore,
    RoundSnapshot,
    RoundStation,
    StationRound,
)
from kiosk.models.user import DISTRICT_ROLES, HALL_ROLES, ROLES, User

__all__ = [
    "ADJUSTMENT_KINDS",
    "ASSESSOR_KINDS",
    "COMPLAINT_ACTIONS",
    "COMPLAINT_STATUSES",
    "DEVICE_KINDS",
    "DISTRICT_ROLES",
    "HALL_ROLES",
    "MEMBER_ROLES",
    "NOTIFICATION_CHANNELS",
    "RATING_CHANNELS",
    "RATING_STATUSES",
    "REASON_TAGS",
    "ROLES",
    "ROUND_KINDS",
    "ROUND_STATUSES",
    "SATISFACTIONS",
    "SEVERITIES",
    "TALLY_GRAINS",
    "TALLY_SUBJECTS",
    "Adjustment",
    "Assessment",
    "AuditEntry",
    "Complaint",
    "ComplaintEvent",
    "Device",
    "District",
    "Duty",
    "EvaluationSnapshot",
    "Hall",
    "MonthlySelection",
    "Notification",
    "PeerAssignment",
    "RateLimitCounter",
    "Rating",
    "RatingLogEntry",
    "RatingRevision",
    "RatingTally",
    "ResultFeedback",
    "RetiredQrToken",
    "RoundEvidence",
    "RoundMember",
    "RoundScore",
    "RoundSnapshot",
    "RoundStation",
    "ServiceInvitation",
    "Setting",
    "Staff",
    "StationRound",
    "User",
    "Window",
]

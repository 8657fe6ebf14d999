"""Residents' ratings and the complaints that follow bad ones."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.hall import Hall, Staff, Window

RATING_CHANNELS = ("qr", "kiosk", "pad", "api")
RATING_STATUSES = ("counted", "quarantined", "excluded")
COMPLAINT_STATUSES = (
    "new",  # 待核实
    "valid",  # 核实有效
    "invalid",  # 核实无效
    "rectifying",  # 整改中
    "rectified",  # 已整改
    "followed_up",  # 已回访
    "closed",  # 已办结
)
# Reason tags a resident may pick after a bad rating, in display order.
REASON_TAGS = ("attitude", "efficiency", "competence", "facilities", "repeat_visits", "other")


class Rating(Model):
    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_rating_window_created", "window_id", "created_at"),
        Index("ix_rating_staff_created", "staff_id", "created_at"),
        Index("ix_rating_hall_created", "hall_id", "created_at"),
        Index("ix_rating_device_window", "device_hash", "window_id", "created_at"),
        # Only the ratings waiting for review: counting or listing them costs what they are,
        # not what the hall ever got. status, constant here, makes it match one more term than
        # ix_rating_hall_created, so SQLite (without statistics) never takes that one instead.
        Index(
            "ix_rating_quarantined",
            "hall_id",
            "status",
            "created_at",
            sqlite_where=text("status = 'quarantined'"),
            postgresql_where=text("status = 'quarantined'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    level: Mapped[int] = mapped_column(SmallInteger)
    channel: Mapped[str] = mapped_column(String(10))
    # The client's key for this submission: a retry or double tap with it records nothing new.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Salted hash of the device cookie or credential; never the raw identifier.
    device_hash: Mapped[str | None] = mapped_column(String(64))
    # True when the rating answered a one-time service invitation (一次一评).
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the resident tapped
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server stored it
    status: Mapped[str] = mapped_column(String(12), default="counted")
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)

    window: Mapped[Window] = relationship()
    staff: Mapped[Staff | None] = relationship()
    hall: Mapped[Hall] = relationship()
    complaint: Mapped["Complaint | None"] = relationship(back_populates="rating")

    @property
    def is_bad(self) -> bool:
        """差评: levels 1 and 2."""
        return self.level <= 2


class RatingRevision(Model):
    """An earlier submission that a later one from the same phone replaced; kept, never lost."""

    __tablename__ = "rating_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id"), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(Model):
    __tablename__ = "complaint"
    # Overdue counts (board, dashboards) read a hall's open complaints only.
    __table_args__ = (Index("ix_complaint_hall_status", "hall_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # None for a complaint made without a rating (standalone).
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("rating.id"), unique=True)
    reason_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    severity: Mapped[str | None] = mapped_column(String(10))  # minor / major / severe
    # The verdict: None until verified; True when verified valid (and not overturned on
    # appeal); False when invalid. Only valid complaints deduct points.
    is_valid: Mapped[bool | None]
    # Deadlines of the current stages, set by the complaint workflow (Chinese working days).
    verify_due_at: Mapped[datetime | None]
    rectify_due_at: Mapped[datetime | None]
    followup_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    verified_at: Mapped[datetime | None]
    rectified_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    contact_erased_at: Mapped[datetime | None]

    rating: Mapped[Rating | None] = relationship(back_populates="complaint")
    window: Mapped[Window | None] = relationship()
    staff: Mapped[Staff | None] = relationship()
    hall: Mapped[Hall] = relationship()

"""Paired rating devices (hall kiosk, window pad) and one-time service invitations (一次一评)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.hall import Hall, Staff, Window

DEVICE_KINDS = ("kiosk", "pad")


class Device(Model):
    """A tablet in the hall: a kiosk (any window) or a pad bound to one window.

    Only hashes are stored: of the long-lived credential the browser keeps in a cookie, of
    the one-time pairing code an admin reads out, and of the staff exit PIN.
    """

    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint("kind IN ('kiosk', 'pad')", name="kind"),
        CheckConstraint("kind = 'kiosk' OR window_id IS NOT NULL", name="pad_has_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_window.id"))
    credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pairing_expires_at: Mapped[datetime | None]
    paired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    exit_pin_hash: Mapped[str | None] = mapped_column(String(255))
    # Wrong PINs in a row and the lock they earn, so a PIN cannot be guessed at the stand.
    pin_failures: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None]
    # Per-device behaviour, in seconds (see the kiosk issue): back to the start after the
    # thank-you screen, after no touch at all, and taps ignored after each rating.
    thanks_reset_seconds: Mapped[int] = mapped_column(default=8)
    idle_reset_seconds: Mapped[int] = mapped_column(default=45)
    cooldown_seconds: Mapped[int] = mapped_column(default=4)
    # More than burst_limit ratings within burst_window_seconds (by tap time) are kept but
    # quarantined and flagged "burst".
    burst_limit: Mapped[int] = mapped_column(default=5)
    burst_window_seconds: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hall: Mapped[Hall] = relationship()
    window: Mapped[Window | None] = relationship()

    @property
    def is_paired(self) -> bool:
        """Whether a browser holds a valid credential for this device."""
        return self.credential_hash is not None and self.revoked_at is None


class ServiceInvitation(Model):
    """A one-time token minted by 办结·邀请评价: exactly one rating may answer it.

    used_at is set by a conditional UPDATE (… WHERE used_at IS NULL), so of two concurrent
    answers only one changes a row; rating_id is unique as a second line of defence.
    """

    __tablename__ = "service_invitation"
    __table_args__ = (Index("ix_service_invitation_window_created", "window_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("rating.id"), unique=True)

    window: Mapped[Window] = relationship()
    staff: Mapped[Staff | None] = relationship()

"""The service hall, its windows, its staff and who is on duty where."""

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow

if TYPE_CHECKING:
    from kiosk.models.district import District


def new_qr_token() -> str:
    """Return a random, unguessable token for a window's QR code (128 bits)."""
    return secrets.token_urlsafe(16)


class Hall(Model):
    __tablename__ = "hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The street office that assesses this hall as one of its stations; None for a hall that
    # stands alone.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))

    windows: Mapped[list["Window"]] = relationship(back_populates="hall", order_by="Window.number")
    district: Mapped["District | None"] = relationship(back_populates="stations")


class Window(Model):
    __tablename__ = "service_window"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    services: Mapped[str] = mapped_column(Text, default="")
    qr_token: Mapped[str] = mapped_column(String(43), unique=True, default=new_qr_token)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hall: Mapped[Hall] = relationship(back_populates="windows")

    def regenerate_qr_token(self) -> None:
        """Invalidate the printed QR code by giving the window a new token."""
        self.qr_token = new_qr_token()


class Staff(Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    staff_no: Mapped[str] = mapped_column(String(20), unique=True)  # 工号
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_mime: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hall: Mapped[Hall] = relationship()


class Duty(Model):
    """A staff member on duty at a window from starts_at until ends_at (open while None)."""

    __tablename__ = "duty"
    __table_args__ = (Index("ix_duty_window_starts", "window_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    # "roster" for planned shifts, "signin" when the clerk signs in at the window themselves.
    source: Mapped[str] = mapped_column(String(10), default="roster")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[Staff] = relationship()
    window: Mapped[Window] = relationship()

"""An outbox of supervisor notifications (webhook, e-mail), sent after the rating is stored.

Writing a row here happens in the rating's own transaction; delivery happens later, outside
any request (``flask --app kiosk notify``), so a slow or broken receiver never costs a rating.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.extensions import Model
from kiosk.models._types import utcnow

NOTIFICATION_CHANNELS = ("webhook", "mail")


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_pending", "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    channel: Mapped[str] = mapped_column(String(10))  # webhook / mail
    event: Mapped[str] = mapped_column(String(30))  # rating.bad / complaint.created
    # What the receiver gets: never the complainant's phone number.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # gave up after the last retry

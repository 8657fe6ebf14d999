"""The tamper-evident rating log: every change to a rating, each entry chained to the last."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.extensions import Model
from kiosk.models._types import utcnow


class RatingLogEntry(Model):
    __tablename__ = "rating_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id"))
    event: Mapped[str] = mapped_column(String(12))  # created / replaced / status
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)

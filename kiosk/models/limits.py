"""Counters for rate limits, shared by every worker through the database."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.extensions import Model


class RateLimitCounter(Model):
    """Hits of one key in one fixed time window."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(primary_key=True)  # Unix seconds
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)

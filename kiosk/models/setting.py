"""Operational settings an admin changed in the staff area, overriding the configuration.

Every override belongs to one hall: an admin changes the settings of their own hall only, and
a hall without an override of a setting uses the configured value.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.user import User


class Setting(Model):
    """One hall's overridden setting: key is the config name (OPENING_HOURS…), value its JSON."""

    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("hall_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_by: Mapped[User | None] = relationship()

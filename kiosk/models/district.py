"""The street office (街道) and the stations (便民服务站, halls) it holds."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow

if TYPE_CHECKING:
    from kiosk.models.hall import Hall


class District(Model):
    """A street office: it assesses the halls attached to it (its stations) in rounds."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stations: Mapped[list["Hall"]] = relationship(back_populates="district", order_by="Hall.slug")

"""QR tokens a window used to carry, kept so an old printed code can say it was replaced."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.hall import Window


class RetiredQrToken(Model):
    """A token replaced by a regeneration: it no longer rates, it explains where to go instead."""

    __tablename__ = "retired_qr_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)

    window: Mapped[Window] = relationship()

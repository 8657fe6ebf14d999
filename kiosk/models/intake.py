"""Phone ratings as they arrive: acknowledged at once, then recorded in batches.

A tap on a window's QR page is stored here in one statement and acknowledged; the rating
itself (attribution, anti-stuffing flags, replacement, the hash-chained log, the board
counters) is made from it by kiosk.services.intake.drain(), usually in the same request and,
under load, for many taps at once. A row is kept for INTAKE_KEEP_DAYS after it is processed
(a replayed tap then finds its key here, later on its rating: either way nothing new is
recorded), then the sweepers delete it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.extensions import db


class RatingIntake(db.Model):
    __tablename__ = "rating_intake"
    __table_args__ = (
        # The drain reads the unprocessed rows only: a small partial index, whatever the history.
        Index(
            "ix_rating_intake_pending",
            "id",
            sqlite_where=db.text("processed_at IS NULL"),
            postgresql_where=db.text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"))
    level: Mapped[int] = mapped_column(SmallInteger)
    channel: Mapped[str] = mapped_column(String(10))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    # The browser carried a staff session (the rating is flagged "staff_device").
    staff_session: Mapped[bool] = mapped_column(default=False)
    tapped_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]

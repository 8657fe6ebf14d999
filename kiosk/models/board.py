"""Counters behind the hall board: ratings per day and per month, by window and by staff."""

from datetime import date

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.extensions import Model
from kiosk.models.rating import Complaint

TALLY_GRAINS = ("day", "month", "quarter", "year")
TALLY_SUBJECTS = ("window", "staff", "held")  # held: quarantined, by window, day grain only


class RatingTally(Model):
    """How many counted ratings of one level one window (or staff member) got in a period.

    Maintained by kiosk.services.board_cache in the transaction of every rating change, so the
    board, the dashboards and the evaluation (through kiosk.services.tallies) read a few
    hundred rows whatever the number of ratings. Each rating counts once under
    its window and, when someone was on duty, once under its staff member; at every grain.
    subject_id is a window id or a staff id (hence no foreign key); it is never NULL because
    NULLs never collide in a unique key and the counters rely on INSERT … ON CONFLICT.
    """

    __tablename__ = "rating_tally"
    __table_args__ = (
        UniqueConstraint("hall_id", "grain", "period", "subject", "subject_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    grain: Mapped[str] = mapped_column(String(7))  # day | month | quarter | year
    # The hall-local day, or the first day of the hall-local month, quarter or year.
    period: Mapped[date]
    subject: Mapped[str] = mapped_column(String(6))  # window | staff
    subject_id: Mapped[int]
    level: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(default=0)


# The board's complaint figures (closed today; a month's complaints on the public page) read
# these ranges; without them those queries would scan every complaint the hall ever had.
Index("ix_complaint_hall_created", Complaint.hall_id, Complaint.created_at)
Index("ix_complaint_hall_closed", Complaint.hall_id, Complaint.closed_at)

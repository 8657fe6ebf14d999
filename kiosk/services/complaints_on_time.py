"""Complaints handled on time (按时办结): the board's rule, counted and listed.

A closed complaint is on time when its closed_at is no later than the deadline of its last
stage that has one (followup_due_at, else rectify_due_at, else verify_due_at); none set counts
as on time. The hall board counts today's and this month's (kiosk.services.board), the
district dashboard a range's, a station round its period's, each through this module.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, or_, select

from kiosk.extensions import db
from kiosk.models import Complaint, Hall


def _last_deadline() -> ColumnElement[datetime | None]:
    return func.coalesce(
        Complaint.followup_due_at, Complaint.rectify_due_at, Complaint.verify_due_at
    )


def _closed_on_time() -> ColumnElement[bool]:
    """Return the board's rule of 按时办结 (module docstring) as a SQL condition."""
    deadline = _last_deadline()
    return or_(deadline.is_(None), Complaint.closed_at <= deadline)


def _closed_count(hall: Hall, *when: ColumnElement[bool]) -> tuple[int, int]:
    closed, on_time = db.session.execute(
        select(func.count(Complaint.id), func.sum(case((_closed_on_time(), 1), else_=0))).where(
            Complaint.hall_id == hall.id, *when
        )
    ).one()
    return int(closed or 0), int(on_time or 0)


def closed_since(hall: Hall, since: datetime, now: datetime) -> tuple[int, int]:
    """Return (complaints closed in [since, now], how many of them by their last deadline).

    The board's rule of 按时办结 (module docstring); the district dashboard counts it alike.
    """
    return _closed_count(hall, Complaint.closed_at >= since, Complaint.closed_at <= now)


def closed_between(hall: Hall, start: datetime, end: datetime) -> tuple[int, int]:
    """Return (complaints closed in [start, end), how many of them on time), as closed_since."""
    return _closed_count(hall, Complaint.closed_at >= start, Complaint.closed_at < end)


@dataclass(frozen=True)
class ClosedComplaint:
    """A closed complaint as 按时办结 reads it: its last deadline (None: none set) and close."""

    id: int
    created_at: datetime
    deadline: datetime | None
    closed_at: datetime
    on_time: bool


def closed_complaints(hall: Hall, start: datetime, end: datetime) -> list[ClosedComplaint]:
    """Return the complaints closed_between counts, in the order they were closed."""
    rows = db.session.execute(
        select(
            Complaint.id,
            Complaint.created_at,
            _last_deadline(),
            Complaint.closed_at,
            _closed_on_time(),
        )
        .where(
            Complaint.hall_id == hall.id, Complaint.closed_at >= start, Complaint.closed_at < end
        )
        .order_by(Complaint.closed_at, Complaint.id)
    )
    out = []
    for cid, created, deadline, closed, on_time in rows:
        assert closed is not None  # noqa: S101 - filtered in the query
        out.append(ClosedComplaint(cid, created, deadline, closed, bool(on_time)))
    return out

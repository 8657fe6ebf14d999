"""Who is on duty at which window."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, or_, select

from kiosk.extensions import db
from kiosk.models import Duty, Staff

# A clerk's own sign-in wins over the roster; among equals the latest start wins.
_PRECEDENCE = ((Duty.source == "signin").desc(), Duty.starts_at.desc(), Duty.id.desc())


def staff_on_duty(window_id: int, at: datetime) -> Staff | None:
    """Return the staff member on duty at the window at time at (naive UTC), or None.

    A clerk's own sign-in wins over the roster; among equals the latest start wins.
    """
    on_duty = duties_between([window_id], at, at)
    return on_duty[0][1] if on_duty else None


def duties_between(
    window_ids: Iterable[int], start: datetime, end: datetime
) -> Sequence[Row[Duty, Staff]]:
    """Return the windows' duties of active staff that cover any moment in [start, end].

    In order of precedence: at a window, the first that covers a moment is who was on duty
    then, as staff_on_duty() would say.
    """
    return db.session.execute(
        select(Duty, Staff)
        .join(Staff, Duty.staff_id == Staff.id)
        .where(
            Duty.window_id.in_(sorted(set(window_ids))),
            Duty.starts_at <= end,
            or_(Duty.ends_at.is_(None), Duty.ends_at > start),
            Staff.active.is_(True),
        )
        .order_by(*_PRECEDENCE)
    ).all()

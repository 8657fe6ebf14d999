"""Who is on duty at which window."""

from datetime import datetime

from sqlalchemy import or_, select

from kiosk.extensions import db
from kiosk.models import Duty, Staff


def staff_on_duty(window_id: int, at: datetime) -> Staff | None:
    """Return the staff member on duty at the window at time at (naive UTC), or None.

    A clerk's own sign-in wins over the roster; among equals the latest start wins.
    """
    # One query for the clerk (not the duty row and then its staff): it runs on every rating.
    return db.session.scalar(
        select(Staff)
        .join(Duty, Duty.staff_id == Staff.id)
        .where(
            Duty.window_id == window_id,
            Duty.starts_at <= at,
            or_(Duty.ends_at.is_(None), Duty.ends_at > at),
            Staff.active.is_(True),
        )
        .order_by((Duty.source == "signin").desc(), Duty.starts_at.desc(), Duty.id.desc())
        .limit(1)
    )

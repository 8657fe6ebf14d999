"""The duty roster: who is planned at which window when, and the sign-ins beside it.

Duty decides whom a new rating is attributed to, so every change here is audit-logged.
Ratings already recorded keep the staff member they were attributed to when they arrived.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Duty, Staff, User, Window
from kiosk.services import audit

UTC = ZoneInfo("UTC")


class RosterError(ValueError):
    """The duty cannot be saved; the message (translatable) says why."""


@dataclass
class WindowDay:
    """One window's duties on one day, in start order."""

    window: Window
    duties: list[Duty] = field(default_factory=list)


def local_to_utc(local: datetime) -> datetime:
    """Convert a naive hall-local time (as typed in a form) to naive UTC."""
    return local.replace(tzinfo=clock.hall_zone()).astimezone(UTC).replace(tzinfo=None)


def utc_to_local_naive(moment: datetime) -> datetime:
    """Convert a naive UTC time to naive hall-local time (for form fields)."""
    return clock.to_local(moment).replace(tzinfo=None)


def hall_duty(hall_id: int | None, duty_id: int) -> Duty | None:
    """Return the duty if its window belongs to the hall, else None."""
    duty = db.session.get(Duty, duty_id)
    return duty if duty is not None and duty.window.hall_id == hall_id else None


def day_view(hall_id: int | None, day: date) -> list[WindowDay]:
    """Return every window of the hall with the duties overlapping the hall-local day."""
    start = local_to_utc(datetime.combine(day, time.min))
    end = local_to_utc(datetime.combine(day, time.max))
    windows = list(
        db.session.scalars(select(Window).where(Window.hall_id == hall_id).order_by(Window.number))
    )
    rows = {window.id: WindowDay(window) for window in windows}
    duties = db.session.scalars(
        select(Duty)
        .join(Duty.window)
        .where(
            Window.hall_id == hall_id,
            Duty.starts_at <= end,
            or_(Duty.ends_at.is_(None), Duty.ends_at > start),
        )
        .order_by(Duty.starts_at, Duty.id)
    )
    for duty in duties:
        rows[duty.window_id].duties.append(duty)
    return list(rows.values())


def _check(
    hall_id: int,
    staff: Staff,
    window: Window,
    starts_at: datetime,
    ends_at: datetime | None,
    except_id: int | None = None,
) -> None:
    if staff.hall_id != hall_id or window.hall_id != hall_id:
        raise RosterError(_l("人员或窗口不属于本大厅。"))
    if not staff.active or not window.active:
        raise RosterError(_l("停用的人员或窗口不能排班。"))
    if ends_at is not None and ends_at <= starts_at:
        raise RosterError(_l("结束时间必须晚于开始时间。"))
    # One person cannot serve at two windows at once: refuse overlapping duties of the same staff.
    query = select(Duty.id).where(
        Duty.staff_id == staff.id,
        or_(Duty.ends_at.is_(None), Duty.ends_at > starts_at),
    )
    if ends_at is not None:
        query = query.where(Duty.starts_at < ends_at)
    if except_id is not None:
        query = query.where(Duty.id != except_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise RosterError(_l("该人员在这个时段已有值班安排。"))


def _facts(duty: Duty) -> dict[str, object]:
    return {
        "staff_id": duty.staff_id,
        "window_id": duty.window_id,
        "starts_at": duty.starts_at.isoformat(timespec="minutes"),
        "ends_at": duty.ends_at.isoformat(timespec="minutes") if duty.ends_at else None,
        "source": duty.source,
    }


def _log(action: str, duty: Duty, actor: User, reason: str = "", **detail: object) -> None:
    audit.record(
        action,
        actor=actor,
        target_type="duty",
        target_id=duty.id,
        hall_id=duty.window.hall_id,
        reason=reason,
        detail={**_facts(duty), **detail},
    )


def create_duty(
    hall_id: int,
    *,
    staff: Staff,
    window: Window,
    starts_at: datetime,
    ends_at: datetime | None,
    actor: User,
) -> Duty:
    """Plan a staff member at a window (naive UTC times); raise RosterError if it cannot be."""
    _check(hall_id, staff, window, starts_at, ends_at)
    duty = Duty(staff=staff, window=window, starts_at=starts_at, ends_at=ends_at, source="roster")
    db.session.add(duty)
    db.session.flush()
    _log("roster.create", duty, actor)
    return duty


def update_duty(
    duty: Duty,
    *,
    staff: Staff,
    window: Window,
    starts_at: datetime,
    ends_at: datetime | None,
    reason: str,
    actor: User,
) -> None:
    """Change a planned duty; raise RosterError if the result is not a valid duty."""
    if duty.source != "roster":
        raise RosterError(_l("窗口人员自己的签到不能修改，只能结束。"))
    _check(duty.window.hall_id, staff, window, starts_at, ends_at, except_id=duty.id)
    before = _facts(duty)
    duty.staff, duty.window, duty.starts_at, duty.ends_at = staff, window, starts_at, ends_at
    db.session.flush()
    _log("roster.update", duty, actor, reason=reason, before=before)


def end_duty(duty: Duty, *, at: datetime, actor: User) -> None:
    """End a duty at `at` (naive UTC): open or later-ending duties stop then."""
    if duty.ends_at is not None and duty.ends_at <= at:
        raise RosterError(_l("这项值班已经结束。"))
    if duty.starts_at >= at:
        raise RosterError(_l("这项值班还没有开始；请修改时间。"))
    before = _facts(duty)
    duty.ends_at = at
    db.session.flush()
    _log("roster.end", duty, actor, before=before)


def cancel_duty(duty: Duty, *, now: datetime, actor: User) -> None:
    """Remove a planned duty that has not started yet (no rating can have used it)."""
    if duty.source != "roster" or duty.starts_at <= now:
        raise RosterError(_l("只能取消尚未开始的排班；已开始的请结束。"))
    _log("roster.cancel", duty, actor)
    db.session.delete(duty)
    db.session.flush()

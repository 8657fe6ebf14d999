"""The complaint loop (差评处理): verify, rectify, follow up, close; appeal and review.

States (DESIGN §2)::

    new ──verify──▶ valid ──start_rectification──▶ rectifying ──rectify──▶ rectified
     │                                                                        │
     └──verify──▶ invalid ──close──▶ closed ◀──close── followed_up ◀──follow_up┘

The verdict (Complaint.is_valid) is separate from the workflow: an appeal (申诉) by the staff
member concerned against a valid verdict is reviewed (复核) by a supervisor other than the
one who verified it; overturning sets is_valid False (no deduction) and leaves the workflow
where it was, because the resident is still owed the rectification and the call-back.

Every step appends a ComplaintEvent (the timeline) and an audit entry. Refused steps raise
ComplaintError and change nothing.

Deadlines (kiosk.services.workdays): 核实 COMPLAINT_VERIFY_DAYS working days after the complaint
arrived, 整改 COMPLAINT_RECTIFY_DAYS after the verification, 回访 COMPLAINT_FOLLOWUP_DAYS after
the rectification; each ends at 24:00 hall time on its last working day. A complaint is
overdue when the deadline of the stage it is in has passed. An appeal is possible for
COMPLAINT_APPEAL_DAYS working days after a valid verdict, so that the verdict (and the
evaluation that deducts points for it) becomes final.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from kiosk import clock
from kiosk.extensions import db
from kiosk.labels import COMPLAINT_STATUS_LABELS
from kiosk.models import (
    COMPLAINT_STATUSES,
    REASON_TAGS,
    SATISFACTIONS,
    SEVERITIES,
    Complaint,
    ComplaintEvent,
    Hall,
    Staff,
    User,
    Window,
)
from kiosk.security_log import security_event
from kiosk.services import audit, complaint_contacts, notifications, workdays
from kiosk.services.privacy import erase_phone_numbers, is_mobile_number
from kiosk.services.settings import setting

NOTE_MAX = 500
# Which deadline applies while a complaint is in each status.
STAGE_DEADLINE = {
    "new": "verify_due_at",
    "valid": "rectify_due_at",
    "rectifying": "rectify_due_at",
    "rectified": "followup_due_at",
}


class ComplaintError(Exception):
    """A refused step; message is for the user (Chinese), status the HTTP answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- deadlines -------------------------------------------------------------------------------


def current_due_at(complaint: Complaint) -> datetime | None:
    """Return the deadline of the stage the complaint is in (None when it has none)."""
    name = STAGE_DEADLINE.get(complaint.status)
    return getattr(complaint, name) if name else None


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    """Return whether the current stage's deadline has passed."""
    due = current_due_at(complaint)
    return due is not None and now >= due


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Return a SQL condition true for overdue complaints (the rule of is_overdue).

    The leading status test lets the database use the status index: closed complaints,
    the bulk of a hall's history, are never read.
    """
    return Complaint.status.in_(list(STAGE_DEADLINE)) & or_(
        *(
            and_(Complaint.status == status, getattr(Complaint, name) <= now)
            for status, name in STAGE_DEADLINE.items()
        )
    )


def overdue_count(hall_id: int, now: datetime, staff_id: int | None = None) -> int:
    """Return how many of the hall's complaints are overdue (for dashboards and the board)."""
    query = select(func.count(Complaint.id)).where(
        Complaint.hall_id == hall_id, overdue_clause(now)
    )
    if staff_id is not None:
        query = query.where(Complaint.staff_id == staff_id)
    return db.session.scalar(query) or 0


def awaiting_verification_count(hall_id: int) -> int:
    """Return how many of the hall's complaints wait to be verified (待核实)."""
    return (
        db.session.scalar(
            select(func.count(Complaint.id)).where(
                Complaint.hall_id == hall_id, Complaint.status == "new"
            )
        )
        or 0
    )


# --- the timeline ----------------------------------------------------------------------------


def _clean(note: str | None, *, required: str | None = None) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ComplaintError(required, 400)
    if len(note) > NOTE_MAX:
        raise ComplaintError(_("说明不能超过%(n)d字。", n=NOTE_MAX), 400)
    return note


def _step(
    complaint: Complaint,
    actor: User | None,
    action: str,
    now: datetime,
    *,
    to_status: str | None = None,
    note: str = "",
    severity: str | None = None,
    satisfaction: str | None = None,
    detail: dict[str, Any] | None = None,
) -> ComplaintEvent:
    from_status = complaint.status
    if to_status is not None:
        complaint.status = to_status
    complaint.updated_at = now
    event = ComplaintEvent(
        complaint_id=complaint.id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        from_status=from_status,
        to_status=complaint.status,
        note=note,
        severity=severity,
        satisfaction=satisfaction,
        created_at=now,
    )
    db.session.add(event)
    facts: dict[str, Any] = {"from": from_status, "to": complaint.status}
    if severity:
        facts["severity"] = severity
    if satisfaction:
        facts["satisfaction"] = satisfaction
    audit.record(
        f"complaint.{action}",
        actor=actor,
        target_type="complaint",
        target_id=complaint.id,
        hall_id=complaint.hall_id,
        reason=note,
        detail={**facts, **(detail or {})},
    )
    db.session.flush()
    return event


def timeline(complaint: Complaint) -> list[ComplaintEvent]:
    """Return the complaint's events, oldest first."""
    return list(
        db.session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
        )
    )


def _last_event(complaint: Complaint, *actions: str) -> ComplaintEvent | None:
    return db.session.scalar(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action.in_(actions))
        .order_by(ComplaintEvent.created_at.desc(), ComplaintEvent.id.desc())
        .limit(1)
    )


def verifier(complaint: Complaint) -> User | None:
    """Return the supervisor who verified the complaint, if anyone did."""
    event = _last_event(complaint, "verified")
    return event.actor if event else None


APPEAL_ACTIONS = {
    "appealed": "pending",
    "appeal_upheld": "upheld",
    "appeal_overturned": "overturned",
}


def appeal_state(complaint: Complaint) -> str | None:
    """Return None (no appeal), "pending", "upheld" or "overturned"."""
    return appeal_states([complaint])[complaint.id]


def appeal_states(complaint_list: list[Complaint]) -> dict[int, str | None]:
    """Return appeal_state for each complaint, with one query for all of them."""
    states: dict[int, str | None] = {complaint.id: None for complaint in complaint_list}
    if not states:
        return states
    rows = db.session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.action)
        .where(
            ComplaintEvent.complaint_id.in_(list(states)),
            ComplaintEvent.action.in_(list(APPEAL_ACTIONS)),
        )
        .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
    )
    for complaint_id, action in rows:  # later events overwrite earlier ones
        states[complaint_id] = APPEAL_ACTIONS[action]
    return states


def appealed_clause() -> ColumnElement[bool]:
    """Return a SQL condition true for complaints that were ever appealed (申诉)."""
    return exists().where(
        ComplaintEvent.complaint_id == Complaint.id, ComplaintEvent.action == "appealed"
    )


def appeal_pending_clause() -> ColumnElement[bool]:
    """Return a SQL condition true for complaints whose appeal (申诉) waits for 复核."""
    reviewed = exists().where(
        ComplaintEvent.complaint_id == Complaint.id,
        ComplaintEvent.action.in_(["appeal_upheld", "appeal_overturned"]),
    )
    return appealed_clause() & ~reviewed


def appeal_window_start(hall_id: int, now: datetime) -> datetime:
    """Return the naive-UTC moment from which a valid verdict may still be appealed at now.

    The same rule as may_still_appeal() for every complaint at once: a verdict given at or
    after this moment (and not appealed yet) is inside its appeal period, one given before is
    not. The period ends with the N-th working day after the verdict's local day, which moves
    forward with that day, so the earliest such day is found by stepping back from today.
    """
    days = setting("COMPLAINT_APPEAL_DAYS", hall=hall_id)
    today = clock.to_local(now).date()
    day = today
    while workdays.add_working_days(day - timedelta(days=1), days, hall=hall_id) >= today:
        day -= timedelta(days=1)
    start = datetime.combine(day, datetime.min.time(), clock.hall_zone())
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def appeals_pending_count(hall_id: int) -> int:
    """Return how many of the hall's complaints have an appeal waiting for 复核."""
    query = select(func.count(Complaint.id)).where(
        Complaint.hall_id == hall_id, appeal_pending_clause()
    )
    return db.session.scalar(query) or 0


# --- creating --------------------------------------------------------------------------------


def complaint_received(
    complaint: Complaint, now: datetime, actor: User | None = None, *, notify: bool = True
) -> None:
    """Start the loop for a new complaint: its verification deadline, timeline, notification.

    ratings.file_complaint calls this for residents' complaints; create_standalone for
    complaints a supervisor records (by phone, in person); the demo for its made-up history,
    without notifying anyone (notify=False).
    """
    hall_id = complaint.hall_id
    complaint.verify_due_at = workdays.due_at(
        complaint.created_at, setting("COMPLAINT_VERIFY_DAYS", hall=hall_id), hall=hall_id
    )
    db.session.flush()
    _step(
        complaint,
        actor,
        "created",
        now,
        detail={"rating_id": complaint.rating_id, "standalone": complaint.rating_id is None},
    )
    if notify:
        notifications.complaint_created(complaint, now)


def create_standalone(
    hall_id: int,
    actor: User,
    *,
    window: Window | None,
    staff: Staff | None,
    reason_tags: list[str],
    text: str,
    phone: str | None,
    now: datetime,
) -> Complaint:
    """Record a complaint received without a rating (by phone, letter, in person)."""
    text = _clean(text, required=_("请填写投诉内容。"))
    phone = (phone or "").strip() or None
    if phone is not None and not is_mobile_number(phone):
        raise ComplaintError(_("请输入11位手机号码。"), 400)
    for obj in (window, staff):
        if obj is not None and obj.hall_id != hall_id:
            raise ComplaintError(_("窗口或人员不属于本大厅。"), 400)
    complaint = Complaint(
        hall_id=hall_id,
        window_id=window.id if window else None,
        staff_id=staff.id if staff else None,
        reason_tags=[tag for tag in REASON_TAGS if tag in set(reason_tags)],
        text=text,
        contact_phone=phone,
        created_at=now,
        updated_at=now,
    )
    db.session.add(complaint)
    db.session.flush()
    complaint_received(complaint, now, actor)
    return complaint


# --- the workflow ----------------------------------------------------------------------------


def _require_status(complaint: Complaint, *allowed: str) -> None:
    if complaint.status not in allowed:
        raise ComplaintError(
            _(
                "当前状态为“%(status)s”，不能进行此操作。",
                status=COMPLAINT_STATUS_LABELS.get(complaint.status, complaint.status),
            )
        )


def verify(
    complaint: Complaint,
    actor: User,
    *,
    valid: bool,
    reason: str,
    severity: str | None,
    now: datetime,
) -> None:
    """核实: judge a new complaint valid (with severity) or invalid, with a reason."""
    _require_status(complaint, "new")
    reason = _clean(reason, required=_("请填写核实意见。"))
    if valid and severity not in SEVERITIES:
        raise ComplaintError(_("核实有效时请选择严重程度（一般、较重、严重）。"), 400)
    complaint.is_valid = valid
    complaint.severity = severity if valid else None
    complaint.verified_at = now
    if valid:
        days = setting("COMPLAINT_RECTIFY_DAYS", hall=complaint.hall_id)
        complaint.rectify_due_at = workdays.due_at(now, days, hall=complaint.hall_id)
    _step(
        complaint,
        actor,
        "verified",
        now,
        to_status="valid" if valid else "invalid",
        note=reason,
        severity=complaint.severity,
    )


def start_rectification(complaint: Complaint, actor: User, *, note: str, now: datetime) -> None:
    """开始整改 on a complaint verified as valid."""
    _require_status(complaint, "valid")
    _step(
        complaint,
        actor,
        "rectification_started",
        now,
        to_status="rectifying",
        note=_clean(note),
    )


def rectify(complaint: Complaint, actor: User, *, note: str, now: datetime) -> None:
    """整改完成: record what was done; the follow-up call is due next."""
    _require_status(complaint, "rectifying")
    note = _clean(note, required=_("请填写整改情况。"))
    complaint.rectified_at = now
    days = setting("COMPLAINT_FOLLOWUP_DAYS", hall=complaint.hall_id)
    complaint.followup_due_at = workdays.due_at(now, days, hall=complaint.hall_id)
    _step(complaint, actor, "rectified", now, to_status="rectified", note=note)


def follow_up(
    complaint: Complaint, actor: User, *, satisfaction: str, note: str, now: datetime
) -> None:
    """回访: record the call-back and the complainant's own rating of the rectification."""
    _require_status(complaint, "rectified")
    if satisfaction not in SATISFACTIONS:
        raise ComplaintError(_("请选择投诉人对整改的评价（满意、基本满意、不满意）。"), 400)
    complaint.followed_up_at = now
    _step(
        complaint,
        actor,
        "followed_up",
        now,
        to_status="followed_up",
        note=_clean(note),
        satisfaction=satisfaction,
    )


def close(complaint: Complaint, actor: User, *, note: str, now: datetime) -> None:
    """办结 a followed-up complaint, or one verified as invalid."""
    _require_status(complaint, "followed_up", "invalid")
    if appeal_state(complaint) == "pending":
        raise ComplaintError(_("申诉尚待复核，复核后才能办结。"))
    complaint.closed_at = now
    _step(complaint, actor, "closed", now, to_status="closed", note=_clean(note))


def appeal_due_at(complaint: Complaint) -> datetime | None:
    """Return when the appeal period of a complaint verified as valid ends (None: no period)."""
    if complaint.is_valid is not True or complaint.verified_at is None:
        return None
    days = setting("COMPLAINT_APPEAL_DAYS", hall=complaint.hall_id)
    return workdays.due_at(complaint.verified_at, days, hall=complaint.hall_id)


def may_still_appeal(complaint: Complaint, now: datetime) -> bool:
    """Return whether a valid verdict with no appeal yet is still inside its appeal period."""
    due = appeal_due_at(complaint)
    return complaint.is_valid is True and (due is None or now < due)


def appeal(complaint: Complaint, actor: User, *, reason: str, now: datetime) -> None:
    """申诉: the staff member concerned contests a valid verdict, once, inside the appeal period."""
    if actor.staff_id is None or actor.staff_id != complaint.staff_id:
        raise ComplaintError(_("只有被投诉的工作人员本人可以申诉。"), 403)
    if complaint.is_valid is not True:
        raise ComplaintError(_("只有核实有效的投诉可以申诉。"))
    if appeal_state(complaint) is not None:
        raise ComplaintError(_("每件投诉只能申诉一次。"))
    if not may_still_appeal(complaint, now):
        raise ComplaintError(
            _(
                "申诉期限已过：核实有效后 %(days)s 个工作日内可以申诉。",
                days=setting("COMPLAINT_APPEAL_DAYS", hall=complaint.hall_id),
            )
        )
    reason = _clean(reason, required=_("请填写申诉理由。"))
    _step(complaint, actor, "appealed", now, note=reason)


def review_appeal(
    complaint: Complaint, actor: User, *, overturn: bool, reason: str, now: datetime
) -> None:
    """复核: a supervisor other than the verifier upholds or overturns the verdict."""
    if appeal_state(complaint) != "pending":
        raise ComplaintError(_("没有待复核的申诉。"))
    first = verifier(complaint)
    if first is not None and first.id == actor.id:
        raise ComplaintError(_("复核须由核实人以外的负责人进行。"), 403)
    if actor.staff_id is not None and actor.staff_id == complaint.staff_id:
        raise ComplaintError(_("不能复核针对本人的投诉。"), 403)
    reason = _clean(reason, required=_("请填写复核意见。"))
    if overturn:
        complaint.is_valid = False
    _step(
        complaint,
        actor,
        "appeal_overturned" if overturn else "appeal_upheld",
        now,
        note=reason,
        detail={"is_valid": complaint.is_valid},
    )


def reveal_phone(complaint: Complaint, actor: User, now: datetime) -> str | None:
    """Return the complainant's full phone number for the call-back, logging who saw it.

    The reveal also shows the numbers in the complaint's text whole (the page shows them
    masked otherwise); it is refused when there is neither.
    """
    if not complaint_contacts.has_contact(complaint):
        raise ComplaintError(_("这件投诉没有留下电话，或电话已按规定删除。"), 404)
    _step(complaint, actor, "phone_revealed", now)
    security_event(
        "phone_revealed", actor_id=actor.id, complaint_id=complaint.id, hall_id=complaint.hall_id
    )
    return complaint.contact_phone


def erase_contact_on_request(
    complaint: Complaint, actor: User, *, note: str, now: datetime
) -> None:
    """Erase the complainant's number and the numbers in their text, at their request."""
    if not complaint_contacts.has_contact(complaint):
        raise ComplaintError(_("这件投诉没有留下电话，或电话已按规定删除。"), 404)
    complaint_contacts.scrub(complaint, now)
    # The note says who asked and how; a number typed into it is not kept either.
    note = erase_phone_numbers(_clean(note))
    _step(complaint, actor, "contact_erased", now, note=note, detail={"on_request": True})


def erase_contacts(now: datetime) -> int:
    """Erase the contacts of complaints closed CONTACT_RETENTION_DAYS ago or earlier.

    Each hall keeps call-back numbers for its own CONTACT_RETENTION_DAYS.
    """
    due: list[Complaint] = []
    for hall_id in db.session.scalars(select(Hall.id).order_by(Hall.id)).all():
        cutoff = now - timedelta(days=setting("CONTACT_RETENTION_DAYS", hall=hall_id))
        due += db.session.scalars(
            select(Complaint).where(
                Complaint.hall_id == hall_id,
                Complaint.status == "closed",
                Complaint.closed_at <= cutoff,
                complaint_contacts.may_hold_contact(),
            )
        )
    erased = [complaint for complaint in due if complaint_contacts.has_contact(complaint)]
    for complaint in erased:
        complaint_contacts.scrub(complaint, now)
        _step(complaint, None, "contact_erased", now)
    return len(erased)


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the supervisor's queue shows; every field optional."""

    status: str | None = None
    window_id: int | None = None
    staff_id: int | None = None
    tag: str | None = None
    overdue: bool = False
    appeal_pending: bool = False
    start: date | None = None  # local days, inclusive
    end: date | None = None


def _local_midnight(day: date) -> datetime:
    """Return the naive-UTC moment hall-local day begins."""
    local = datetime.combine(day, datetime.min.time(), clock.hall_zone())
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def queue(
    hall_id: int, filters: QueueFilter, now: datetime, *, page: int = 1, per_page: int = 50
) -> tuple[list[Complaint], int]:
    """Return a page of the hall's matching complaints (open first, newest first) and the total."""
    conditions: list[ColumnElement[bool]] = [Complaint.hall_id == hall_id]
    if filters.status in COMPLAINT_STATUSES:
        conditions.append(Complaint.status == filters.status)
    elif filters.status == "open":
        conditions.append(Complaint.status != "closed")
    if filters.window_id:
        conditions.append(Complaint.window_id == filters.window_id)
    if filters.staff_id:
        conditions.append(Complaint.staff_id == filters.staff_id)
    if filters.tag in REASON_TAGS:
        # JSON arrays are stored as text on SQLite and cast to text on PostgreSQL alike.
        conditions.append(cast(Complaint.reason_tags, String).like(f'%"{filters.tag}"%'))
    if filters.overdue:
        conditions.append(overdue_clause(now))
    if filters.appeal_pending:
        conditions.append(appeal_pending_clause())
    if filters.start:
        conditions.append(Complaint.created_at >= (_local_midnight(filters.start)))
    if filters.end:
        end = filters.end + timedelta(days=1)
        conditions.append(Complaint.created_at < (_local_midnight(end)))
    total = db.session.scalar(select(func.count(Complaint.id)).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Complaint)
        .where(*conditions)
        .order_by((Complaint.status == "closed"), Complaint.created_at.desc(), Complaint.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def for_staff(staff_id: int, hall_id: int) -> list[Complaint]:
    """Return the complaints about one staff member, newest first."""
    return list(
        db.session.scalars(
            select(Complaint)
            .where(Complaint.staff_id == staff_id, Complaint.hall_id == hall_id)
            .order_by(Complaint.created_at.desc())
            .limit(200)
        )
    )

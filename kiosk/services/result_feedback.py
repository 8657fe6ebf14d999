"""反馈与异议: written feedback on a finalised result, its acknowledgement, and one objection.

The steps, each audited:

1. A supervisor writes feedback and improvement suggestions on a person's finalised result
   (not on their own); they may rewrite them until the person acknowledges.
2. The person acknowledges (已阅) what was written.
3. The person may object (异议) once, in writing, within the scheme's ``objection_days``
   working days after the period was finalised, whether or not feedback was written.
4. A supervisor other than the one who finalised the period, the one who wrote the feedback
   and the person themselves decides: 维持原结果 (upheld) or 采纳异议 (accepted), with a note.
   The finalised result is not rewritten: the decision is shown with it, and an accepted
   objection is put right by the supervisors (a ledger entry in a later period, say), which
   the note records.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import EvaluationSnapshot, Hall, ResultFeedback, Staff, User
from kiosk.services import audit, workdays
from kiosk.services.evaluation import current_scheme, snapshot_for
from kiosk.services.periods import Period

DECISIONS = {"upheld": _l("维持原结果"), "accepted": _l("采纳异议")}
TEXT_LIMIT = 1000


class FeedbackError(Exception):
    """A refused step; message is for the user, status the HTTP answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def feedback_for(hall: Hall, period: Period, staff: Staff) -> ResultFeedback | None:
    """Return the feedback row of a person's result in a period, if anything was written."""
    return db.session.scalar(
        select(ResultFeedback).where(
            ResultFeedback.hall_id == hall.id,
            ResultFeedback.period == period.code,
            ResultFeedback.staff_id == staff.id,
        )
    )


def objection_due_at(hall: Hall, snapshot: EvaluationSnapshot) -> datetime:
    """Return when the objection period of a finalised period ends (naive UTC)."""
    days = current_scheme().objection_days
    return workdays.due_at(snapshot.finalised_at, days, hall=hall.id)


def _finalised(hall: Hall, period: Period) -> EvaluationSnapshot:
    snapshot = snapshot_for(hall, period)
    if snapshot is None:
        message = _("%(period)s 尚未定稿：定稿后才能反馈或提出异议。", period=period.label)
        raise FeedbackError(message)
    return snapshot


def _row(hall: Hall, period: Period, staff: Staff) -> ResultFeedback:
    row = feedback_for(hall, period, staff)
    if row is None:
        row = ResultFeedback(hall_id=hall.id, period=period.code, staff_id=staff.id)
        db.session.add(row)
    return row


def _text(value: str | None, *, required: str, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if not text:
        raise FeedbackError(required, 422)
    if len(text) > limit:
        raise FeedbackError(_("内容过长：最多 %(n)s 字。", n=limit), 422)
    return text


def _log(action: str, row: ResultFeedback, actor: User, hall: Hall, **detail: object) -> None:
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        target_type="result_feedback",
        target_id=row.id,
        hall_id=hall.id,
        detail={"period": row.period, "staff_id": row.staff_id, **detail},
    )


def write_feedback(
    hall: Hall,
    period: Period,
    staff: Staff,
    *,
    actor: User,
    feedback: str,
    suggestions: str,
    now: datetime,
) -> ResultFeedback:
    """Write (or rewrite, until acknowledged) a supervisor's feedback and suggestions."""
    _finalised(hall, period)
    if actor.staff_id is not None and actor.staff_id == staff.id:
        raise FeedbackError(_("不能给自己的考核结果写反馈。"), 403)
    text = _text(feedback, required=_("请填写反馈意见。"))
    advice = (suggestions or "").strip()
    if len(advice) > TEXT_LIMIT:
        raise FeedbackError(_("内容过长：最多 %(n)s 字。", n=TEXT_LIMIT), 422)
    row = _row(hall, period, staff)
    if row.acknowledged_at is not None:
        raise FeedbackError(_("本人已确认阅读，反馈不能再修改。"))
    rewritten = row.written_at is not None
    row.feedback, row.suggestions = text, advice
    row.written_by_id, row.written_at = actor.id, now
    _log("evaluation.feedback", row, actor, hall, rewritten=rewritten)
    return row


def acknowledge(
    hall: Hall, period: Period, staff: Staff, *, actor: User, now: datetime
) -> ResultFeedback:
    """已阅: the person confirms they have read the feedback on their result."""
    if actor.staff_id != staff.id:
        raise FeedbackError(_("只有本人可以确认阅读。"), 403)
    row = feedback_for(hall, period, staff)
    if row is None or row.written_at is None:
        raise FeedbackError(_("还没有反馈意见可以确认。"))
    if row.acknowledged_at is None:
        row.acknowledged_at = now
        _log("evaluation.feedback_acknowledged", row, actor, hall)
    return row


def may_object(hall: Hall, period: Period, staff: Staff, now: datetime) -> bool:
    """Return whether the person may still object to their result of the period."""
    snapshot = snapshot_for(hall, period)
    if snapshot is None or now >= objection_due_at(hall, snapshot):
        return False
    row = feedback_for(hall, period, staff)
    return row is None or row.objected_at is None


def object_to(
    hall: Hall, period: Period, staff: Staff, *, actor: User, text: str, now: datetime
) -> ResultFeedback:
    """异议: the person objects to their finalised result, once, inside the objection period."""
    if actor.staff_id != staff.id:
        raise FeedbackError(_("只有本人可以对自己的考核结果提出异议。"), 403)
    snapshot = _finalised(hall, period)
    if now >= objection_due_at(hall, snapshot):
        days = current_scheme().objection_days
        raise FeedbackError(_("异议期已过：定稿后 %(n)s 个工作日内可以提出。", n=days))
    reason = _text(text, required=_("请写明异议的理由。"))
    row = _row(hall, period, staff)
    if row.objected_at is not None:
        raise FeedbackError(_("每期只能提出一次异议。"))
    row.objection, row.objected_at = reason, now
    _log("evaluation.objection", row, actor, hall)
    return row


def may_decide(snapshot: EvaluationSnapshot, row: ResultFeedback, actor: User) -> bool:
    """Return whether actor is not involved: not the finaliser, the writer, nor the person."""
    involved = {snapshot.finalised_by_id, row.written_by_id}
    return actor.id not in involved and actor.staff_id != row.staff_id


def decide(
    hall: Hall,
    period: Period,
    staff: Staff,
    *,
    actor: User,
    outcome: str,
    note: str,
    now: datetime,
) -> ResultFeedback:
    """Decide an objection: upheld (维持原结果) or accepted (采纳异议), with a note."""
    if outcome not in DECISIONS:
        raise FeedbackError(_("请选择处理结果。"), 422)
    snapshot = _finalised(hall, period)
    row = feedback_for(hall, period, staff)
    if row is None or row.objected_at is None:
        raise FeedbackError(_("没有待处理的异议。"))
    if row.decided_at is not None:
        raise FeedbackError(_("这项异议已经处理。"))
    if not may_decide(snapshot, row, actor):
        raise FeedbackError(_("异议须由定稿人、反馈人和本人以外的负责人处理。"), 403)
    row.decision = outcome
    row.decision_note = _text(note, required=_("请填写处理意见。"))
    row.decided_by_id, row.decided_at = actor.id, now
    _log("evaluation.objection_decided", row, actor, hall, decision=outcome)
    return row


def open_objections(hall: Hall, period: Period) -> int:
    """Return how many objections of the period wait for a decision."""
    count = db.session.scalar(
        select(func.count(ResultFeedback.id)).where(
            ResultFeedback.hall_id == hall.id,
            ResultFeedback.period == period.code,
            ResultFeedback.objected_at.is_not(None),
            ResultFeedback.decided_at.is_(None),
        )
    )
    return count or 0

"""The adjustments ledger: bonuses and manual deductions approved by a supervisor.

An entry is never deleted: voiding it keeps it listed, struck through, and it stops counting.
The ledger also lists the period's complaints verified as valid, whose deductions come from the
scheme and cannot be edited here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

import scoring
from kiosk.extensions import db
from kiosk.labels import SEVERITY_LABELS, scheme_text
from kiosk.models import ADJUSTMENT_KINDS, Adjustment, Complaint, Hall, Staff, User
from kiosk.services import audit
from kiosk.services.evaluation import current_scheme
from kiosk.services.evaluation_error import EvaluationError, refuse
from kiosk.services.evaluation_inputs import approver_name, valid_complaints
from kiosk.services.periods import Period, not_begun


def approvers(hall: Hall) -> list[User]:
    """Return the active supervisors and admins of the hall (who may approve adjustments)."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.hall_id == hall.id,
                User.active.is_(True),
                User.role.in_(("supervisor", "admin")),
            )
            .order_by(User.username)
        )
    )


def add_adjustment(
    hall: Hall,
    period: Period,
    staff: Staff,
    *,
    kind: str,
    points: float | None,
    reason: str,
    evidence: str,
    approver: User,
    actor: User,
    now: datetime,
    category: str = "",
    level: str = "",
    matter: str = "",
) -> Adjustment:
    """Add a bonus or manual deduction to the ledger; audit it.

    With a ``category`` of the scheme the kind and the points come from it (its ``level``, or
    ``points`` within its range) and the reason is the category's name, then the text given;
    without one (free text) kind, points and reason are needed. ``matter`` names what the
    entry is for: the evaluation counts entries of one kind for the same matter once.
    """
    refuse(not_begun(period, now))
    reason = reason.strip()
    chosen = current_scheme().adjustment_category(category) if category else None
    if category and chosen is None:
        raise EvaluationError(_("考核方案中没有这个加减分类别。"))
    if chosen is not None:
        kind, points, named = _category_points(chosen, level, points)
        reason = f"{named}：{reason}" if reason else named
    if kind not in ADJUSTMENT_KINDS:
        raise EvaluationError(_("调整类型应为加分或扣分。"))
    if staff.hall_id != hall.id:
        raise EvaluationError(_("只能为本中心的员工登记。"))
    if approver.hall_id != hall.id or not approver.has_role("supervisor") or not approver.active:
        raise EvaluationError(_("批准人应为本中心的负责人。"))
    if points is None or not (math.isfinite(points) and 0 < points <= 100):
        raise EvaluationError(_("分值应大于 0、不超过 100。"))
    if not reason:
        raise EvaluationError(_("请填写原因。"))
    entry = Adjustment(
        hall_id=hall.id,
        staff_id=staff.id,
        period=period.code,
        kind=kind,
        points=round(points, 2),
        reason=reason[:200],
        category=chosen.code if chosen is not None else None,
        matter=matter.strip()[:100],
        evidence=evidence.strip(),
        approver_id=approver.id,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        f"adjustment.{kind}",
        actor=actor,
        target_type="adjustment",
        target_id=entry.id,
        hall_id=hall.id,
        reason=reason,
        detail={
            "period": period.code,
            "staff_id": staff.id,
            "points": entry.points,
            "approver_id": approver.id,
            **({"category": entry.category} if entry.category else {}),
            **({"matter": entry.matter} if entry.matter else {}),
        },
    )
    return entry


def _category_points(
    category: scoring.AdjustmentCategory, level: str, points: float | None
) -> tuple[str, float, str]:
    """Return the kind, the points and the name of an entry of a category, or refuse it."""
    label = scheme_text(category.label) or category.label
    if category.levels:
        chosen = category.level(level)
        if chosen is None:
            raise EvaluationError(_("请选择%(category)s的等级。", category=label))
        return category.kind, chosen.points, f"{category.label}·{chosen.label}"
    low, high = category.min_points, category.max_points
    if low == high:
        return category.kind, high, category.label
    if points is None or not low <= points <= high:
        raise EvaluationError(
            _(
                "%(category)s的分值应在 %(low)s 到 %(high)s 之间。",
                category=label,
                low=f"{low:g}",
                high=f"{high:g}",
            )
        )
    return category.kind, points, category.label


def category_choices(scheme: scoring.Scheme) -> list[tuple[str, str]]:
    """Return the ledger form's category options: ``code`` or ``code:level`` and its label."""
    kinds = {"bonus": _("加分"), "deduction": _("扣分")}
    choices = []
    for category in scheme.adjustment_categories:
        sign = "+" if category.kind == "bonus" else "−"
        name = f"{kinds[category.kind]}·{scheme_text(category.label)}"
        if category.levels:
            for level in category.levels:
                label = f"{name}·{scheme_text(level.label)}（{sign}{level.points:g}）"
                choices.append((f"{category.code}:{level.code}", label))
        elif category.min_points == category.max_points:
            choices.append((category.code, f"{name}（{sign}{category.max_points:g}）"))
        else:
            low, high = f"{category.min_points:g}", f"{category.max_points:g}"
            choices.append((category.code, f"{name}（{sign}{low}～{sign}{high}）"))
    return choices


def void_adjustment(entry: Adjustment, *, actor: User, reason: str, now: datetime) -> None:
    """Void a ledger entry (it stays listed, struck through, and stops counting); audit it."""
    if entry.voided_at is not None:
        raise EvaluationError(_("这条记录已作废。"))
    reason = reason.strip()
    if not reason:
        raise EvaluationError(_("请填写作废原因。"))
    entry.voided_at = now
    entry.voided_by_id = actor.id
    entry.void_reason = reason
    audit.record(
        "adjustment.void",
        actor=actor,
        target_type="adjustment",
        target_id=entry.id,
        hall_id=entry.hall_id,
        reason=reason,
        detail={"period": entry.period, "staff_id": entry.staff_id},
    )
    db.session.flush()


def adjustment_in_hall(hall: Hall, adjustment_id: int) -> Adjustment | None:
    """Return a ledger entry of this hall by id."""
    entry = db.session.get(Adjustment, adjustment_id)
    return entry if entry is not None and entry.hall_id == hall.id else None


@dataclass(frozen=True)
class LedgerLine:
    """One line of the ledger: a manual entry, or a verified complaint's deduction (read-only)."""

    ref: str
    staff: Staff
    kind: str  # bonus / deduction / complaint
    points: float  # signed
    reason: str
    evidence: str
    approver: str
    created_at: datetime
    entry: Adjustment | None = None
    complaint: Complaint | None = None

    @property
    def voided(self) -> bool:
        """Return whether the entry was voided."""
        return self.entry is not None and self.entry.voided_at is not None


def ledger(hall: Hall, period: Period, scheme: scoring.Scheme) -> list[LedgerLine]:
    """Return the period's ledger: manual entries and verified complaints, newest first."""
    lines: list[LedgerLine] = []
    for entry in db.session.scalars(
        select(Adjustment).where(Adjustment.hall_id == hall.id, Adjustment.period == period.code)
    ):
        sign = 1 if entry.kind == "bonus" else -1
        lines.append(
            LedgerLine(
                ref=f"#{entry.id}",
                staff=entry.staff,
                kind=entry.kind,
                points=sign * float(entry.points),
                reason=entry.reason,
                evidence=entry.evidence,
                approver=approver_name(entry.approver),
                created_at=entry.created_at,
                entry=entry,
            )
        )
    for complaint in valid_complaints(hall, period):
        assert complaint.staff is not None  # noqa: S101 - filtered in the query
        severity = complaint.severity or ""
        lines.append(
            LedgerLine(
                ref=f"#{complaint.id}",
                staff=complaint.staff,
                kind="complaint",
                points=-float(scheme.complaint_deductions[severity]),
                reason=_(
                    "投诉经核实有效（%(severity)s）",
                    severity=SEVERITY_LABELS[severity],
                ),
                evidence="",
                approver="",
                created_at=complaint.verified_at or complaint.created_at,
                complaint=complaint,
            )
        )
    lines.sort(key=lambda line: (line.created_at, line.ref), reverse=True)
    return lines

"""Periodic staff evaluation (考核): assessments, peer assignments, the adjustments ledger and
the snapshots that freeze a finalised period.

A period is a code: ``2026-11`` (month), ``2026Q4`` (quarter) or ``2026`` (year); see
kiosk.services.periods.parse_period.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.hall import Staff
from kiosk.models.user import User

ASSESSOR_KINDS = ("self", "peer", "supervisor")
ADJUSTMENT_KINDS = ("bonus", "deduction")


class Assessment(Model):
    """One assessor's points for one staff member in one period, keyed by leaf criterion code.

    Self and peer assessors are staff members; a supervisor assessment is given by a user
    account. ``assessor_key`` (``staff:<id>`` or ``user:<id>``) makes "one assessment per
    assessor, kind, subject and period" a database constraint.
    """

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("hall_id", "period", "subject_id", "kind", "assessor_key"),
        Index("ix_assessment_hall_period", "hall_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    period: Mapped[str] = mapped_column(String(7))
    subject_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # self / peer / supervisor
    assessor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    assessor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assessor_key: Mapped[str] = mapped_column(String(20))
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # How the points arrived: "form" or "import".
    source: Mapped[str] = mapped_column(String(10), default="form")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # Locked once submitted; a supervisor may reopen it for changes (it keeps counting with
    # the points last submitted until it is submitted again).
    locked: Mapped[bool] = mapped_column(default=False)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reopened_at: Mapped[datetime | None]

    subject: Mapped[Staff] = relationship(foreign_keys=[subject_id])
    assessor_staff: Mapped[Staff | None] = relationship(foreign_keys=[assessor_staff_id])
    assessor_user: Mapped[User | None] = relationship(foreign_keys=[assessor_user_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class PeerAssignment(Model):
    """A supervisor asked ``assessor`` to assess ``subject`` (同事互评) in a period."""

    __tablename__ = "peer_assignment"
    __table_args__ = (UniqueConstraint("hall_id", "period", "assessor_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[Staff] = relationship(foreign_keys=[assessor_id])
    subject: Mapped[Staff] = relationship(foreign_keys=[subject_id])
    assigned_by: Mapped[User | None] = relationship()


class Adjustment(Model):
    """A ledger entry: a bonus (创新, 表彰) or a manual deduction, with reason and approver.

    Entries are never edited or deleted; a mistaken one is voided (it stays visible, struck
    through, and stops counting).
    """

    __tablename__ = "adjustment"
    __table_args__ = (Index("ix_adjustment_hall_period", "hall_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(10))  # bonus / deduction
    points: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False))  # > 0; sign from kind
    reason: Mapped[str] = mapped_column(String(200))
    # The scheme's adjustment category (None: free text) and the matter (事项) it is for:
    # entries of one kind for the same matter count once, at the highest.
    category: Mapped[str | None] = mapped_column(String(40))
    matter: Mapped[str] = mapped_column(String(100), default="", server_default="")
    evidence: Mapped[str] = mapped_column(String(500), default="")
    approver_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    void_reason: Mapped[str] = mapped_column(String(200), default="")

    staff: Mapped[Staff] = relationship()
    approver: Mapped[User] = relationship(foreign_keys=[approver_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])


class EvaluationSnapshot(Model):
    """A finalised period's results, frozen: later edits to its inputs do not change them.

    ``results`` is kiosk.services.evaluation.plain_results(...): scoring.result_to_dict with
    each person's staff_no and name added; results_from_plain reads it back.
    """

    __tablename__ = "evaluation_snapshot"
    __table_args__ = (UniqueConstraint("hall_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    period: Mapped[str] = mapped_column(String(7))
    scheme_name: Mapped[str] = mapped_column(String(120))
    scheme_version: Mapped[str] = mapped_column(String(40))
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    finalised_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    finalised_by: Mapped[User | None] = relationship()


class ResultFeedback(Model):
    """反馈与异议 on one person's finalised result.

    A supervisor writes feedback and improvement suggestions (editable until the staff member
    acknowledges them); the staff member acknowledges, and may object (异议) once within the
    scheme's working days after finalising; a supervisor other than the one who finalised
    decides: ``upheld`` (维持原结果) or ``accepted`` (采纳异议), with a note.
    """

    __tablename__ = "result_feedback"
    __table_args__ = (UniqueConstraint("hall_id", "period", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    period: Mapped[str] = mapped_column(String(7))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    feedback: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    written_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    objection: Mapped[str] = mapped_column(Text, default="")
    objected_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(10))  # upheld / accepted
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]

    staff: Mapped[Staff] = relationship()
    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class MonthlySelection(Model):
    """A month's 优秀 (服务之星) as recorded once the month has ended, with its reasons.

    ``chosen`` and ``passed`` list ``{"staff_id", "staff_no", "name", "reason", "place"}`` as
    the scheme's ``[monthly_star]`` rule decided when it was recorded (``reason`` in Chinese,
    ``phrase`` for translation); ``rule`` holds the rule's terms. A month is recorded once.
    """

    __tablename__ = "monthly_selection"
    __table_args__ = (UniqueConstraint("hall_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    month: Mapped[str] = mapped_column(String(7))
    scheme_version: Mapped[str] = mapped_column(String(40))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    chosen: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    passed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship()

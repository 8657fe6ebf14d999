"""The one adapter from database rows to ``scoring`` inputs.

Rows → inputs: per staff member, the counted ratings of the period grouped by level (counted in
SQL), their submitted assessments, the ledger's adjustments that are not voided, and the
complaints verified as valid (``Complaint.is_valid IS TRUE`` with a severity), attributed to the
complaint's staff and to the period of its ``created_at``. Formulas live in ``scoring``.

The hall mean that satisfaction indexes are smoothed toward is the mean over every counted
rating of the hall in the period (ratings with no one on duty included).

Identifiers handed to ``scoring``: a staff member is ``str(staff.id)``; a self or peer assessor
is the assessor's ``str(staff.id)``; a supervisor assessor is ``user:<user id>``; a complaint
is ``#<id>`` and a ledger entry's ``ref`` is ``#<id>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Adjustment, Assessment, Complaint, Hall, Rating, Staff, User
from kiosk.services.periods import Period


def assessor_id(row: Assessment) -> str:
    """Return the id under which ``scoring`` knows the assessor of an assessment row."""
    if row.kind == "supervisor":
        return f"user:{row.assessor_user_id}"
    return str(row.assessor_staff_id)


def level_counts(
    hall: Hall, start: datetime, end: datetime, staff_id: int | None = None
) -> dict[int | None, scoring.LevelCounts]:
    """Count the hall's counted ratings in [start, end) by staff and level (in SQL)."""
    query = (
        select(Rating.staff_id, Rating.level, func.count(Rating.id))
        .where(
            Rating.hall_id == hall.id,
            Rating.status == "counted",
            Rating.created_at >= start,
            Rating.created_at < end,
        )
        .group_by(Rating.staff_id, Rating.level)
    )
    if staff_id is not None:
        query = query.where(Rating.staff_id == staff_id)
    counts: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for sid, level, n in db.session.execute(query):
        counts[sid][int(level) - 1] += int(n)
    return {sid: scoring.LevelCounts((c[0], c[1], c[2], c[3], c[4])) for sid, c in counts.items()}


def hall_level_counts(hall: Hall, start: datetime, end: datetime) -> scoring.LevelCounts:
    """Count all the hall's counted ratings in [start, end) by level, with or without staff."""
    query = (
        select(Rating.level, func.count(Rating.id))
        .where(
            Rating.hall_id == hall.id,
            Rating.status == "counted",
            Rating.created_at >= start,
            Rating.created_at < end,
        )
        .group_by(Rating.level)
    )
    counts = [0, 0, 0, 0, 0]
    for level, n in db.session.execute(query):
        counts[int(level) - 1] += int(n)
    c = counts
    return scoring.LevelCounts((c[0], c[1], c[2], c[3], c[4]))


def valid_complaints(hall: Hall, period: Period) -> list[Complaint]:
    """Return the period's complaints verified as valid that carry a severity and a staff member."""
    start, end = period.bounds(clock.hall_zone())
    return list(
        db.session.scalars(
            select(Complaint)
            .where(
                Complaint.hall_id == hall.id,
                Complaint.is_valid.is_(True),
                Complaint.severity.in_(scoring.SEVERITIES),
                Complaint.staff_id.is_not(None),
                Complaint.created_at >= start,
                Complaint.created_at < end,
            )
            .order_by(Complaint.created_at, Complaint.id)
        )
    )


def approver_name(user: User | None) -> str:
    """Return how an approver is named in results and the ledger."""
    if user is None:
        return ""
    return user.staff.name if user.staff is not None else user.username


@dataclass
class PeriodInputs:
    """What one period's evaluation is computed from, plus the staff rows behind the ids."""

    inputs: list[scoring.StaffInput]
    hall_mean: float
    staff: dict[int, Staff]


def period_inputs(hall: Hall, period: Period, scheme: scoring.Scheme) -> PeriodInputs:
    """Turn the period's rows into scoring inputs (the only place that does so)."""
    start, end = period.bounds(clock.hall_zone())
    counts = level_counts(hall, start, end)
    hall_counts = hall_level_counts(hall, start, end)
    mean = scoring.hall_mean([hall_counts], scheme)

    assessments: dict[int, list[scoring.Assessment]] = defaultdict(list)
    rows = db.session.scalars(
        select(Assessment).where(
            Assessment.hall_id == hall.id,
            Assessment.period == period.code,
            Assessment.submitted_at.is_not(None),
        )
    )
    for row in rows:
        assessments[row.subject_id].append(
            scoring.Assessment(
                assessor_id=assessor_id(row),
                kind=row.kind,  # type: ignore[arg-type]  # a str column; submit_assessment() checks it
                scores={code: float(points) for code, points in row.scores.items()},
            )
        )

    adjustments: dict[int, list[scoring.Adjustment]] = defaultdict(list)
    for entry in db.session.scalars(
        select(Adjustment).where(
            Adjustment.hall_id == hall.id,
            Adjustment.period == period.code,
            Adjustment.voided_at.is_(None),
        )
    ):
        adjustments[entry.staff_id].append(
            scoring.Adjustment(
                kind=entry.kind,  # type: ignore[arg-type]  # a str column; add_adjustment() checks it
                points=float(entry.points),
                reason=entry.reason,
                approver=approver_name(entry.approver) or None,
                ref=f"#{entry.id}",
            )
        )

    findings: dict[int, list[scoring.ComplaintFinding]] = defaultdict(list)
    for complaint in valid_complaints(hall, period):
        assert complaint.staff_id is not None  # noqa: S101 - filtered in the query
        findings[complaint.staff_id].append(
            scoring.ComplaintFinding(f"#{complaint.id}", complaint.severity)  # type: ignore[arg-type]  # the query takes only scoring.SEVERITIES
        )

    wanted = {sid for sid in counts if sid is not None} | set(assessments)
    wanted |= set(adjustments) | set(findings)
    staff = {
        s.id: s
        for s in db.session.scalars(
            select(Staff).where(
                Staff.hall_id == hall.id, (Staff.active.is_(True)) | (Staff.id.in_(wanted))
            )
        )
    }
    inputs = [
        scoring.StaffInput(
            staff_id=str(sid),
            ratings=counts.get(sid, scoring.LevelCounts()),
            assessments=tuple(assessments.get(sid, ())),
            adjustments=tuple(adjustments.get(sid, ())),
            complaints=tuple(findings.get(sid, ())),
        )
        for sid in sorted(staff)
    ]
    return PeriodInputs(inputs, mean, staff)

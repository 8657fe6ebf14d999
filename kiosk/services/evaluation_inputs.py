"""The one adapter from database rows to ``scoring`` inputs.

Rows → inputs: per staff member, the counted ratings of the period grouped by level (read from
the rating tallies, kiosk.services.tallies), their submitted assessments, the ledger's
adjustments that are not voided, and the complaints verified as valid (``Complaint.is_valid IS
TRUE`` with a severity), attributed to the complaint's staff and to the period of its
``created_at``. Formulas live in ``scoring``.

The hall mean that satisfaction indexes are smoothed toward is the mean over every counted
rating of the hall in the period (ratings with no one on duty included).

Identifiers handed to ``scoring``: a staff member is ``str(staff.id)``; a self or peer assessor
is the assessor's ``str(staff.id)``; a supervisor assessor is ``user:<user id>``; a complaint
is ``#<id>`` and a ledger entry's ``ref`` is ``#<id>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import TALLY_GRAINS, Adjustment, Assessment, Complaint, Hall, Staff, User
from kiosk.services import complaints, tallies
from kiosk.services.periods import Period, Span
from scoring.inputs import Severity


def assessor_id(row: Assessment) -> str:
    """Return the id under which ``scoring`` knows the assessor of an assessment row."""
    if row.kind == "supervisor":
        return f"user:{row.assessor_user_id}"
    return str(row.assessor_staff_id)


def _days(period: Span) -> tuple[date, date]:
    return period.start, period.end - timedelta(days=1)


def level_counts(
    hall: Hall, period: Period, staff_id: int | None = None
) -> dict[int, scoring.LevelCounts]:
    """Return the period's counted ratings credited to each staff member, by level.

    Read from the staff tallies (kiosk.services.tallies): the ratings that counting the
    hall's counted ratings of each staff_id inside period.bounds() would find, since a tally
    counts a rating under its credited staff on the hall-local day of its created_at.
    """
    return tallies.over_days(hall.id, *_days(period), "staff", staff_id)


def hall_level_counts(hall: Hall, period: Span) -> scoring.LevelCounts:
    """Return all the hall's counted ratings of the period by level, with or without staff."""
    return tallies.total(tallies.over_days(hall.id, *_days(period), "window").values())


def trend_counts(
    hall: Hall, staff_id: int, periods: Sequence[Period]
) -> dict[Period, tuple[scoring.LevelCounts, scoring.LevelCounts]]:
    """Return, per period, the staff member's and the whole hall's counted ratings by level.

    Periods of one kind are read in two tally queries together, not two row scans each.
    """
    out: dict[Period, tuple[scoring.LevelCounts, scoring.LevelCounts]] = {}
    for kind in sorted({period.kind for period in periods}):
        alike = [period for period in periods if period.kind == kind]
        if kind not in TALLY_GRAINS:  # no grain of its own: add up its days
            for period in alike:
                mine = level_counts(hall, period, staff_id).get(staff_id, scoring.LevelCounts())
                out[period] = (mine, hall_level_counts(hall, period))
            continue
        starts = [period.start for period in alike]
        own = tallies.by_period(hall.id, kind, starts, "staff", staff_id)
        windows = tallies.by_period(hall.id, kind, starts, "window")
        for period in alike:
            out[period] = (
                own.get(period.start, {}).get(staff_id, scoring.LevelCounts()),
                tallies.total(windows.get(period.start, {}).values()),
            )
    return out


def valid_in_hall(hall: Hall, period: Span) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of the period's complaints verified as valid with a severity.

    The hall's, assigned to a staff member or not (a station answers for them all).
    """
    start, end = period.bounds(clock.hall_zone())
    return (
        Complaint.hall_id == hall.id,
        Complaint.is_valid.is_(True),
        Complaint.severity.in_(scoring.SEVERITIES),
        Complaint.created_at >= start,
        Complaint.created_at < end,
    )


def _valid_in(hall: Hall, period: Period) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of the period's complaints that deduct: valid, rated, assigned."""
    return (*valid_in_hall(hall, period), Complaint.staff_id.is_not(None))


def valid_complaints(hall: Hall, period: Period) -> list[Complaint]:
    """Return the period's complaints verified as valid that carry a severity and a staff member."""
    return list(
        db.session.scalars(
            select(Complaint)
            .where(*_valid_in(hall, period))
            .order_by(Complaint.created_at, Complaint.id)
        )
    )


def _findings(
    hall: Hall, period: Period, now: datetime
) -> dict[int, list[scoring.ComplaintFinding]]:
    """Return each staff member's verified complaints as scoring reads them.

    Plain rows rather than Complaint objects: a busy hall's year has hundreds of them, and the
    evaluation needs only who, which, how severe and whether the verdict is final. It is not
    while an appeal waits for review, or while the staff member may still appeal (the
    complaint is 待定 and deducts nothing until then).
    """
    findings: dict[int, list[scoring.ComplaintFinding]] = defaultdict(list)
    for verdict in verdicts(hall, _valid_in(hall, period), now):
        assert verdict.staff_id is not None  # noqa: S101 - filtered in the query
        findings[verdict.staff_id].append(
            scoring.ComplaintFinding(f"#{verdict.id}", verdict.severity, verdict.pending)
        )
    return findings


@dataclass(frozen=True)
class Verdict:
    """A complaint verified as valid, as the scores read it: whether its verdict is final yet."""

    id: int
    staff_id: int | None
    severity: Severity
    created_at: datetime
    verified_at: datetime | None
    pending: scoring.PendingReason | None  # None: final, it deducts


def verdicts(hall: Hall, conditions: Sequence[ColumnElement[bool]], now: datetime) -> list[Verdict]:
    """Return the hall's valid complaints that meet conditions, oldest first, each told 待定 or not.

    Not final while an appeal waits for review (``appeal``), or while the staff member may
    still appeal (``appeal_window``, kiosk.services.complaints.appeal_window_start).
    """
    window_start = complaints.appeal_window_start(hall.id, now)
    rows = db.session.execute(
        select(
            Complaint.id,
            Complaint.staff_id,
            Complaint.severity,
            Complaint.created_at,
            Complaint.verified_at,
            complaints.appeal_pending_clause(),
            complaints.appealed_clause(),
            Complaint.verified_at >= window_start,
        )
        .where(*conditions)
        .order_by(Complaint.created_at, Complaint.id)
    )
    out = []
    for complaint_id, staff_id, severity, created, verified, under_appeal, appealed, recent in rows:
        pending: scoring.PendingReason | None = None
        if under_appeal:
            pending = "appeal"
        elif not appealed and recent:
            pending = "appeal_window"
        # The conditions keep scoring.SEVERITIES only (valid_in_hall).
        severity = cast(Severity, severity)
        out.append(Verdict(complaint_id, staff_id, severity, created, verified, pending))
    return out


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


def period_inputs(
    hall: Hall,
    period: Period,
    scheme: scoring.Scheme,
    now: datetime | None = None,
    parts: dict[int, tuple[scoring.PartScore, ...]] | None = None,
) -> PeriodInputs:
    """Turn the period's rows into scoring inputs (the only place that does so).

    ``now`` (default: the clock's) decides which verified complaints are still 待定.

    ``parts`` (a period built from its parts, e.g. a year from its quarters) are each staff
    member's results in those parts; the period's adjustments are then those entered for it
    and for every period inside it (its quarters and months), so that each counts once here,
    named with the period it was entered for. People with a part but nothing else (since left)
    are evaluated too.
    """
    own_codes = [period.code]
    if parts is not None:
        own_codes += [inside.code for inside in period.within()]
    counts = level_counts(hall, period)
    hall_counts = hall_level_counts(hall, period)
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
            Adjustment.period.in_(own_codes),
            Adjustment.voided_at.is_(None),
        )
    ):
        reason = entry.reason
        if entry.period != period.code:
            reason = f"{reason}（{entry.period}）"
        adjustments[entry.staff_id].append(
            scoring.Adjustment(
                kind=entry.kind,  # type: ignore[arg-type]  # a str column; add_adjustment() checks it
                points=float(entry.points),
                reason=reason,
                approver=approver_name(entry.approver) or None,
                ref=f"#{entry.id}",
                category=entry.category,
                matter=entry.matter or None,
            )
        )

    findings = _findings(hall, period, now or clock.now())

    wanted = set(counts) | set(assessments)
    wanted |= set(adjustments) | set(findings) | set(parts or {})
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
            parts=(parts or {}).get(sid, ()),
        )
        for sid in sorted(staff)
    ]
    return PeriodInputs(inputs, mean, staff)

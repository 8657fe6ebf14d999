"""Staff evaluation (考核): the one adapter from rows to ``scoring`` inputs, and its use cases.

Rows → inputs: per staff member, the counted ratings of the period grouped by level (counted in
SQL), their submitted assessments, the ledger's adjustments that are not voided, and the
complaints verified as valid (``Complaint.is_valid IS TRUE`` with a severity), attributed to the
complaint's staff and to the period of its ``created_at``. Formulas live in ``scoring``.

Periods are hall-local: ``2026-11`` is 1 November 00:00 to 1 December 00:00 Asia/Shanghai.
The hall mean that satisfaction indexes are smoothed toward is the mean over every counted
rating of the hall in the period (ratings with no one on duty included).

Identifiers handed to ``scoring``: a staff member is ``str(staff.id)``; a self or peer assessor
is the assessor's ``str(staff.id)``; a supervisor assessor is ``user:<user id>``; a complaint
is ``#<id>`` and a ledger entry's ``ref`` is ``#<id>``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.labels import SEVERITY_LABELS
from kiosk.models import (
    ADJUSTMENT_KINDS,
    ASSESSOR_KINDS,
    Adjustment,
    Assessment,
    Complaint,
    EvaluationSnapshot,
    Hall,
    PeerAssignment,
    Rating,
    Staff,
    User,
)
from kiosk.services import audit
from kiosk.services.settings import setting

MAX_IMPORT_ROWS = 1000


class EvaluationError(ValueError):
    """The request cannot be carried out; the message is for the user and nothing was written."""


# --------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True, order=True)
class Period:
    """An evaluation period: a month (``2026-11``), quarter (``2026Q4``) or year (``2026``)."""

    year: int
    kind: str  # month / quarter / year
    number: int  # month 1..12, quarter 1..4, 1 for a year

    @property
    def code(self) -> str:
        """Return the period's code as used in URLs, files and the CLI."""
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        """Return the period in words (2026年11月, 2026年第4季度, 2026年度)."""
        if self.kind == "month":
            return _("%(year)s年%(month)s月", year=self.year, month=self.number)
        if self.kind == "quarter":
            return _("%(year)s年第%(q)s季度", year=self.year, q=self.number)
        return _("%(year)s年度", year=self.year)

    @property
    def start(self) -> date:
        """Return the first local day of the period."""
        if self.kind == "month":
            return date(self.year, self.number, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """Return the first local day after the period."""
        return self.next().start

    def next(self) -> Period:
        """Return the period that follows this one (same kind)."""
        last = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        if self.number < last:
            return Period(self.year, self.kind, self.number + 1)
        return Period(self.year + 1, self.kind, 1)

    def previous(self) -> Period:
        """Return the period before this one (same kind)."""
        last = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        if self.number > 1:
            return Period(self.year, self.kind, self.number - 1)
        return Period(self.year - 1, self.kind, last)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the naive UTC start (inclusive) and end (exclusive) of the period."""

        def utc(day: date) -> datetime:
            local = datetime.combine(day, time(0), tzinfo=zone)
            return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

        return utc(self.start), utc(self.end)

    def __str__(self) -> str:
        return self.code


_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2})|[Qq]([1-4]))?$")


def parse_period(text: str) -> Period:
    """Return the period a code names, or raise EvaluationError saying what a code looks like."""
    value = (text or "").strip()
    match = _PERIOD.match(value)
    year = int(match.group(1)) if match else 0
    if match is None or not 2000 <= year <= 2100:
        raise EvaluationError(
            _(
                "期间“%(value)s”无法识别：请写作 2026-11（月）、2026Q4（季度）或 2026（年度）。",
                value=value[:20],
            )
        )
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise EvaluationError(_("期间“%(value)s”的月份应为 1–12。", value=value))
        return Period(year, "month", month)
    if match.group(3):
        return Period(year, "quarter", int(match.group(3)))
    return Period(year, "year", 1)


def current_period(now: datetime, kind: str = "month") -> Period:
    """Return the hall-local month (or quarter, year) containing ``now`` (naive UTC)."""
    today = clock.to_local(now).date()
    if kind == "quarter":
        return Period(today.year, "quarter", (today.month - 1) // 3 + 1)
    if kind == "year":
        return Period(today.year, "year", 1)
    return Period(today.year, "month", today.month)


def not_begun(period: Period, now: datetime) -> str | None:
    """Return why nothing can be entered for ``period`` yet, or None once it has begun.

    Assessments (by form or import) and adjustments are for a period that has started: a
    self-assessment submitted and locked for a month not yet worked is a slip of the period
    picker, not an assessment.
    """
    if period.start <= clock.to_local(now).date():
        return None
    return _(
        "%(period)s 尚未开始：%(day)s 起才能提交评价、登记加减分。",
        period=period.label,
        day=period.start.isoformat(),
    )


def not_ended(period: Period, now: datetime) -> str | None:
    """Return why ``period`` cannot be finalised yet, or None once it has ended.

    Finalising cannot be undone, and ratings still count until the period's last day is over.
    """
    if period.end <= clock.to_local(now).date():
        return None
    return _(
        "%(period)s 尚未结束：%(day)s 起才能定稿。", period=period.label, day=period.end.isoformat()
    )


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise EvaluationError(reason)


# --------------------------------------------------------------------------------------------
# The scheme


def current_scheme() -> scoring.Scheme:
    """Return the scheme in force: SCORING_SCHEME_PATH's TOML file, else the default scheme."""
    path = setting("SCORING_SCHEME_PATH")
    if not path:
        return scoring.default_scheme()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as error:
        raise EvaluationError(_("考核方案文件无法读取：%(path)s", path=path)) from error
    return _load_scheme(path, stamp)


@functools.lru_cache(maxsize=4)
def _load_scheme(path: str, _stamp: int) -> scoring.Scheme:
    # Keyed by modification time: an edited file is read again, an unchanged one only once.
    return scoring.load_scheme(path)


# --------------------------------------------------------------------------------------------
# The adapter: rows → scoring inputs → results


def assessor_id(row: Assessment) -> str:
    """Return the id under which ``scoring`` knows the assessor of an assessment row."""
    if row.kind == "supervisor":
        return f"user:{row.assessor_user_id}"
    return str(row.assessor_staff_id)


def _level_counts(
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
    return {sid: scoring.LevelCounts(tuple(c)) for sid, c in counts.items()}  # type: ignore[arg-type]


def _hall_level_counts(hall: Hall, start: datetime, end: datetime) -> scoring.LevelCounts:
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
    return scoring.LevelCounts(tuple(counts))  # type: ignore[arg-type]


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
    counts = _level_counts(hall, start, end)
    hall_counts = _hall_level_counts(hall, start, end)
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
                kind=row.kind,  # type: ignore[arg-type]
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
                kind=entry.kind,  # type: ignore[arg-type]
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
            scoring.ComplaintFinding(f"#{complaint.id}", complaint.severity)  # type: ignore[arg-type]
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


def live_results(hall: Hall, period: Period) -> dict[str, Any]:
    """Evaluate the period from today's rows: scoring.result_to_dict plus staff_no and name.

    Top-level keys added: ``period`` (code) and ``hall`` (slug).
    """
    scheme = current_scheme()
    data = period_inputs(hall, period, scheme)
    try:
        result = scoring.evaluate_period(data.inputs, scheme, data.hall_mean)
    except ValueError as error:  # a stored assessment no longer fits the scheme's rubric
        raise EvaluationError(_("考核数据与考核方案不符：%(error)s", error=str(error))) from error
    plain = scoring.result_to_dict(result)
    people = []
    for row in plain["results"]:
        person = data.staff[int(row["staff_id"])]
        people.append({"staff_no": person.staff_no, "name": person.name, **row})
    plain["results"] = people
    # A JSON round trip so live results compare equal to a stored snapshot's.
    return json.loads(
        json.dumps(
            {"period": period.code, "hall": hall.slug, **plain},
            ensure_ascii=False,
        )
    )


@dataclass
class Report:
    """The results a period's pages, exports and the CLI show.

    For a finalised period ``data`` is the snapshot and ``live_differs`` says whether today's
    rows would give different results; otherwise ``data`` is live.
    """

    period: Period
    data: dict[str, Any]
    snapshot: EvaluationSnapshot | None = None
    live_differs: bool = False
    by_staff: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_staff = {int(row["staff_id"]): row for row in self.data["results"]}

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Return the people's results, best rank first."""
        return list(self.data["results"])

    def row_for(self, staff_id: int) -> dict[str, Any] | None:
        """Return one person's result, or None if they are not in this period's results."""
        return self.by_staff.get(staff_id)


def snapshot_for(hall: Hall, period: Period) -> EvaluationSnapshot | None:
    """Return the finalised snapshot of a period, if any."""
    return db.session.scalar(
        select(EvaluationSnapshot).where(
            EvaluationSnapshot.hall_id == hall.id, EvaluationSnapshot.period == period.code
        )
    )


def period_report(hall: Hall, period: Period) -> Report:
    """Return the period's results: the snapshot if finalised (noting live changes), else live."""
    live = live_results(hall, period)
    snapshot = snapshot_for(hall, period)
    if snapshot is None:
        return Report(period, live)
    frozen = snapshot.results
    differs = _as_recorded(frozen) != _as_recorded(live)
    return Report(period, frozen, snapshot=snapshot, live_differs=differs)


def _as_recorded(data: dict[str, Any]) -> dict[str, Any]:
    """Return results without the explanation's phrases, for comparing with any snapshot.

    Snapshots taken before explanation lines and applied adjustments carried their phrase
    (scoring.explain) hold the text only; the words are the same, so they must not count as a
    change.
    """
    results = [
        {
            **row,
            "explanation": [{**line, "phrase": None} for line in row["explanation"]],
            "adjustments": [{**entry, "phrase": None} for entry in row["adjustments"]],
        }
        for row in data["results"]
    ]
    return {**data, "results": results}


def finalise_period(
    hall: Hall, period: Period, *, actor: User, now: datetime
) -> EvaluationSnapshot:
    """Freeze the period's live results as its snapshot (once); audit it."""
    if snapshot_for(hall, period) is not None:
        raise EvaluationError(_("%(period)s 已经定稿。", period=period.label))
    _refuse(not_ended(period, now))
    live = live_results(hall, period)
    snapshot = EvaluationSnapshot(
        hall_id=hall.id,
        period=period.code,
        scheme_name=live["scheme"]["name"],
        scheme_version=live["scheme"]["version"],
        results=live,
        finalised_at=now,
        finalised_by_id=actor.id,
    )
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        "evaluation.finalise",
        actor=actor,
        target_type="evaluation_snapshot",
        target_id=snapshot.id,
        hall_id=hall.id,
        detail={
            "period": period.code,
            "scheme_version": snapshot.scheme_version,
            "people": len(live["results"]),
        },
    )
    return snapshot


@dataclass(frozen=True)
class TrendPoint:
    """A person's satisfaction index in one period (``smoothed`` None: no ratings)."""

    period: Period
    smoothed: float | None
    count: int
    finalised: bool


def satisfaction_trend(
    hall: Hall, staff: Staff, period: Period, count: int = 12
) -> list[TrendPoint]:
    """Return the person's smoothed satisfaction index over the ``count`` periods up to ``period``.

    Finalised periods show their frozen value; others are computed from today's rows.
    """
    scheme = current_scheme()
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    periods.reverse()
    snapshots = {
        s.period: s
        for s in db.session.scalars(
            select(EvaluationSnapshot).where(
                EvaluationSnapshot.hall_id == hall.id,
                EvaluationSnapshot.period.in_([p.code for p in periods]),
            )
        )
    }
    zone = clock.hall_zone()
    points = []
    for each in periods:
        snapshot = snapshots.get(each.code)
        row = None
        if snapshot is not None:
            row = next(
                (r for r in snapshot.results["results"] if int(r["staff_id"]) == staff.id), None
            )
        if row is not None:
            sat = row["satisfaction"]
            smoothed = sat["smoothed"] if sat["count"] else None
            points.append(TrendPoint(each, smoothed, sat["count"], True))
            continue
        start, end = each.bounds(zone)
        mine = _level_counts(hall, start, end, staff.id).get(staff.id, scoring.LevelCounts())
        if mine.total == 0:
            points.append(TrendPoint(each, None, 0, False))
            continue
        mean = scoring.hall_mean([_hall_level_counts(hall, start, end)], scheme)
        index = scoring.satisfaction_index(mine, mean, scheme)
        points.append(TrendPoint(each, index.smoothed, index.count, False))
    return points


# --------------------------------------------------------------------------------------------
# Staff, assessors and who may assess whom


def hall_staff(hall: Hall) -> list[Staff]:
    """Return the hall's active staff, by 工号."""
    return list(
        db.session.scalars(
            select(Staff)
            .where(Staff.hall_id == hall.id, Staff.active.is_(True))
            .order_by(Staff.staff_no)
        )
    )


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


def assessor_key(kind: str, user: User) -> str:
    """Return the assessor key an assessment of ``kind`` by ``user`` is stored under."""
    if kind == "supervisor":
        return f"user:{user.id}"
    return f"staff:{user.staff_id}"


def may_assess(user: User, period: Period, subject: Staff, kind: str) -> bool:
    """Return whether ``user`` may give a ``kind`` assessment of ``subject`` in ``period``."""
    if kind == "self":
        return user.staff_id == subject.id
    if kind == "peer":
        return user.staff_id is not None and is_assigned(period, user.staff_id, subject.id)
    if kind == "supervisor":
        return user.has_role("supervisor") and user.staff_id != subject.id
    return False


def is_assigned(period: Period, assessor_id: int, subject_id: int) -> bool:
    """Return whether a supervisor assigned this peer assessment."""
    return (
        db.session.scalar(
            select(PeerAssignment.id).where(
                PeerAssignment.period == period.code,
                PeerAssignment.assessor_id == assessor_id,
                PeerAssignment.subject_id == subject_id,
            )
        )
        is not None
    )


def find_assessment(
    hall: Hall, period: Period, subject: Staff, kind: str, key: str
) -> Assessment | None:
    """Return the assessment stored under (period, subject, kind, assessor key), if any."""
    return db.session.scalar(
        select(Assessment).where(
            Assessment.hall_id == hall.id,
            Assessment.period == period.code,
            Assessment.subject_id == subject.id,
            Assessment.kind == kind,
            Assessment.assessor_key == key,
        )
    )


def check_scores(scores: dict[str, float], scheme: scoring.Scheme) -> dict[str, float]:
    """Return the points if they fit the rubric (every leaf, 0..max), else raise."""
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    clean: dict[str, float] = {}
    for code, leaf in leaves.items():
        if code not in scores or scores[code] is None:
            raise EvaluationError(_("请为“%(label)s”打分。", label=leaf.label))
        points = float(scores[code])
        if not math.isfinite(points) or not 0 <= points <= leaf.max_points:
            raise EvaluationError(
                _(
                    "“%(label)s”的得分应在 0 到 %(max)s 之间。",
                    label=leaf.label,
                    max=f"{leaf.max_points:g}",
                )
            )
        clean[code] = round(points, 2)
    unknown = sorted(set(scores) - set(leaves))
    if unknown:
        raise EvaluationError(_("未知的考核项：%(codes)s", codes="、".join(unknown)))
    return clean


def submit_assessment(
    hall: Hall,
    period: Period,
    subject: Staff,
    kind: str,
    *,
    assessor: User,
    scores: dict[str, float],
    now: datetime,
    scheme: scoring.Scheme,
) -> Assessment:
    """Store and lock ``assessor``'s assessment; refuse a locked one or an assessor not allowed."""
    if kind not in ASSESSOR_KINDS or not may_assess(assessor, period, subject, kind):
        raise EvaluationError(_("您不能提交这份评价。"))
    _refuse(not_begun(period, now))
    clean = check_scores(scores, scheme)
    key = assessor_key(kind, assessor)
    row = find_assessment(hall, period, subject, kind, key)
    return _store(row, hall, period, subject, kind, key, assessor, clean, now, "form")


def _store(
    row: Assessment | None,
    hall: Hall,
    period: Period,
    subject: Staff,
    kind: str,
    key: str,
    assessor: User | None,
    scores: dict[str, float],
    now: datetime,
    source: str,
    assessor_staff: Staff | None = None,
) -> Assessment:
    if row is not None and row.locked:
        raise EvaluationError(_("这份评价已提交并锁定；如需修改，请负责人退回。"))
    if row is None:
        staff_id = None
        if kind != "supervisor":
            staff_id = assessor_staff.id if assessor_staff else assessor.staff_id  # type: ignore[union-attr]
        row = Assessment(
            hall_id=hall.id,
            period=period.code,
            subject_id=subject.id,
            kind=kind,
            assessor_key=key,
            assessor_staff_id=staff_id,
            assessor_user_id=assessor.id if kind == "supervisor" and assessor else None,
            created_at=now,
        )
        db.session.add(row)
    row.scores = scores
    row.submitted_at = now
    row.locked = True
    row.source = source
    db.session.flush()
    return row


def reopen_assessment(row: Assessment, *, actor: User, reason: str, now: datetime) -> None:
    """Unlock a submitted assessment so its assessor can change it; audit it."""
    if not row.locked:
        raise EvaluationError(_("这份评价未锁定，无需退回。"))
    row.locked = False
    row.reopened_by_id = actor.id
    row.reopened_at = now
    audit.record(
        "assessment.reopen",
        actor=actor,
        target_type="assessment",
        target_id=row.id,
        hall_id=row.hall_id,
        reason=reason,
        detail={"period": row.period, "kind": row.kind, "subject_id": row.subject_id},
    )
    db.session.flush()


def assessment_in_hall(hall: Hall, assessment_id: int) -> Assessment | None:
    """Return an assessment of this hall by id."""
    row = db.session.get(Assessment, assessment_id)
    return row if row is not None and row.hall_id == hall.id else None


def assessments_by(hall: Hall, period: Period, user: User) -> dict[tuple[str, int], Assessment]:
    """Return ``user``'s own assessments of the period keyed by (kind, subject id)."""
    keys = [f"user:{user.id}"] + ([f"staff:{user.staff_id}"] if user.staff_id else [])
    rows = db.session.scalars(
        select(Assessment).where(
            Assessment.hall_id == hall.id,
            Assessment.period == period.code,
            Assessment.assessor_key.in_(keys),
        )
    )
    return {(r.kind, r.subject_id): r for r in rows}


@dataclass(frozen=True)
class Task:
    """One assessment someone owes in a period, and how far it is."""

    kind: str
    assessor: str
    subject: Staff
    assessment: Assessment | None

    @property
    def status(self) -> str:
        """Return submitted, reopened or pending."""
        if self.assessment is None or self.assessment.submitted_at is None:
            return "pending"
        return "submitted" if self.assessment.locked else "reopened"


def progress(hall: Hall, period: Period) -> list[Task]:
    """Return every assessment owed in the period: self for each staff member, assigned peers,
    and a supervisor assessment for each staff member; not yet submitted first."""
    staff = hall_staff(hall)
    rows = list(
        db.session.scalars(
            select(Assessment).where(
                Assessment.hall_id == hall.id, Assessment.period == period.code
            )
        )
    )
    by_key = {
        (r.kind, r.subject_id, r.assessor_staff_id): r for r in rows if r.kind != "supervisor"
    }
    supervisor_rows: dict[int, list[Assessment]] = defaultdict(list)
    for r in rows:
        if r.kind == "supervisor":
            supervisor_rows[r.subject_id].append(r)
    tasks: list[Task] = []
    for person in staff:
        tasks.append(Task("self", person.name, person, by_key.get(("self", person.id, person.id))))
    for link in peer_assignments(hall, period):
        tasks.append(
            Task(
                "peer",
                link.assessor.name,
                link.subject,
                by_key.get(("peer", link.subject_id, link.assessor_id)),
            )
        )
    for person in staff:
        given = supervisor_rows.get(person.id, [])
        if not given:
            tasks.append(Task("supervisor", _("负责人"), person, None))
        for row in given:
            name = row.assessor_user.username if row.assessor_user else _("负责人")
            tasks.append(Task("supervisor", name, person, row))
    order = {"pending": 0, "reopened": 1, "submitted": 2}
    kinds = {"self": 0, "peer": 1, "supervisor": 2}
    tasks.sort(key=lambda t: (order[t.status], kinds[t.kind], t.subject.staff_no, t.assessor))
    return tasks


# --------------------------------------------------------------------------------------------
# Peer assignments


def peer_assignments(hall: Hall, period: Period) -> list[PeerAssignment]:
    """Return the period's peer assignments, by subject then assessor."""
    rows = list(
        db.session.scalars(
            select(PeerAssignment).where(
                PeerAssignment.hall_id == hall.id, PeerAssignment.period == period.code
            )
        )
    )
    rows.sort(key=lambda r: (r.subject.staff_no, r.assessor.staff_no))
    return rows


def assign_peer(
    hall: Hall, period: Period, assessor: Staff, subject: Staff, *, actor: User, now: datetime
) -> PeerAssignment:
    """Ask ``assessor`` to assess ``subject`` in the period."""
    if assessor.id == subject.id:
        raise EvaluationError(_("不能安排员工互评自己。"))
    if assessor.hall_id != hall.id or subject.hall_id != hall.id:
        raise EvaluationError(_("只能安排本中心的员工。"))
    if is_assigned(period, assessor.id, subject.id):
        raise EvaluationError(_("已安排 %(a)s 评价 %(s)s。", a=assessor.name, s=subject.name))
    link = PeerAssignment(
        hall_id=hall.id,
        period=period.code,
        assessor_id=assessor.id,
        subject_id=subject.id,
        assigned_by_id=actor.id,
        created_at=now,
    )
    db.session.add(link)
    db.session.flush()
    return link


def remove_peer_assignment(link: PeerAssignment) -> None:
    """Withdraw a peer assignment that has no assessment yet."""
    given = db.session.scalar(
        select(Assessment.id).where(
            Assessment.hall_id == link.hall_id,
            Assessment.period == link.period,
            Assessment.kind == "peer",
            Assessment.subject_id == link.subject_id,
            Assessment.assessor_staff_id == link.assessor_id,
        )
    )
    if given is not None:
        raise EvaluationError(_("这项互评已经提交，不能撤销安排。"))
    db.session.delete(link)
    db.session.flush()


# --------------------------------------------------------------------------------------------
# Import of assessments

KIND_WORDS = {
    "自评": "self",
    "self": "self",
    "同事互评": "peer",
    "互评": "peer",
    "peer": "peer",
    "负责人评价": "supervisor",
    "负责人": "supervisor",
    "supervisor": "supervisor",
}
COL_KIND, COL_SUBJECT, COL_ASSESSOR, COL_PERIOD = "类型", "被评人工号", "评价人", "期间"


def template_headers(scheme: scoring.Scheme) -> list[str]:
    """Return the import file's header row for a scheme."""
    leaves = [f"{leaf.label}（{leaf.max_points:g}）" for leaf in scheme.leaves]
    return [COL_PERIOD, COL_KIND, COL_SUBJECT, COL_ASSESSOR, *leaves]


@dataclass(frozen=True)
class RowError:
    """A problem with one row (``row`` as numbered in the spreadsheet) of an import."""

    row: int
    column: str
    message: str


class ImportRejected(EvaluationError):
    """The file had errors; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(_("导入失败：%(n)s 处错误，未导入任何数据。", n=len(errors)))
        self.errors = list(errors)


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    """Return the rows of an uploaded XLSX or CSV file (first sheet), or raise EvaluationError."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(content)
    raise EvaluationError(_("请上传 .xlsx 或 .csv 文件。"))


def _read_xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise EvaluationError(_("无法读取这个 Excel 文件，请确认是 .xlsx 格式。")) from error
    return rows


def _read_csv(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise EvaluationError(_("无法识别 CSV 文件的编码，请另存为 UTF-8。"))
    try:
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise EvaluationError(_("CSV 文件格式有误：%(e)s", e=str(error))) from error


def _header_key(value: Any) -> str:
    text = str(value or "").strip().replace(" ", "")
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


@dataclass(frozen=True)
class ImportOutcome:
    """How many assessments an import created and replaced."""

    created: int
    updated: int


def import_assessments(
    hall: Hall,
    period: Period,
    table: list[list[Any]],
    *,
    actor: User,
    now: datetime,
    scheme: scoring.Scheme,
) -> ImportOutcome:
    """Import assessments from a table (header row first), all or nothing.

    Raises ImportRejected listing every row's errors; then nothing was written.
    """
    _refuse(not_begun(period, now))
    if not table or all(_blank(v) for v in table[0]):
        raise ImportRejected([RowError(1, "", _("第一行应为表头。"))])
    header = [_header_key(v) for v in table[0]]
    leaves = scheme.leaves
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in (COL_KIND, COL_SUBJECT, COL_ASSESSOR, COL_PERIOD):
            columns[name] = index
            continue
        for leaf in leaves:
            if name in (leaf.label, leaf.code):
                columns[leaf.code] = index
    errors: list[RowError] = []
    for needed in (COL_KIND, COL_SUBJECT, COL_ASSESSOR):
        if needed not in columns:
            errors.append(RowError(1, needed, _("缺少这一列。")))
    for leaf in leaves:
        if leaf.code not in columns:
            errors.append(RowError(1, leaf.label, _("缺少这一列。")))
    if errors:
        raise ImportRejected(errors)
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if not all(_blank(v) for v in row)]
    if not body:
        raise ImportRejected([RowError(2, "", _("文件中没有数据行。"))])
    if len(body) > MAX_IMPORT_ROWS:
        raise ImportRejected(
            [RowError(MAX_IMPORT_ROWS + 2, "", _("一次最多导入 %(n)s 行。", n=MAX_IMPORT_ROWS))]
        )

    staff_by_no = {
        s.staff_no: s for s in db.session.scalars(select(Staff).where(Staff.hall_id == hall.id))
    }
    users = {
        u.username: u
        for u in db.session.scalars(
            select(User).where(User.hall_id == hall.id, User.active.is_(True))
        )
    }

    def cell(row: list[Any], column: str) -> Any:
        index = columns[column]
        return row[index] if index < len(row) else None

    planned: list[tuple[int, str, Staff, Staff | None, User | None, dict[str, float]]] = []
    seen: dict[tuple[str, int, str], int] = {}
    for number, row in body:
        row_errors: list[RowError] = []
        if COL_PERIOD in columns and not _blank(cell(row, COL_PERIOD)):
            try:
                given = parse_period(str(cell(row, COL_PERIOD)).strip())
            except EvaluationError:
                given = None
            if given != period:
                row_errors.append(
                    RowError(number, COL_PERIOD, _("期间应为 %(p)s。", p=period.code))
                )
        kind = KIND_WORDS.get(str(cell(row, COL_KIND) or "").strip().lower())
        if kind is None:
            row_errors.append(
                RowError(number, COL_KIND, _("类型应为 自评、同事互评 或 负责人评价。"))
            )
        subject = staff_by_no.get(str(cell(row, COL_SUBJECT) or "").strip())
        if subject is None:
            row_errors.append(RowError(number, COL_SUBJECT, _("本中心没有这个工号。")))
        who = str(cell(row, COL_ASSESSOR) or "").strip()
        assessor_staff: Staff | None = None
        assessor_user: User | None = None
        if kind == "supervisor":
            assessor_user = users.get(who)
            if assessor_user is None or not assessor_user.has_role("supervisor"):
                row_errors.append(
                    RowError(number, COL_ASSESSOR, _("负责人评价的评价人应为负责人的用户名。"))
                )
            elif subject is not None and assessor_user.staff_id == subject.id:
                row_errors.append(RowError(number, COL_ASSESSOR, _("负责人不能评价自己。")))
        elif kind is not None:
            assessor_staff = staff_by_no.get(who)
            if assessor_staff is None:
                row_errors.append(RowError(number, COL_ASSESSOR, _("本中心没有这个工号。")))
            elif subject is not None and kind == "self" and assessor_staff.id != subject.id:
                row_errors.append(RowError(number, COL_ASSESSOR, _("自评的评价人应与被评人相同。")))
            elif subject is not None and kind == "peer" and assessor_staff.id == subject.id:
                row_errors.append(RowError(number, COL_ASSESSOR, _("同事互评不能评价自己。")))
        scores: dict[str, float] = {}
        for leaf in leaves:
            raw = cell(row, leaf.code)
            try:
                if _blank(raw) or isinstance(raw, bool):
                    raise ValueError
                points = float(str(raw).strip())
                if not math.isfinite(points):
                    raise ValueError
            except ValueError:
                row_errors.append(RowError(number, leaf.label, _("应填写数字。")))
                continue
            if not 0 <= points <= leaf.max_points:
                row_errors.append(
                    RowError(
                        number,
                        leaf.label,
                        _("应在 0 到 %(max)s 之间。", max=f"{leaf.max_points:g}"),
                    )
                )
            scores[leaf.code] = round(points, 2)
        key = None
        if kind is not None and subject is not None and not row_errors:
            key = (
                f"user:{assessor_user.id}" if assessor_user else f"staff:{assessor_staff.id}"  # type: ignore[union-attr]
            )
            earlier = seen.get((kind, subject.id, key))
            if earlier is not None:
                row_errors.append(RowError(number, "", _("与第 %(n)s 行重复。", n=earlier)))
            else:
                seen[(kind, subject.id, key)] = number
                existing = find_assessment(hall, period, subject, kind, key)
                if existing is not None and existing.locked:
                    row_errors.append(
                        RowError(number, "", _("这份评价已提交并锁定；如需修改，请负责人先退回。"))
                    )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert kind is not None and subject is not None and key is not None  # noqa: S101
        planned.append((number, kind, subject, assessor_staff, assessor_user, scores))
    if errors:
        raise ImportRejected(errors)

    created = updated = 0
    with db.session.begin_nested():
        for _number, kind, subject, assessor_staff, assessor_user, scores in planned:
            key = f"user:{assessor_user.id}" if assessor_user else f"staff:{assessor_staff.id}"  # type: ignore[union-attr]
            existing = find_assessment(hall, period, subject, kind, key)
            if kind == "peer" and not is_assigned(period, assessor_staff.id, subject.id):  # type: ignore[union-attr]
                assign_peer(hall, period, assessor_staff, subject, actor=actor, now=now)  # type: ignore[arg-type]
            _store(
                existing,
                hall,
                period,
                subject,
                kind,
                key,
                assessor_user,
                scores,
                now,
                "import",
                assessor_staff=assessor_staff,
            )
            if existing is None:
                created += 1
            else:
                updated += 1
    audit.record(
        "assessment.import",
        actor=actor,
        target_type="period",
        target_id=None,
        hall_id=hall.id,
        detail={"period": period.code, "created": created, "updated": updated},
    )
    return ImportOutcome(created, updated)


# --------------------------------------------------------------------------------------------
# The adjustments ledger


def add_adjustment(
    hall: Hall,
    period: Period,
    staff: Staff,
    *,
    kind: str,
    points: float,
    reason: str,
    evidence: str,
    approver: User,
    actor: User,
    now: datetime,
) -> Adjustment:
    """Add a bonus or manual deduction to the ledger; audit it."""
    _refuse(not_begun(period, now))
    if kind not in ADJUSTMENT_KINDS:
        raise EvaluationError(_("调整类型应为加分或扣分。"))
    if staff.hall_id != hall.id:
        raise EvaluationError(_("只能为本中心的员工登记。"))
    if approver.hall_id != hall.id or not approver.has_role("supervisor") or not approver.active:
        raise EvaluationError(_("批准人应为本中心的负责人。"))
    if not (math.isfinite(points) and 0 < points <= 100):
        raise EvaluationError(_("分值应大于 0、不超过 100。"))
    reason = reason.strip()
    if not reason:
        raise EvaluationError(_("请填写原因。"))
    entry = Adjustment(
        hall_id=hall.id,
        staff_id=staff.id,
        period=period.code,
        kind=kind,
        points=round(points, 2),
        reason=reason,
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
        },
    )
    return entry


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


def staff_in_hall(hall: Hall, staff_id: int) -> Staff | None:
    """Return a staff member of this hall by id."""
    person = db.session.get(Staff, staff_id)
    return person if person is not None and person.hall_id == hall.id else None

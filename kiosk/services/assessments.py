"""Assessments (自评, 同事互评, 负责人评价): who may assess whom, entry and locking, progress,
and the peer assignments that say which colleagues assess each other.

An assessment is stored under (period, subject, kind, assessor key); the key is ``user:<id>``
for a supervisor assessment and ``staff:<id>`` for a self or peer one. A submitted assessment
is locked until a supervisor reopens it. Imports from a file are in ``assessment_import``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

import scoring
from kiosk.extensions import db
from kiosk.models import ASSESSOR_KINDS, Assessment, Hall, PeerAssignment, Staff, User
from kiosk.services import audit
from kiosk.services.evaluation_error import EvaluationError, refuse
from kiosk.services.people import hall_staff
from kiosk.services.periods import Period, not_begun

# --------------------------------------------------------------------------------------------
# Staff, assessors and who may assess whom


def _staff_id(assessor: User | Staff) -> int | None:
    return assessor.staff_id if isinstance(assessor, User) else assessor.id


def assessor_key(kind: str, assessor: User | Staff) -> str:
    """Return the assessor key an assessment of ``kind`` by ``assessor`` is stored under.

    ``assessor`` is a user, or for a self or peer assessment the staff member (as an import
    names them).
    """
    if kind == "supervisor":
        return f"user:{assessor.id}"
    return f"staff:{_staff_id(assessor)}"


def may_assess(
    assessor: User | Staff, period: Period, subject: Staff, kind: str, *, assigning: bool = False
) -> bool:
    """Return whether ``assessor`` may give a ``kind`` assessment of ``subject`` in ``period``.

    ``assessor`` is a user, or for a self or peer assessment the staff member (as an import
    names them); only a user who is a supervisor gives a supervisor assessment. ``assigning``:
    the peer assessment is assigned along with it (an import does so), so it need not be
    assigned yet, but only a colleague can be assigned.
    """
    if kind == "supervisor":
        return (
            isinstance(assessor, User)
            and assessor.has_role("supervisor")
            and assessor.staff_id != subject.id
        )
    staff_id = _staff_id(assessor)
    if kind == "self":
        return staff_id == subject.id
    if kind == "peer":
        if staff_id is None:
            return False
        if assigning:
            return staff_id != subject.id
        return is_assigned(period, staff_id, subject.id)
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


@dataclass(frozen=True)
class ScoreProblem:
    """A criterion of the rubric whose points are missing (``missing``) or outside 0..max."""

    leaf: scoring.Criterion
    missing: bool


class ScoresRejected(EvaluationError):
    """Points that do not fit the rubric: every criterion in ``problems``, the first in words."""

    def __init__(self, problems: Sequence[ScoreProblem]) -> None:
        first = problems[0]
        if first.missing:
            message = _("请为“%(label)s”打分。", label=first.leaf.label)
        else:
            message = _(
                "“%(label)s”的得分应在 0 到 %(max)s 之间。",
                label=first.leaf.label,
                max=f"{first.leaf.max_points:g}",
            )
        super().__init__(message)
        self.problems = list(problems)


def check_scores(scores: Mapping[str, float | None], scheme: scoring.Scheme) -> dict[str, float]:
    """Return the points if they fit the rubric (every leaf, 0..max), else raise.

    Points are rounded to 0.01. Leaves missing (or None) or out of range (not finite included)
    raise ScoresRejected listing each in rubric order; a code not in the rubric raises
    EvaluationError.
    """
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    clean: dict[str, float] = {}
    problems: list[ScoreProblem] = []
    for code, leaf in leaves.items():
        given = scores.get(code)
        if given is None:
            problems.append(ScoreProblem(leaf, missing=True))
            continue
        points = float(given)
        if not math.isfinite(points) or not 0 <= points <= leaf.max_points:
            problems.append(ScoreProblem(leaf, missing=False))
            continue
        clean[code] = round(points, 2)
    if problems:
        raise ScoresRejected(problems)
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
    refuse(not_begun(period, now))
    clean = check_scores(scores, scheme)
    key = assessor_key(kind, assessor)
    row = find_assessment(hall, period, subject, kind, key)
    return store_assessment(row, hall, period, subject, kind, key, assessor, clean, now, "form")


def store_assessment(
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
    """Write ``scores`` into ``row`` (or a new row) and lock it; refuse a locked one.

    The caller has checked the assessor and the scores. ``assessor_staff`` is a self or peer
    assessor named in an import, who need not have a user account.
    """
    if row is not None and row.locked:
        raise EvaluationError(_("这份评价已提交并锁定；如需修改，请负责人退回。"))
    if row is None:
        staff_id = None
        if kind != "supervisor":
            if assessor_staff is not None:
                staff_id = assessor_staff.id
            elif assessor is not None:
                staff_id = assessor.staff_id
            else:  # a caller's bug, as the AttributeError on None.staff_id used to say
                raise ValueError("a self or peer assessment names its assessor")
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
    staff = hall_staff(hall.id, active_only=True)
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

"""Staff evaluation (考核): the scheme in force and a period's results, live or finalised.

A period's results are computed by ``scoring`` from the inputs ``evaluation_inputs`` reads from
the rows; finalising freezes them as the period's snapshot. Periods are in ``periods``,
assessments in ``assessments`` (their import in ``assessment_import``) and the adjustments
ledger in ``adjustments``.
"""

from __future__ import annotations

import functools
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Complaint, EvaluationSnapshot, Hall, Staff, User
from kiosk.services import audit, complaints
from kiosk.services.evaluation_error import EvaluationError, refuse
from kiosk.services.evaluation_inputs import period_inputs, trend_counts
from kiosk.services.periods import Period, not_ended
from kiosk.services.settings import setting


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


@dataclass(frozen=True)
class PersonResult:
    """One person's result with the staff number and name it is shown under."""

    staff_no: str
    name: str
    result: scoring.StaffResult

    @property
    def staff_id(self) -> int:
        """Return the person's Staff id."""
        return int(self.result.staff_id)


@dataclass(frozen=True)
class Evaluation:
    """A hall's period evaluated: scoring's result and whose each staff result is.

    ``people`` holds one entry per ``result.results``, in the same order (best rank first).
    """

    period_code: str
    hall_slug: str
    result: scoring.PeriodResult
    people: tuple[PersonResult, ...]


def live_results(hall: Hall, period: Period, now: datetime | None = None) -> Evaluation:
    """Evaluate the period from today's rows (as they stand at now, default the clock's).

    A period the scheme builds from its parts (a year from its quarters) reads each begun
    part's result first: its snapshot once finalised, else its own live result.
    """
    scheme = current_scheme()
    composition = scheme.compositions.get(period.kind)
    parts = None if composition is None else part_scores(hall, period, composition.parts, now)
    data = period_inputs(hall, period, scheme, now, parts)
    try:
        result = scoring.evaluate_period(data.inputs, scheme, data.hall_mean, composition)
    except ValueError as error:  # a stored assessment no longer fits the scheme's rubric
        raise EvaluationError(_("考核数据与考核方案不符：%(error)s", error=str(error))) from error
    people = []
    for row in result.results:
        person = data.staff[int(row.staff_id)]
        people.append(PersonResult(person.staff_no, person.name, row))
    return Evaluation(period.code, hall.slug, result, tuple(people))


def part_scores(
    hall: Hall, period: Period, kind: str, now: datetime | None = None
) -> dict[int, tuple[scoring.PartScore, ...]]:
    """Return each person's base score in each part (``quarters``, ``months``) begun by now.

    A finalised part gives the base score its snapshot froze, whatever today's rows say; a
    part not finalised gives today's live one (a part the scheme builds from its own parts is
    built the same way).
    """
    today = clock.to_local(now or clock.now()).date()
    found: dict[int, list[scoring.PartScore]] = defaultdict(list)
    for part in period.parts(kind):
        if part.start > today:
            break
        snapshot = snapshot_for(hall, part)
        if snapshot is not None:
            evaluation = results_from_plain(snapshot.results)
        else:
            evaluation = live_results(hall, part, now)
        for person in evaluation.people:
            found[person.staff_id].append(
                scoring.PartScore(part.code, person.result.base_score, snapshot is not None)
            )
    return {staff_id: tuple(scores) for staff_id, scores in found.items()}


def plain_results(evaluation: Evaluation) -> dict[str, Any]:
    """Return the evaluation as JSON-ready data: what a snapshot stores, what --json prints.

    scoring.result_to_dict with ``period`` (code) and ``hall`` (slug) first and each result
    led by the person's ``staff_no`` and ``name``.
    """
    plain = scoring.result_to_dict(evaluation.result)
    rows = [
        {"staff_no": person.staff_no, "name": person.name, **row}
        for person, row in zip(evaluation.people, plain["results"], strict=True)
    ]
    return {
        "period": evaluation.period_code,
        "hall": evaluation.hall_slug,
        **plain,
        "results": rows,
    }


def results_from_plain(data: dict[str, Any]) -> Evaluation:
    """Return the evaluation a plain_results form (a stored snapshot) holds."""
    result = scoring.result_from_dict(data)
    people = tuple(
        PersonResult(str(row["staff_no"]), str(row["name"]), staff)
        for row, staff in zip(data["results"], result.results, strict=True)
    )
    return Evaluation(str(data["period"]), str(data["hall"]), result, people)


@dataclass
class Report:
    """The results a period's pages, exports and the CLI show.

    For a finalised period ``evaluation`` is the snapshot's and ``live_differs`` says whether
    today's rows would give different results; otherwise it is live.
    """

    period: Period
    evaluation: Evaluation
    snapshot: EvaluationSnapshot | None = None
    live_differs: bool = False
    by_staff: dict[int, PersonResult] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_staff = {person.staff_id: person for person in self.evaluation.people}

    @property
    def result(self) -> scoring.PeriodResult:
        """Return the period's result (scheme, hall mean, how many ranked, …)."""
        return self.evaluation.result

    @property
    def rows(self) -> tuple[PersonResult, ...]:
        """Return the people's results, best rank first."""
        return self.evaluation.people

    def row_for(self, staff_id: int) -> PersonResult | None:
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
    frozen = results_from_plain(snapshot.results)
    differs = _as_recorded(frozen) != _as_recorded(live)
    return Report(period, frozen, snapshot=snapshot, live_differs=differs)


def _as_recorded(evaluation: Evaluation) -> Evaluation:
    """Return the evaluation without the explanation's phrases, for comparing with any snapshot.

    Snapshots taken before explanation lines and applied adjustments carried their phrase
    (scoring.explain) hold the text only; the words are the same, so they must not count as a
    change.
    """
    people = tuple(
        replace(
            person,
            result=replace(
                person.result,
                explanation=tuple(replace(line, phrase=None) for line in person.result.explanation),
                adjustments=tuple(
                    replace(entry, phrase=None) for entry in person.result.adjustments
                ),
            ),
        )
        for person in evaluation.people
    )
    return replace(evaluation, people=people, result=replace(evaluation.result, results=()))


@dataclass(frozen=True)
class OpenMatter:
    """A complaint of the period whose outcome may still change a result."""

    complaint: Complaint
    why: str  # "unverified", "appeal" or "appeal_window"


OPEN_MATTER_LABELS = {
    "unverified": _l("尚未核实"),
    "appeal": _l("申诉待复核"),
    "appeal_window": _l("仍在申诉期内"),
}


def open_matters(hall: Hall, period: Period, now: datetime) -> list[OpenMatter]:
    """Return the period's complaints not settled yet, oldest first.

    Unsettled: not verified yet (it may deduct once verified), an appeal waiting for review, or
    a valid verdict the staff member may still appeal. The period's complaints are those the
    evaluation counts: created in the period.
    """
    start, end = period.bounds(clock.hall_zone())
    window_start = complaints.appeal_window_start(hall.id, now)
    under_appeal = complaints.appeal_pending_clause()
    appealable = (
        Complaint.is_valid.is_(True)
        & ~complaints.appealed_clause()
        & (Complaint.verified_at >= window_start)
    )
    rows = db.session.execute(
        select(Complaint, under_appeal, appealable)
        .where(
            Complaint.hall_id == hall.id,
            Complaint.created_at >= start,
            Complaint.created_at < end,
            Complaint.is_valid.is_(None) | under_appeal | appealable,
        )
        .order_by(Complaint.created_at, Complaint.id)
    )
    matters = []
    for complaint, appeal, window in rows:
        why = "appeal" if appeal else "appeal_window" if window else "unverified"
        matters.append(OpenMatter(complaint, why))
    return matters


def open_matters_text(matters: list[OpenMatter]) -> str:
    """Return how many complaints are open and why, e.g. 2 件尚未核实、1 件申诉待复核."""
    counts = Counter(m.why for m in matters)
    return "、".join(
        _("%(n)s 件%(why)s", n=counts[why], why=label)
        for why, label in OPEN_MATTER_LABELS.items()
        if counts[why]
    )


def finalise_period(
    hall: Hall,
    period: Period,
    *,
    actor: User,
    now: datetime,
    override_reason: str = "",
) -> EvaluationSnapshot:
    """Freeze the period's live results as its snapshot (once); audit it.

    Refused while complaints of the period are open (open_matters), unless the supervisor
    gives a reason to finalise anyway: the reason and the open complaints go to the audit log.
    """
    if snapshot_for(hall, period) is not None:
        raise EvaluationError(_("%(period)s 已经定稿。", period=period.label))
    refuse(not_ended(period, now))
    matters = open_matters(hall, period, now)
    override_reason = override_reason.strip()
    if matters and not override_reason:
        raise EvaluationError(
            _(
                "%(period)s 还有投诉未了结（%(open)s），处理完毕后才能定稿；"
                "如确需现在定稿，请填写理由。",
                period=period.label,
                open=open_matters_text(matters),
            )
        )
    live = live_results(hall, period, now)
    snapshot = EvaluationSnapshot(
        hall_id=hall.id,
        period=period.code,
        scheme_name=live.result.scheme_name,
        scheme_version=live.result.scheme_version,
        results=plain_results(live),
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
            "people": len(live.people),
            **(
                {
                    "override_reason": override_reason,
                    "open_complaints": [{"id": m.complaint.id, "why": m.why} for m in matters],
                }
                if matters
                else {}
            ),
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
    counts = trend_counts(hall, staff.id, periods)
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
        mine, whole_hall = counts[each]
        if mine.total == 0:
            points.append(TrendPoint(each, None, 0, False))
            continue
        mean = scoring.hall_mean([whole_hall], scheme)
        index = scoring.satisfaction_index(mine, mean, scheme)
        points.append(TrendPoint(each, index.smoothed, index.count, False))
    return points

"""The demo hall's evaluation: this quarter assessed, last quarter finalised and published.

This quarter gets self, peer and supervisor assessments and a bonus, so its evaluation shows
every source and adjustment. Last quarter is assessed the same way, finalised by the
supervisor and so shown on the public page (考核结果公示), with feedback on three results and
the clerk's objection, decided by the deputy (who did not finalise it). The year gets the
supervisor's annual assessment (年度评价), so the year's result shows both of its parts: its
quarters' mean and the annual assessment. Last month's 服务之星 is recorded, so the public page
lists it.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Adjustment, Assessment, Hall, PeerAssignment, Staff, User
from kiosk.services import evaluation as ev
from kiosk.services import monthly_star, result_feedback
from kiosk.services.evaluation import current_scheme
from kiosk.services.periods import Period, current_period

FEEDBACK = {
    "best": ("服务热情周到，群众评价高，继续保持。", "可以把好的做法分享给其他窗口。"),
    "clerk": ("业务熟练，个别群众反映等候时间偏长。", "高峰时段注意引导分流，减少等候。"),
    "weakest": ("本季度差评偏多，服务态度需改进。", "参加文明服务培训，学习窗口服务规范。"),
}
OBJECTION = "本季度有两周在综合窗口顶岗，业务量大，等候时间长不全是个人原因，请复核。"
DECISION = "已核对排班与业务量：等候时间已按大厅整体情况平滑计算，评分依据充分，维持原结果。"


def seed_evaluation(
    rng: random.Random,
    hall: Hall,
    roster: list[Staff],
    quality: dict[int, float],
    supervisor: User,
    now: datetime,
) -> None:
    """Assess this quarter; assess, finalise and publish last quarter (each once)."""
    this = current_period(now, "quarter")
    _seed_quarter(rng, hall, roster, quality, supervisor, this, now, bonus=True)
    last = this.previous()
    # Its own random stream: this quarter's figures stay what they were before it was added.
    last_rng = random.Random(f"demo-{last.code}")  # noqa: S311 - repeatable demo data
    assessed_at = min(now, datetime.combine(last.end, datetime.min.time()) - timedelta(days=3))
    _seed_quarter(last_rng, hall, roster, quality, supervisor, last, assessed_at, bonus=False)
    _publish(hall, roster, supervisor, last, now)
    year = current_period(now, "year")
    year_rng = random.Random(f"demo-{year.code}")  # noqa: S311 - repeatable demo data
    _seed_quarter(year_rng, hall, roster, quality, supervisor, year, now, bonus=False, annual=True)
    _record_star(hall, supervisor, current_period(now, "month").previous(), now)


def _record_star(hall: Hall, supervisor: User, month: Period, now: datetime) -> None:
    """Record last month's 服务之星 as the rule chooses it, so the public page lists it."""
    if monthly_star.selection_for(hall, month) is not None:
        return
    try:
        monthly_star.record(hall, month, actor=supervisor, now=now)
    except monthly_star.SelectionError:  # e.g. the supervisor is the star: left to another
        return


def _publish(
    hall: Hall, roster: list[Staff], supervisor: User, period: Period, now: datetime
) -> None:
    """Finalise last quarter, write feedback, and have the clerk object and the deputy decide."""
    if len(roster) < 3 or ev.snapshot_for(hall, period) is not None:
        return
    open_matters = ev.open_matters(hall, period, now)
    reason = "演示数据：上季度的投诉均已处理完毕，遗留事项不影响结果" if open_matters else ""
    ev.finalise_period(hall, period, actor=supervisor, now=now, override_reason=reason)
    report = ev.period_report(hall, period)
    graded = [row for row in report.rows if row.result.rank is not None]
    by_no = {person.staff_no: person for person in roster}
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    deputy = db.session.scalar(select(User).where(User.username == "deputy"))
    chosen = {"best": graded[0].staff_no, "weakest": graded[-1].staff_no}
    if clerk is not None and clerk.staff is not None:
        chosen["clerk"] = clerk.staff.staff_no
    for key, staff_no in chosen.items():
        feedback, suggestions = FEEDBACK[key]
        result_feedback.write_feedback(
            hall,
            period,
            by_no[staff_no],
            actor=supervisor,
            feedback=feedback,
            suggestions=suggestions,
            now=now,
        )
    if clerk is None or clerk.staff is None or deputy is None:
        return
    person = by_no[clerk.staff.staff_no]
    result_feedback.acknowledge(hall, period, person, actor=clerk, now=now)
    result_feedback.object_to(hall, period, person, actor=clerk, text=OBJECTION, now=now)
    result_feedback.decide(
        hall, period, person, actor=deputy, outcome="upheld", note=DECISION, now=now
    )


def _seed_quarter(
    rng: random.Random,
    hall: Hall,
    roster: list[Staff],
    quality: dict[int, float],
    supervisor: User,
    period: Period,
    now: datetime,
    *,
    bonus: bool,
    annual: bool = False,
) -> None:
    """Give a quarter self, peer and supervisor assessments (and a bonus), submitted at now.

    With the complaints verified as valid (demo._handle_complaints), the demo evaluation shows
    all four sources and each kind of adjustment; done once per quarter. ``annual``: the
    year's assessment, the supervisor's only (the scheme's 年度评价).
    """
    exists = db.session.scalar(
        select(Assessment.id).where(Assessment.hall_id == hall.id, Assessment.period == period.code)
    )
    if exists is not None or len(roster) < 3:
        return
    leaves = current_scheme().leaves

    def scores(staff: Staff, lenience: float) -> dict[str, float]:
        level = min(0.98, quality[staff.id] + lenience)
        points = {}
        for leaf in leaves:
            raw = leaf.max_points * (level + rng.uniform(-0.06, 0.04))
            points[leaf.code] = round(min(leaf.max_points, max(0.0, raw)) * 2) / 2  # half points
        return points

    def assessment(subject: Staff, kind: str, key: str, lenience: float, **who: int) -> Assessment:
        return Assessment(
            hall_id=hall.id,
            period=period.code,
            subject_id=subject.id,
            kind=kind,
            assessor_key=key,
            scores=scores(subject, lenience),
            source="import",
            created_at=now,
            submitted_at=now,
            locked=True,
            **who,
        )

    rows: list[object] = []
    for i, subject in enumerate(roster):
        if annual:
            rows.append(
                assessment(
                    subject,
                    "supervisor",
                    f"user:{supervisor.id}",
                    0.0,
                    assessor_user_id=supervisor.id,
                )
            )
            continue
        rows.append(
            assessment(subject, "self", f"staff:{subject.id}", 0.08, assessor_staff_id=subject.id)
        )
        rows.append(
            assessment(
                subject, "supervisor", f"user:{supervisor.id}", 0.0, assessor_user_id=supervisor.id
            )
        )
        for step in (1, 2, 3):  # three colleagues each, assigned by the supervisor
            peer = roster[(i + step) % len(roster)]
            rows.append(
                PeerAssignment(
                    hall_id=hall.id,
                    period=period.code,
                    assessor_id=peer.id,
                    subject_id=subject.id,
                    assigned_by_id=supervisor.id,
                    created_at=now,
                )
            )
            rows.append(
                assessment(subject, "peer", f"staff:{peer.id}", 0.03, assessor_staff_id=peer.id)
            )
    best = max(roster, key=lambda s: quality[s.id])
    if bonus:
        rows.append(
            Adjustment(
                hall_id=hall.id,
                staff_id=best.id,
                period=period.code,
                kind="bonus",
                points=3,
                reason="区级“优质服务窗口”表彰",
                evidence="表彰文件",
                approver_id=supervisor.id,
                created_by_id=supervisor.id,
                created_at=now,
            )
        )
    db.session.add_all(rows)
    db.session.flush()

"""The evaluation adapter: rows in the database → scoring inputs → results, on both backends.

Expected numbers are worked out by hand from the default scheme (DESIGN.md §2).
"""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Adjustment, Assessment, AuditEntry, Complaint, User
from kiosk.services import (
    adjustments,
    assessment_import,
    assessments,
    evaluation_inputs,
    periods,
)
from kiosk.services import evaluation as ev
from kiosk.services.evaluation_error import EvaluationError
from tests.helpers import give_rating

NOV = periods.Period(2026, "month", 11)
# Hall-local (Asia/Shanghai, UTC+8) 2026-11-01 00:00 is 2026-10-31 16:00 UTC.
NOV_START_UTC = datetime(2026, 10, 31, 16, 0)
_keys = itertools.count(1)


@pytest.fixture
def rctx(app, ctx):
    """A request context too: user-facing messages are translated per request."""
    with app.test_request_context():
        yield


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user("boss", "supervisor")


def rate(window, level: int, at: datetime, status: str = "counted"):
    receipt = give_rating(
        window, level, f"test-key-{next(_keys):04d}", channel="qr", now=at, status=status
    )
    db.session.commit()
    return receipt.rating


def full_marks(scheme, share: float = 1.0) -> dict[str, float]:
    return {leaf.code: leaf.max_points * share for leaf in scheme.leaves}


def test_period_codes_parse_to_hall_local_bounds(rctx):
    assert periods.parse_period("2026-11") == NOV
    assert periods.parse_period(" 2026q4 ").code == "2026Q4"
    assert periods.parse_period("2026").kind == "year"
    zone = clock.hall_zone()
    assert NOV.bounds(zone) == (NOV_START_UTC, datetime(2026, 11, 30, 16, 0))
    assert periods.parse_period("2026Q4").bounds(zone)[1] == datetime(2026, 12, 31, 16, 0)
    assert periods.parse_period("2026-12").next().code == "2027-01"
    assert periods.parse_period("2026Q1").previous().code == "2025Q4"


@pytest.mark.parametrize("bad", ["", "2026-13", "2026-0", "26-11", "2026Q5", "1999", "abc"])
def test_malformed_period_codes_are_refused_with_the_accepted_forms(rctx, bad):
    with pytest.raises(EvaluationError, match="期间"):
        periods.parse_period(bad)


def test_counts_only_counted_ratings_inside_the_local_period(
    rctx, hall, window, staff, put_on_duty
):
    put_on_duty(
        staff, window, NOV_START_UTC - timedelta(days=2), NOV_START_UTC + timedelta(days=40)
    )
    rate(window, 5, NOV_START_UTC + timedelta(minutes=30))  # 1 Nov 00:30 local: November
    rate(window, 1, NOV_START_UTC - timedelta(minutes=30))  # 31 Oct 23:30 local: October
    rate(window, 2, NOV_START_UTC + timedelta(days=1), status="quarantined")
    rate(window, 4, NOV_START_UTC + timedelta(days=29, hours=23))  # 30 Nov 23:00 local
    data = evaluation_inputs.period_inputs(hall, NOV, ev.current_scheme())
    (person,) = data.inputs
    assert person.staff_id == str(staff.id)
    assert person.ratings.counts == (0, 0, 0, 1, 1)
    october = evaluation_inputs.period_inputs(hall, NOV.previous(), ev.current_scheme())
    assert october.inputs[0].ratings.counts == (1, 0, 0, 0, 0)


def test_result_combines_every_source_as_worked_out_by_hand(
    rctx, hall, make_window, make_staff, put_on_duty, supervisor
):
    scheme = ev.current_scheme()
    window, other_window = make_window(), make_window()
    wang, li = make_staff(name="王芳"), make_staff(name="李强")
    start = NOV_START_UTC + timedelta(days=2)
    put_on_duty(wang, window, start, start + timedelta(hours=9))
    for minute in range(10):
        rate(window, 5, start + timedelta(minutes=minute))
        rate(other_window, 3, start + timedelta(minutes=minute))  # no one on duty
    # Hall mean = (10 × 100 + 10 × 60) / 20 = 80; 王芳's index = (10 × 80 + 1000) / 20 = 90.
    db.session.add_all(
        [
            Assessment(
                hall_id=hall.id,
                period="2026-11",
                subject_id=wang.id,
                kind="self",
                assessor_staff_id=wang.id,
                assessor_key=f"staff:{wang.id}",
                scores=full_marks(scheme, 0.8),  # 80
                submitted_at=start,
                locked=True,
            ),
            Assessment(
                hall_id=hall.id,
                period="2026-11",
                subject_id=wang.id,
                kind="supervisor",
                assessor_user_id=supervisor.id,
                assessor_key=f"user:{supervisor.id}",
                scores=full_marks(scheme, 0.9),  # 90
                submitted_at=start,
                locked=True,
            ),
            Assessment(  # a draft never submitted does not count
                hall_id=hall.id,
                period="2026-11",
                subject_id=wang.id,
                kind="peer",
                assessor_staff_id=li.id,
                assessor_key=f"staff:{li.id}",
                scores=full_marks(scheme, 0.1),
            ),
        ]
    )
    db.session.commit()
    adjustments.add_adjustment(
        hall,
        NOV,
        wang,
        kind="bonus",
        points=3,
        reason="创新",
        evidence="",
        approver=supervisor,
        actor=supervisor,
        now=start,
    )
    voided = adjustments.add_adjustment(
        hall,
        NOV,
        wang,
        kind="deduction",
        points=7,
        reason="误登记",
        evidence="",
        approver=supervisor,
        actor=supervisor,
        now=start,
    )
    adjustments.void_adjustment(voided, actor=supervisor, reason="登记错了", now=start)
    for valid, severity in ((True, "minor"), (None, "severe"), (False, "severe"), (True, None)):
        db.session.add(
            Complaint(
                hall_id=hall.id,
                staff_id=wang.id,
                is_valid=valid,
                severity=severity,
                created_at=start,
                updated_at=start,
            )
        )
    db.session.commit()

    report = ev.period_report(hall, NOV)
    person = report.row_for(wang.id)
    assert person is not None
    row = person.result
    assert report.result.hall_mean == 80.0
    assert row.satisfaction.smoothed == 90.0
    # Peer missing: 10% + 40% + 30% = 80% present, renormalised.
    assert row.source("self").contribution == 10.0  # 80 × 10 / 80
    assert row.source("supervisor").contribution == 45.0  # 90 × 40 / 80
    assert row.source("residents").contribution == 33.75  # 90 × 30 / 80
    assert row.base_score == 88.75
    assert row.score == 88.75  # + 3 bonus − 3 for the one valid 一般 complaint
    assert row.grade == "良好"
    assert "missing:peer" in row.flags and "veto" not in row.flags
    reasons = [a.reason for a in row.adjustments]
    assert "创新" in reasons and "误登记" not in reasons
    assert (person.staff_no, person.name) == (wang.staff_no, "王芳")
    # 李强 has no source at all: listed, unscored, unranked.
    unscored = report.row_for(li.id)
    assert unscored is not None and unscored.result.rank is None


def test_ledger_lists_valid_complaints_read_only_beside_manual_entries(
    rctx, hall, staff, supervisor
):
    at = NOV_START_UTC + timedelta(days=3)
    db.session.add(
        Complaint(
            hall_id=hall.id,
            staff_id=staff.id,
            is_valid=True,
            severity="severe",
            created_at=at,
            updated_at=at,
        )
    )
    db.session.commit()
    adjustments.add_adjustment(
        hall,
        NOV,
        staff,
        kind="bonus",
        points=2.5,
        reason="表彰",
        evidence="锦旗",
        approver=supervisor,
        actor=supervisor,
        now=at,
    )
    lines = adjustments.ledger(hall, NOV, ev.current_scheme())
    assert sorted((line.kind, line.points) for line in lines) == [
        ("bonus", 2.5),
        ("complaint", -10.0),
    ]
    assert next(line for line in lines if line.kind == "complaint").entry is None
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["adjustment.bonus"]


def test_a_deduction_needs_a_supervisor_of_the_hall_as_approver(rctx, hall, staff, make_user):
    clerk = make_user("clerk", "staff", staff=staff)
    with pytest.raises(EvaluationError):
        adjustments.add_adjustment(
            hall,
            NOV,
            staff,
            kind="deduction",
            points=2,
            reason="迟到",
            evidence="",
            approver=clerk,
            actor=clerk,
            now=NOV_START_UTC,
        )
    assert db.session.scalar(select(func.count(Adjustment.id))) == 0


def test_submitted_assessment_is_locked_until_a_supervisor_reopens_it(
    rctx, hall, staff, make_user, supervisor
):
    scheme = ev.current_scheme()
    clerk = make_user("clerk", "staff", staff=staff)
    now = NOV_START_UTC + timedelta(days=5)
    row = assessments.submit_assessment(
        hall,
        NOV,
        staff,
        "self",
        assessor=clerk,
        scores=full_marks(scheme, 0.5),
        now=now,
        scheme=scheme,
    )
    db.session.commit()
    assert row.locked
    with pytest.raises(EvaluationError, match="锁定"):
        assessments.submit_assessment(
            hall,
            NOV,
            staff,
            "self",
            assessor=clerk,
            scores=full_marks(scheme),
            now=now,
            scheme=scheme,
        )
    assessments.reopen_assessment(row, actor=supervisor, reason="分数填错", now=now)
    db.session.commit()
    assessments.submit_assessment(
        hall, NOV, staff, "self", assessor=clerk, scores=full_marks(scheme), now=now, scheme=scheme
    )
    db.session.commit()
    assert row.locked and row.scores["quality.attitude"] == 10
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.reopen"))
    assert entry.reason == "分数填错" and entry.target_id == row.id


def test_peers_may_assess_only_the_colleagues_assigned_to_them(
    rctx, hall, make_staff, make_user, supervisor
):
    scheme = ev.current_scheme()
    a, b = make_staff(), make_staff()
    user = make_user("peer", "staff", staff=a)
    assert not assessments.may_assess(user, NOV, b, "peer")
    with pytest.raises(EvaluationError):
        assessments.submit_assessment(
            hall,
            NOV,
            b,
            "peer",
            assessor=user,
            scores=full_marks(scheme),
            now=NOV_START_UTC,
            scheme=scheme,
        )
    assessments.assign_peer(hall, NOV, a, b, actor=supervisor, now=NOV_START_UTC)
    assert assessments.may_assess(user, NOV, b, "peer")
    assert not assessments.may_assess(user, NOV.next(), b, "peer")
    with pytest.raises(EvaluationError):
        assessments.assign_peer(hall, NOV, a, a, actor=supervisor, now=NOV_START_UTC)


def test_out_of_range_points_are_refused_naming_the_criterion(rctx, hall, staff, make_user):
    scheme = ev.current_scheme()
    clerk = make_user("clerk", "staff", staff=staff)
    scores = {**full_marks(scheme), "quality.attitude": 11}
    with pytest.raises(EvaluationError, match="服务态度"):
        assessments.submit_assessment(
            hall,
            NOV,
            staff,
            "self",
            assessor=clerk,
            scores=scores,
            now=NOV_START_UTC,
            scheme=scheme,
        )


def test_a_period_takes_entries_from_its_first_local_day_and_finalises_after_its_last(
    rctx, hall, staff, supervisor
):
    scheme = ev.current_scheme()
    nov_end_utc = datetime(2026, 11, 30, 16, 0)  # 1 Dec 00:00 local
    just_before = NOV_START_UTC - timedelta(minutes=1)  # 31 Oct 23:59 local

    def assess(now: datetime):  # type: ignore[no-untyped-def]
        return assessments.submit_assessment(
            hall,
            NOV,
            staff,
            "supervisor",
            assessor=supervisor,
            scores=full_marks(scheme, 0.8),
            now=now,
            scheme=scheme,
        )

    def bonus(now: datetime):  # type: ignore[no-untyped-def]
        return adjustments.add_adjustment(
            hall,
            NOV,
            staff,
            kind="bonus",
            points=2,
            reason="表彰",
            evidence="",
            approver=supervisor,
            actor=supervisor,
            now=now,
        )

    table = [["类型", "被评人工号", "评价人", *(leaf.label for leaf in scheme.leaves)]]
    table.append(
        ["负责人评价", staff.staff_no, "boss", *(leaf.max_points for leaf in scheme.leaves)]
    )
    for too_early in (
        lambda: assess(just_before),
        lambda: bonus(just_before),
        lambda: assessment_import.import_assessments(
            hall, NOV, table, actor=supervisor, now=just_before, scheme=scheme
        ),
    ):
        with pytest.raises(EvaluationError, match="2026年11月 尚未开始：2026-11-01 起"):
            too_early()
    assert db.session.scalar(select(func.count(Assessment.id))) == 0
    assert db.session.scalar(select(func.count(Adjustment.id))) == 0

    assert assess(NOV_START_UTC).locked and bonus(NOV_START_UTC).points == 2
    with pytest.raises(EvaluationError, match="2026年11月 尚未结束：2026-12-01 起才能定稿"):
        ev.finalise_period(hall, NOV, actor=supervisor, now=nov_end_utc - timedelta(minutes=1))
    assert ev.snapshot_for(hall, NOV) is None
    assert ev.finalise_period(hall, NOV, actor=supervisor, now=nov_end_utc).period == "2026-11"


def test_finalised_period_keeps_its_results_when_inputs_change(
    rctx, hall, window, staff, put_on_duty, supervisor
):
    scheme = ev.current_scheme()
    start = NOV_START_UTC + timedelta(days=1)
    put_on_duty(staff, window, start, start + timedelta(hours=9))
    for minute in range(12):
        rate(window, 4, start + timedelta(minutes=minute))
    assessments.submit_assessment(
        hall,
        NOV,
        staff,
        "supervisor",
        assessor=supervisor,
        scores=full_marks(scheme, 0.7),
        now=start,
        scheme=scheme,
    )
    ev.finalise_period(hall, NOV, actor=supervisor, now=start + timedelta(days=30))
    db.session.commit()
    before = ev.period_report(hall, NOV)
    assert before.snapshot is not None and not before.live_differs
    frozen_score = before.row_for(staff.id).result.score

    for minute in range(20):  # a burst of 非常不满意 after finalising
        rate(window, 1, start + timedelta(hours=1, minutes=minute))
    after = ev.period_report(hall, NOV)
    assert after.live_differs
    assert after.row_for(staff.id).result.score == frozen_score
    live_score = ev.live_results(hall, NOV).people[0].result.score
    assert live_score is not None and frozen_score is not None and live_score < frozen_score
    with pytest.raises(EvaluationError):
        ev.finalise_period(hall, NOV, actor=supervisor, now=start + timedelta(days=31))
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "evaluation.finalise")
        )
        == 1
    )


def test_a_snapshot_from_before_phrases_reads_as_written_and_is_no_change(
    rctx, hall, window, staff, put_on_duty, supervisor, give_assessment
):
    from kiosk.labels import explanation_text

    start = NOV_START_UTC + timedelta(days=1)
    put_on_duty(staff, window, start, start + timedelta(hours=9))
    give_assessment(staff, NOV.code, by=supervisor, at=start)
    for minute in range(12):
        rate(window, 4, start + timedelta(minutes=minute))
    snapshot = ev.finalise_period(hall, NOV, actor=supervisor, now=start + timedelta(days=30))
    old = dict(snapshot.results)  # as a snapshot stored before lines carried their phrase
    old["results"] = [
        {
            **row,
            "explanation": [
                {k: v for k, v in line.items() if k != "phrase"} for line in row["explanation"]
            ],
            "adjustments": [
                {k: v for k, v in entry.items() if k != "phrase"} for entry in row["adjustments"]
            ],
        }
        for row in old["results"]
    ]
    snapshot.results = old
    db.session.commit()
    report = ev.period_report(hall, NOV)
    assert not report.live_differs
    lines = report.rows[0].result.explanation
    assert lines[0].phrase is None and explanation_text(lines[-2]).startswith("等级：")


def test_trend_covers_twelve_periods_with_gaps_for_empty_ones(
    rctx, hall, window, staff, put_on_duty
):
    start = NOV_START_UTC + timedelta(days=1)
    put_on_duty(staff, window, start - timedelta(days=70), start + timedelta(hours=9))
    rate(window, 5, start)
    rate(window, 3, start - timedelta(days=62))  # September, local
    trend = ev.satisfaction_trend(hall, staff, NOV)
    assert trend[0].period.code == "2025-12" and trend[-1].period == NOV
    assert len(trend) == 12
    by_code = {p.period.code: p for p in trend}
    assert by_code["2026-10"].smoothed is None
    # One rating of 100 in a hall whose mean is 100: the index stays 100.
    assert by_code["2026-11"].smoothed == 100.0 and by_code["2026-11"].count == 1
    assert by_code["2026-09"].smoothed == 60.0


def test_scheme_comes_from_the_configured_file(app, rctx, tmp_path):
    from importlib import resources

    text = resources.files("scoring").joinpath("default_scheme.toml").read_text("utf-8")
    path = tmp_path / "scheme.toml"
    path.write_text(text.replace('version = "2026.3"', 'version = "2027.1-test"'), "utf-8")
    app.config["SCORING_SCHEME_PATH"] = str(path)
    assert ev.current_scheme().version == "2027.1-test"

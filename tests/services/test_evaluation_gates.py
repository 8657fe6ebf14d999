"""Fair gates in the app: 待定 complaints while an appeal may change them, finalising refused
while the period's complaints are open, 未评定 with too few sources."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Complaint
from kiosk.services import complaints, periods
from kiosk.services import evaluation as ev
from kiosk.services.evaluation_error import EvaluationError
from tests.conftest import hall_time

OCT = periods.Period(2026, "month", 10)
T0 = hall_time(2026, 9, 30, 16)  # Wednesday before the National Day holiday
IN_OCT = hall_time(2026, 10, 20, 10)  # a Tuesday
NOV_1 = hall_time(2026, 11, 1, 9)


@pytest.fixture
def rctx(app, ctx):
    with app.test_request_context():
        yield


@pytest.fixture
def sup(make_user):
    return make_user("sup1", "supervisor")


@pytest.fixture
def other_sup(make_user):
    return make_user("sup2", "supervisor")


@pytest.fixture
def clerk(make_user, staff):
    return make_user("clerk1", "staff", staff=staff)


def verified(make_complaint, sup, at, severity="major"):
    complaint = make_complaint(at)
    complaints.verify(complaint, sup, valid=True, reason="核实属实", severity=severity, now=at)
    db.session.commit()
    return complaint


def assessed(give_assessment, staff, sup):
    """Give staff a self and a supervisor assessment for October: two sources, so a score."""
    give_assessment(staff, OCT.code, at=IN_OCT)
    give_assessment(staff, OCT.code, by=sup, at=IN_OCT)


def deduction_lines(hall, staff, now):
    row = ev.live_results(hall, OCT, now).people
    result = next(p.result for p in row if p.staff_id == staff.id)
    return result, [line.text for line in result.explanation if "投诉 #" in line.text]


@pytest.mark.parametrize("verified_day", range(0, 30))
def test_the_appeal_window_start_agrees_with_may_still_appeal(
    rctx, hall, make_complaint, sup, verified_day
):
    """One rule, two forms: the SQL cut-off and the per-complaint check, across a holiday."""
    complaint = verified(make_complaint, sup, T0)
    complaint.verified_at = hall_time(2026, 9, 20, 15) + timedelta(days=verified_day)
    for hours in range(0, 24 * 20, 7):
        now = hall_time(2026, 9, 25, 0) + timedelta(hours=hours)
        if now < complaint.verified_at:
            continue
        start = complaints.appeal_window_start(hall.id, now)
        assert (complaint.verified_at >= start) == complaints.may_still_appeal(complaint, now), (
            complaint.verified_at,
            now,
            start,
        )


def test_a_verdict_that_may_still_be_appealed_is_pending_then_deducts(
    rctx, hall, staff, make_complaint, sup, give_assessment
):
    assessed(give_assessment, staff, sup)
    complaint = verified(make_complaint, sup, IN_OCT)
    result, lines = deduction_lines(hall, staff, IN_OCT + timedelta(hours=1))
    assert lines == [f"待定：投诉 #{complaint.id} 经核实（较重），仍在申诉期内，暂不扣分"]
    assert result.deduction_total == 0 and "complaints_pending" in result.flags

    closes = complaints.appeal_due_at(complaint)
    result, lines = deduction_lines(hall, staff, closes)
    assert lines == [f"扣分 −5.00：投诉 #{complaint.id} 经核实（较重）"]
    assert result.deduction_total == 5.0 and "complaints_pending" not in result.flags


def test_an_appeal_keeps_it_pending_until_reviewed(
    rctx, hall, staff, make_complaint, sup, other_sup, clerk, give_assessment
):
    assessed(give_assessment, staff, sup)
    upheld = verified(make_complaint, sup, IN_OCT)
    overturned = verified(make_complaint, sup, IN_OCT, severity="minor")
    for complaint in (upheld, overturned):
        complaints.appeal(complaint, clerk, reason="不服", now=IN_OCT)
    db.session.commit()
    later = IN_OCT + timedelta(days=30)  # the appeal window is long past: only the appeal waits
    _, lines = deduction_lines(hall, staff, later)
    assert sorted(lines) == sorted(
        [
            f"待定：投诉 #{upheld.id} 经核实（较重），申诉待复核，暂不扣分",
            f"待定：投诉 #{overturned.id} 经核实（一般），申诉待复核，暂不扣分",
        ]
    )

    complaints.review_appeal(upheld, other_sup, overturn=False, reason="维持", now=later)
    complaints.review_appeal(overturned, other_sup, overturn=True, reason="撤销", now=later)
    db.session.commit()
    result, lines = deduction_lines(hall, staff, later)
    assert lines == [f"扣分 −5.00：投诉 #{upheld.id} 经核实（较重）"]
    assert result.deduction_total == 5.0


def test_finalising_lists_open_complaints_and_refuses_without_a_reason(
    rctx, hall, staff, make_complaint, sup, other_sup, clerk
):
    unverified = make_complaint(IN_OCT)
    appealed = verified(make_complaint, sup, IN_OCT)
    complaints.appeal(appealed, clerk, reason="不服", now=IN_OCT)
    recent = verified(make_complaint, sup, hall_time(2026, 10, 30, 10))  # Friday 30 Oct
    settled = verified(make_complaint, sup, IN_OCT - timedelta(days=10))
    db.session.commit()

    matters = ev.open_matters(hall, OCT, NOV_1)
    assert [(m.complaint.id, m.why) for m in matters] == [
        (settled.id - 3, "unverified"),  # made first
        (appealed.id, "appeal"),
        (recent.id, "appeal_window"),
    ]
    assert unverified.id == settled.id - 3
    with pytest.raises(EvaluationError) as refused:
        ev.finalise_period(hall, OCT, actor=sup, now=NOV_1)
    assert str(refused.value) == (
        "2026年10月 还有投诉未了结（1 件尚未核实、1 件申诉待复核、1 件仍在申诉期内），"
        "处理完毕后才能定稿；如确需现在定稿，请填写理由。"
    )
    db.session.rollback()
    assert ev.snapshot_for(hall, OCT) is None
    with pytest.raises(EvaluationError):
        ev.finalise_period(hall, OCT, actor=sup, now=NOV_1, override_reason="   ")
    db.session.rollback()

    snapshot = ev.finalise_period(
        hall, OCT, actor=sup, now=NOV_1, override_reason="区里要求月初报送"
    )
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.finalise"))
    assert entry.actor_id == sup.id and entry.target_id == snapshot.id
    assert entry.detail["override_reason"] == "区里要求月初报送"
    assert entry.detail["open_complaints"] == [
        {"id": unverified.id, "why": "unverified"},
        {"id": appealed.id, "why": "appeal"},
        {"id": recent.id, "why": "appeal_window"},
    ]


def test_a_period_with_every_complaint_settled_finalises_without_a_reason(
    rctx, hall, staff, make_complaint, sup
):
    verified(make_complaint, sup, IN_OCT - timedelta(days=10))
    invalid = make_complaint(IN_OCT)
    complaints.verify(invalid, sup, valid=False, reason="不属实", severity=None, now=IN_OCT)
    db.session.commit()
    assert ev.open_matters(hall, OCT, NOV_1) == []
    snapshot = ev.finalise_period(hall, OCT, actor=sup, now=NOV_1)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.finalise"))
    assert "override_reason" not in entry.detail and snapshot.period == "2026-10"
    assert db.session.scalar(select(Complaint.id).where(Complaint.id == invalid.id))

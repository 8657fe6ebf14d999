"""每月服务之星 from the rows: the month's proposal, its record and the public list."""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, MonthlySelection
from kiosk.services import monthly_star, periods
from tests.helpers import add_valid_complaint, give_rating

NOV = periods.Period(2026, "month", 11)
AFTER = datetime(2026, 12, 3, 2, 0)
_keys = itertools.count(1)


@pytest.fixture
def rctx(app, ctx):
    with app.test_request_context():
        yield


@pytest.fixture
def month(rctx, hall, window, make_staff, put_on_duty):
    """November: 王芳 12 × 非常满意 but a complaint verified as valid; 李强 12 × 满意 and one
    非常满意; 张敏 only 5 ratings."""
    wang, li, zhang = make_staff(name="王芳"), make_staff(name="李强"), make_staff(name="张敏")
    start = datetime(2026, 11, 10, 1, 0)
    for day, (person, levels) in enumerate(
        ((wang, [5] * 12), (li, [4] * 12 + [5]), (zhang, [5] * 5))
    ):
        at = start + timedelta(days=day)
        put_on_duty(person, window, at, at + timedelta(hours=8))
        for minute, level in enumerate(levels):
            give_rating(
                window,
                level,
                f"star-{next(_keys):04d}",
                channel="qr",
                now=at + timedelta(minutes=minute),
            )
    add_valid_complaint(hall, wang, start)
    db.session.commit()
    return wang, li, zhang


def test_the_proposal_chooses_by_the_rule_and_gives_everyone_a_reason(month, hall):
    assert len(month) == 3  # 王芳, 李强, 张敏
    proposal = monthly_star.proposal(hall, NOV, AFTER)
    assert [v.staff.name for v in proposal.chosen] == ["李强"]
    reasons = {v.staff.name: v.verdict.reason.render() for v in proposal.verdicts}
    assert reasons["王芳"] == "本月有 1 件经核实的有效投诉"
    assert reasons["张敏"] == "本月评价 5 条，少于 10 条"
    assert reasons["李强"].startswith("居民满意度指数 ") and "本月评价 13 条" in reasons["李强"]


def test_a_month_is_recorded_once_after_it_ends_and_audited(month, hall, make_user):
    boss = make_user("boss", "supervisor")
    with pytest.raises(monthly_star.SelectionError, match="尚未结束") as early:
        monthly_star.record(hall, NOV, actor=boss, now=datetime(2026, 11, 30, 10, 0))
    assert early.value.status == 409

    row = monthly_star.record(hall, NOV, actor=boss, now=AFTER)
    db.session.commit()
    assert [e["name"] for e in row.chosen] == ["李强"]
    assert {e["name"]: e["reason"] for e in row.passed}["王芳"] == "本月有 1 件经核实的有效投诉"
    assert row.rule == {
        "rank_by": "satisfaction",
        "min_ratings": 10,
        "no_valid_complaint": True,
        "count": 1,
    }
    assert monthly_star.reason_of(row.chosen[0]).render() == row.chosen[0]["reason"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "monthly_star.record"))
    assert entry.detail == {"month": "2026-11", "chosen": [month[1].staff_no]}

    with pytest.raises(monthly_star.SelectionError, match="已经评选"):
        monthly_star.record(hall, NOV, actor=boss, now=AFTER)
    assert [r.month for r in monthly_star.published(hall)] == ["2026-11"]


def test_two_supervisors_recording_at_once_keep_one_record(month, hall, make_user, monkeypatch):
    first, second = make_user("boss", "supervisor"), make_user("deputy", "supervisor")
    monthly_star.record(hall, NOV, actor=first, now=AFTER)
    db.session.commit()
    # The second had checked before the first's row was written.
    monkeypatch.setattr(monthly_star, "selection_for", lambda *_: None)
    with pytest.raises(monthly_star.SelectionError, match="已经评选"):
        monthly_star.record(hall, NOV, actor=second, now=AFTER)
    db.session.commit()
    assert db.session.scalar(select(func.count(MonthlySelection.id))) == 1


def test_a_supervisor_who_is_the_star_leaves_the_record_to_another(month, hall, make_user):
    star = make_user("li", "supervisor", staff=month[1])
    with pytest.raises(monthly_star.SelectionError, match="其他负责人") as refused:
        monthly_star.record(hall, NOV, actor=star, now=AFTER)
    assert refused.value.status == 403
    assert monthly_star.selection_for(hall, NOV) is None


def test_only_months_are_recorded(month, hall, make_user):
    with pytest.raises(monthly_star.SelectionError) as refused:
        monthly_star.record(
            hall, periods.Period(2026, "quarter", 4), actor=make_user("boss"), now=AFTER
        )
    assert refused.value.status == 404

"""Ledger entries under the scheme's categories: kind and points from the category, audited."""

import pytest

from kiosk.models import AuditEntry, User
from kiosk.models._types import utcnow
from kiosk.services import adjustments, periods
from kiosk.services.evaluation_error import EvaluationError

NOV = periods.Period(2026, "month", 11)


@pytest.fixture
def rctx(app, ctx):
    with app.test_request_context():
        yield


@pytest.fixture
def boss(make_user) -> User:
    return make_user("boss", "supervisor")


def add(hall, staff, boss, **fields):
    entry = {"kind": "bonus", "points": None, "reason": "", "evidence": "", **fields}
    return adjustments.add_adjustment(
        hall, NOV, staff, approver=boss, actor=boss, now=utcnow(), **entry
    )


def test_a_fixed_category_sets_kind_and_points_whatever_was_chosen(rctx, hall, staff, boss):
    entry = add(hall, staff, boss, category="exposure", kind="bonus", points=1, matter="晚报")
    assert (entry.kind, entry.points, entry.reason, entry.category, entry.matter) == (
        "deduction",
        10,
        "媒体曝光",
        "exposure",
        "晚报",
    )
    audit = next(iter(AuditEntry.query.filter_by(action="adjustment.deduction")))
    assert audit.detail["category"] == "exposure" and audit.detail["matter"] == "晚报"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category": "commendation"}, "请选择表彰的等级。"),
        ({"category": "commendation", "level": "galaxy"}, "请选择表彰的等级。"),
        ({"category": "innovation", "points": 0.5}, "创新的分值应在 1 到 5 之间。"),
        ({"category": "innovation"}, "创新的分值应在 1 到 5 之间。"),
        ({"category": "bribery", "points": 3}, "考核方案中没有这个加减分类别。"),
        ({"points": 3}, "请填写原因。"),
    ],
)
def test_an_entry_that_does_not_fit_its_category_is_refused(
    rctx, hall, staff, boss, fields, message
):
    with pytest.raises(EvaluationError, match=message):
        add(hall, staff, boss, **fields)


def test_a_range_category_keeps_the_points_given_and_the_text_after_its_name(
    rctx, hall, staff, boss
):
    entry = add(hall, staff, boss, category="innovation", points=3.5, reason="预约办事")
    assert (entry.kind, entry.points, entry.reason) == ("bonus", 3.5, "创新：预约办事")

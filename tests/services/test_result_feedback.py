"""反馈与异议 (#26 point 8): feedback on a finalised result, acknowledgement, one objection."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry
from kiosk.services import evaluation as ev
from kiosk.services import periods
from kiosk.services import result_feedback as fb

NOV = periods.Period(2026, "month", 11)
IN_NOV = datetime(2026, 11, 10, 2, 0)
FINALISED = datetime(2026, 12, 1, 2, 0)  # Tuesday 1 December, 10:00 local
LATER = FINALISED + timedelta(hours=2)


@pytest.fixture
def setting(app, ctx, hall, staff, make_staff, make_user, give_assessment):
    """November finalised by boss; the staff member has a clerk account; deputy supervises too."""
    boss = make_user("boss", "supervisor")
    deputy = make_user("deputy", "supervisor")
    clerk = make_user("clerk", "staff", staff=staff)
    other = make_user("other", "staff", staff=make_staff(staff_no="XF002", name="李强"))
    give_assessment(staff, NOV.code, at=IN_NOV)
    give_assessment(staff, NOV.code, by=boss, at=IN_NOV)
    with app.test_request_context():
        ev.finalise_period(hall, NOV, actor=boss, now=FINALISED)
        db.session.commit()
    ctx_req = app.test_request_context()
    ctx_req.push()
    yield {"boss": boss, "deputy": deputy, "clerk": clerk, "other": other}
    ctx_req.pop()


def refused(status: int, call, *args, **kwargs) -> str:
    with pytest.raises(fb.FeedbackError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    assert caught.value.status == status, caught.value.message
    return caught.value.message


def actions() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "result_feedback")
            .order_by(AuditEntry.id)
        )
    )


def test_feedback_waits_for_the_period_to_be_finalised(app, ctx, hall, staff, make_user):
    boss = make_user("boss", "supervisor")
    with app.test_request_context():
        message = refused(
            409,
            fb.write_feedback,
            hall,
            NOV,
            staff,
            actor=boss,
            feedback="好",
            suggestions="",
            now=LATER,
        )
    assert "尚未定稿" in message


def test_feedback_can_be_rewritten_until_acknowledged_then_is_locked(hall, staff, setting):
    boss, clerk = setting["boss"], setting["clerk"]
    fb.write_feedback(hall, NOV, staff, actor=boss, feedback="态度好", suggestions="", now=LATER)
    row = fb.write_feedback(
        hall, NOV, staff, actor=boss, feedback="态度好，效率高", suggestions="多学政策", now=LATER
    )
    db.session.commit()
    assert (row.feedback, row.suggestions) == ("态度好，效率高", "多学政策")

    assert "本人" in refused(403, fb.acknowledge, hall, NOV, staff, actor=boss, now=LATER)
    fb.acknowledge(hall, NOV, staff, actor=clerk, now=LATER)
    db.session.commit()
    assert "不能再修改" in refused(
        409,
        fb.write_feedback,
        hall,
        NOV,
        staff,
        actor=boss,
        feedback="改",
        suggestions="",
        now=LATER,
    )
    assert actions() == [
        "evaluation.feedback",
        "evaluation.feedback",
        "evaluation.feedback_acknowledged",
    ]


def test_feedback_needs_words_and_nobody_writes_their_own(hall, staff, setting, make_user):
    boss = setting["boss"]
    assert (
        refused(
            422,
            fb.write_feedback,
            hall,
            NOV,
            staff,
            actor=boss,
            feedback="  ",
            suggestions="",
            now=LATER,
        )
        == "请填写反馈意见。"
    )
    refused(
        422,
        fb.write_feedback,
        hall,
        NOV,
        staff,
        actor=boss,
        feedback="长" * 1001,
        suggestions="",
        now=LATER,
    )
    self_boss = make_user("selfboss", "supervisor", staff=staff)
    refused(
        403,
        fb.write_feedback,
        hall,
        NOV,
        staff,
        actor=self_boss,
        feedback="我很好",
        suggestions="",
        now=LATER,
    )
    assert "还没有反馈" in refused(
        409, fb.acknowledge, hall, NOV, staff, actor=setting["clerk"], now=LATER
    )


def test_one_objection_inside_the_working_days_by_the_person_only(hall, staff, setting):
    clerk, other = setting["clerk"], setting["other"]
    assert fb.may_object(hall, NOV, staff, LATER)
    refused(403, fb.object_to, hall, NOV, staff, actor=other, text="不公平", now=LATER)
    assert refused(422, fb.object_to, hall, NOV, staff, actor=clerk, text="", now=LATER)
    fb.object_to(hall, NOV, staff, actor=clerk, text="投诉已撤回，不应扣分", now=LATER)
    db.session.commit()
    assert not fb.may_object(hall, NOV, staff, LATER)
    assert "只能提出一次" in refused(
        409, fb.object_to, hall, NOV, staff, actor=clerk, text="再议", now=LATER
    )
    assert fb.open_objections(hall, NOV) == 1


def test_the_objection_period_is_the_schemes_working_days(app, hall, staff, setting, tmp_path):
    snapshot = ev.snapshot_for(hall, NOV)
    # Five working days after Tuesday 1 December: Tuesday 8 December ends it.
    due = fb.objection_due_at(hall, snapshot)
    assert due == datetime(2026, 12, 8, 16, 0)  # midnight local, the end of the 8th
    assert fb.may_object(hall, NOV, staff, due - timedelta(minutes=1))
    assert not fb.may_object(hall, NOV, staff, due)
    message = refused(
        409, fb.object_to, hall, NOV, staff, actor=setting["clerk"], text="迟了", now=due
    )
    assert "异议期已过" in message and "5 个工作日" in message

    default = Path(ev.__file__).parents[2] / "scoring" / "default_scheme.toml"
    scheme = tmp_path / "scheme.toml"
    text = default.read_text("utf-8").replace("objection_days = 5", "objection_days = 2")
    scheme.write_text(text, "utf-8")
    app.config["SCORING_SCHEME_PATH"] = str(scheme)
    assert fb.objection_due_at(hall, snapshot) == datetime(2026, 12, 3, 16, 0)


def test_the_decision_is_by_a_supervisor_not_involved(hall, staff, setting, make_user):
    boss, deputy, clerk = setting["boss"], setting["deputy"], setting["clerk"]
    assert "没有待处理" in refused(
        409, fb.decide, hall, NOV, staff, actor=deputy, outcome="upheld", note="维持", now=LATER
    )
    fb.write_feedback(hall, NOV, staff, actor=deputy, feedback="需提升", suggestions="", now=LATER)
    fb.object_to(hall, NOV, staff, actor=clerk, text="评分有误", now=LATER)
    db.session.commit()
    # boss finalised the period and deputy wrote the feedback: neither decides.
    for actor in (boss, deputy):
        assert "以外的负责人" in refused(
            403, fb.decide, hall, NOV, staff, actor=actor, outcome="upheld", note="维持", now=LATER
        )
    third = make_user("third", "supervisor")
    refused(422, fb.decide, hall, NOV, staff, actor=third, outcome="maybe", note="？", now=LATER)
    refused(422, fb.decide, hall, NOV, staff, actor=third, outcome="upheld", note=" ", now=LATER)
    row = fb.decide(
        hall, NOV, staff, actor=third, outcome="accepted", note="下期台账补正 2 分", now=LATER
    )
    db.session.commit()
    assert (row.decision, row.decision_note, row.decided_by_id) == (
        "accepted",
        "下期台账补正 2 分",
        third.id,
    )
    assert fb.open_objections(hall, NOV) == 0
    assert "已经处理" in refused(
        409, fb.decide, hall, NOV, staff, actor=third, outcome="upheld", note="再", now=LATER
    )
    assert actions()[-2:] == ["evaluation.objection", "evaluation.objection_decided"]

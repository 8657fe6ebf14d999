"""The complaint loop: every transition allowed and refused, deadlines, appeals, privacy."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Complaint, ComplaintEvent
from kiosk.services import complaints
from kiosk.services.complaints import ComplaintError, QueueFilter
from tests.conftest import hall_time

T0 = hall_time(2026, 9, 30, 16)  # Wednesday before the 2026 National Day holiday

STEPS = {
    "verify_valid": lambda c, u, now: complaints.verify(
        c, u, valid=True, reason="核实属实", severity="major", now=now
    ),
    "verify_invalid": lambda c, u, now: complaints.verify(
        c, u, valid=False, reason="与事实不符", severity=None, now=now
    ),
    "start": lambda c, u, now: complaints.start_rectification(c, u, note="", now=now),
    "rectify": lambda c, u, now: complaints.rectify(c, u, note="已组织业务培训", now=now),
    "follow_up": lambda c, u, now: complaints.follow_up(
        c, u, satisfaction="basically_satisfied", note="电话回访", now=now
    ),
    "close": lambda c, u, now: complaints.close(c, u, note="", now=now),
}
ALLOWED = {
    "new": {"verify_valid": "valid", "verify_invalid": "invalid"},
    "valid": {"start": "rectifying"},
    "invalid": {"close": "closed"},
    "rectifying": {"rectify": "rectified"},
    "rectified": {"follow_up": "followed_up"},
    "followed_up": {"close": "closed"},
    "closed": {},
}
PATH = {
    "new": [],
    "valid": ["verify_valid"],
    "invalid": ["verify_invalid"],
    "rectifying": ["verify_valid", "start"],
    "rectified": ["verify_valid", "start", "rectify"],
    "followed_up": ["verify_valid", "start", "rectify", "follow_up"],
    "closed": ["verify_valid", "start", "rectify", "follow_up", "close"],
}


@pytest.fixture
def sup(make_user):
    return make_user("sup1", "supervisor")


@pytest.fixture
def other_sup(make_user):
    return make_user("sup2", "supervisor")


@pytest.fixture
def clerk(make_user, staff):
    return make_user("clerk1", "staff", staff=staff)


def drive(complaint, status, user, now=T0):
    for step in PATH[status]:
        STEPS[step](complaint, user, now)
    db.session.commit()
    assert complaint.status == status


def counts(complaint):
    events = db.session.scalar(
        select(func.count(ComplaintEvent.id)).where(ComplaintEvent.complaint_id == complaint.id)
    )
    audits = db.session.scalar(select(func.count(AuditEntry.id)))
    return events, audits


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
@pytest.mark.parametrize(
    ("status", "step", "expected"),
    [(s, step, to) for s, allowed in ALLOWED.items() for step, to in allowed.items()],
)
def test_each_allowed_transition_moves_the_complaint_and_is_logged(
    make_complaint, sup, status, step, expected
):
    complaint = make_complaint(T0)
    drive(complaint, status, sup)
    before_events, before_audits = counts(complaint)
    STEPS[step](complaint, sup, T0 + timedelta(hours=1))
    db.session.commit()
    assert complaint.status == expected
    event = complaints.timeline(complaint)[-1]
    assert (event.from_status, event.to_status, event.actor_id) == (status, expected, sup.id)
    assert counts(complaint) == (before_events + 1, before_audits + 1)
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.target_id == complaint.id and entry.actor_id == sup.id
    assert entry.action.startswith("complaint.")


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
@pytest.mark.parametrize("status", list(ALLOWED))
def test_every_other_transition_is_refused_and_changes_nothing(make_complaint, sup, status):
    complaint = make_complaint(T0)
    drive(complaint, status, sup)
    before = counts(complaint)
    refused = [step for step in STEPS if step not in ALLOWED[status]]
    for step in refused:
        with pytest.raises(ComplaintError) as raised:
            STEPS[step](complaint, sup, T0 + timedelta(hours=1))
        assert "不能进行此操作" in raised.value.message and raised.value.status == 409
        db.session.rollback()
        assert db.session.get(Complaint, complaint.id).status == status
    assert counts(complaint) == before


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_valid_verdict_needs_a_severity_and_every_verdict_a_reason(make_complaint, sup):
    complaint = make_complaint(T0)
    with pytest.raises(ComplaintError, match="严重程度"):
        complaints.verify(complaint, sup, valid=True, reason="属实", severity=None, now=T0)
    with pytest.raises(ComplaintError, match="核实意见"):
        complaints.verify(complaint, sup, valid=False, reason="  ", severity=None, now=T0)
    db.session.rollback()
    assert complaint.status == "new" and complaint.is_valid is None


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_verdict_sets_is_valid_and_severity(make_complaint, sup):
    valid, invalid = make_complaint(T0), make_complaint(T0)
    complaints.verify(valid, sup, valid=True, reason="属实", severity="severe", now=T0)
    complaints.verify(invalid, sup, valid=False, reason="不实", severity="severe", now=T0)
    db.session.commit()
    assert (valid.is_valid, valid.severity) == (True, "severe")
    assert (invalid.is_valid, invalid.severity) == (False, None)


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_rectification_and_follow_up_need_their_records(make_complaint, sup):
    complaint = make_complaint(T0)
    drive(complaint, "rectifying", sup)
    with pytest.raises(ComplaintError, match="整改情况"):
        complaints.rectify(complaint, sup, note="", now=T0)
    drive_step = STEPS["rectify"]
    drive_step(complaint, sup, T0)
    with pytest.raises(ComplaintError, match="满意"):
        complaints.follow_up(complaint, sup, satisfaction="great", note="", now=T0)
    complaints.follow_up(complaint, sup, satisfaction="dissatisfied", note="", now=T0)
    db.session.commit()
    assert complaints.timeline(complaint)[-1].satisfaction == "dissatisfied"


def test_deadlines_follow_working_days_across_national_day(make_complaint, sup):
    complaint = make_complaint(T0)
    # 核实 1 working day: 1–7 October are off, so the end of Thursday 8 October.
    assert complaint.verify_due_at == hall_time(2026, 10, 9, 0)
    complaints.verify(
        complaint, sup, valid=True, reason="属实", severity="minor", now=hall_time(2026, 10, 8, 9)
    )
    # 整改 5 working days from the 8th: 9, 10 (make-up Saturday), 12, 13, 14.
    assert complaint.rectify_due_at == hall_time(2026, 10, 15, 0)
    complaints.start_rectification(complaint, sup, note="", now=hall_time(2026, 10, 8, 10))
    complaints.rectify(complaint, sup, note="已整改", now=hall_time(2026, 10, 9, 15))
    # 回访 2 working days from Friday 9th: Saturday 10 (调休) and Monday 12.
    assert complaint.followup_due_at == hall_time(2026, 10, 13, 0)


def test_overdue_is_the_current_stage_deadline_passing(make_complaint, sup, hall):
    complaint = make_complaint(T0)
    just_before = hall_time(2026, 10, 8, 23, 59)
    at_due = hall_time(2026, 10, 9, 0)
    assert not complaints.is_overdue(complaint, just_before)
    assert complaints.is_overdue(complaint, at_due)
    assert complaints.overdue_count(hall.id, just_before) == 0
    assert complaints.overdue_count(hall.id, at_due) == 1
    complaints.verify(complaint, sup, valid=True, reason="属实", severity="minor", now=at_due)
    db.session.commit()
    # Now the 整改 deadline (end of 14 October, counted from the 9th: 9,10,12,13,14... ) applies.
    assert not complaints.is_overdue(complaint, at_due)
    assert complaints.overdue_count(hall.id, complaint.rectify_due_at) == 1
    drive_rest = ["start", "rectify", "follow_up", "close"]
    for step in drive_rest:
        STEPS[step](complaint, sup, at_due)
    db.session.commit()
    assert complaints.overdue_count(hall.id, at_due + timedelta(days=365)) == 0


@pytest.mark.sqlite_only
def test_staff_appeal_is_reviewed_by_another_supervisor(make_complaint, sup, other_sup, clerk):
    complaint = make_complaint(T0)
    drive(complaint, "valid", sup)
    complaints.appeal(complaint, clerk, reason="当天系统故障，并非态度问题", now=T0)
    db.session.commit()
    assert complaints.appeal_state(complaint) == "pending"

    before = counts(complaint)
    with pytest.raises(ComplaintError, match="核实人以外") as raised:
        complaints.review_appeal(complaint, sup, overturn=True, reason="撤销", now=T0)
    assert raised.value.status == 403
    db.session.rollback()
    assert counts(complaint) == before and complaint.is_valid is True

    complaints.review_appeal(complaint, other_sup, overturn=True, reason="系统日志证实", now=T0)
    db.session.commit()
    assert complaint.is_valid is False and complaints.appeal_state(complaint) == "overturned"
    assert complaint.status == "valid"  # the resident is still owed the rectification
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.action == "complaint.appeal_overturned" and entry.actor_id == other_sup.id


def test_pending_appeals_are_counted_and_filtered_in_sql(
    make_complaint, hall, sup, other_sup, clerk
):
    """The SQL condition behind the to-do count and the queue filter, on both databases."""
    appealed, reviewed, plain = (make_complaint(T0) for _ in range(3))
    for complaint in (appealed, reviewed, plain):
        drive(complaint, "valid", sup)
    for complaint in (appealed, reviewed):
        complaints.appeal(complaint, clerk, reason="不服", now=T0)
    complaints.review_appeal(reviewed, other_sup, overturn=False, reason="维持", now=T0)
    db.session.commit()
    assert complaints.appeals_pending_count(hall.id) == 1
    rows, total = complaints.queue(hall.id, complaints.QueueFilter(appeal_pending=True), T0)
    assert [c.id for c in rows] == [appealed.id] and total == 1


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_upheld_appeal_keeps_the_verdict(make_complaint, sup, other_sup, clerk):
    complaint = make_complaint(T0)
    drive(complaint, "rectifying", sup)
    complaints.appeal(complaint, clerk, reason="不同意", now=T0)
    complaints.review_appeal(complaint, other_sup, overturn=False, reason="证据充分", now=T0)
    db.session.commit()
    assert complaint.is_valid is True and complaints.appeal_state(complaint) == "upheld"


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_appeals_are_refused_when_they_should_be(
    make_complaint, make_staff, make_user, sup, other_sup, clerk
):
    complaint = make_complaint(T0)
    with pytest.raises(ComplaintError, match="核实有效"):
        complaints.appeal(complaint, clerk, reason="不服", now=T0)  # not verified yet
    drive(complaint, "valid", sup)
    stranger = make_user("clerk2", "staff", staff=make_staff())
    with pytest.raises(ComplaintError, match="本人") as raised:
        complaints.appeal(complaint, stranger, reason="不服", now=T0)
    assert raised.value.status == 403
    with pytest.raises(ComplaintError, match="申诉理由"):
        complaints.appeal(complaint, clerk, reason="", now=T0)
    with pytest.raises(ComplaintError, match="没有待复核"):
        complaints.review_appeal(complaint, other_sup, overturn=True, reason="x", now=T0)
    complaints.appeal(complaint, clerk, reason="不服", now=T0)
    with pytest.raises(ComplaintError, match="只能申诉一次"):
        complaints.appeal(complaint, clerk, reason="再申诉", now=T0)
    invalid = make_complaint(T0)
    drive(invalid, "invalid", sup)
    with pytest.raises(ComplaintError, match="核实有效"):
        complaints.appeal(invalid, clerk, reason="不服", now=T0)


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_an_appeal_is_possible_for_five_working_days_after_the_valid_verdict(
    make_complaint, sup, clerk
):
    complaint = make_complaint(T0)
    drive(complaint, "valid", sup)  # verified on Wed 30 Sep, the eve of the National Day break
    # Thu 8, Fri 9, Sat 10 (a make-up workday), Mon 12 and Tue 13 October are the five days.
    closes = hall_time(2026, 10, 14, 0)
    assert complaints.appeal_due_at(complaint) == closes
    assert complaints.may_still_appeal(complaint, closes - timedelta(minutes=1))
    assert not complaints.may_still_appeal(complaint, closes)
    before = counts(complaint)
    with pytest.raises(ComplaintError, match="申诉期限已过：核实有效后 5 个工作日内"):
        complaints.appeal(complaint, clerk, reason="不服", now=closes)
    assert counts(complaint) == before and complaints.appeal_state(complaint) is None
    complaints.appeal(complaint, clerk, reason="不服", now=closes - timedelta(minutes=1))
    assert complaints.appeal_state(complaint) == "pending"


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_closing_waits_for_a_pending_appeal(make_complaint, sup, other_sup, clerk):
    complaint = make_complaint(T0)
    drive(complaint, "followed_up", sup)
    complaints.appeal(complaint, clerk, reason="不服", now=T0)
    with pytest.raises(ComplaintError, match="复核后才能办结"):
        complaints.close(complaint, sup, note="", now=T0)
    complaints.review_appeal(complaint, other_sup, overturn=False, reason="维持", now=T0)
    complaints.close(complaint, sup, note="", now=T0)
    assert complaint.status == "closed"


@pytest.mark.sqlite_only
def test_revealing_the_phone_is_logged_without_the_number(make_complaint, sup):
    complaint = make_complaint(T0, phone="13912345678")
    assert complaints.reveal_phone(complaint, sup, T0) == "13912345678"
    db.session.commit()
    event = complaints.timeline(complaint)[-1]
    assert (event.action, event.actor_id) == ("phone_revealed", sup.id)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "complaint.phone_revealed")
    )
    assert entry.actor_id == sup.id and entry.target_id == complaint.id
    for audit in db.session.scalars(select(AuditEntry)):
        assert "13912345678" not in f"{audit.reason} {audit.detail}"


@pytest.mark.sqlite_only  # workflow logic; the database-specific parts run on both
def test_revealing_a_missing_phone_is_refused(make_complaint, sup):
    complaint = make_complaint(T0, phone=None)
    with pytest.raises(ComplaintError) as raised:
        complaints.reveal_phone(complaint, sup, T0)
    assert raised.value.status == 404


def test_erasure_removes_phones_only_after_the_retention_period(app, make_complaint, sup):
    app.config["CONTACT_RETENTION_DAYS"] = 30
    old, recent, still_open = make_complaint(T0), make_complaint(T0), make_complaint(T0)
    drive(old, "closed", sup, now=T0)
    drive(recent, "closed", sup, now=T0 + timedelta(days=2))
    now = T0 + timedelta(days=31)
    assert complaints.erase_contacts(now) == 1
    db.session.commit()
    assert old.contact_phone is None and old.contact_erased_at == now
    assert recent.contact_phone == "13812345678" and recent.contact_erased_at is None
    assert still_open.contact_phone == "13812345678"
    assert complaints.timeline(old)[-1].action == "contact_erased"
    assert complaints.erase_contacts(now) == 0  # nothing left to do


@pytest.mark.sqlite_only
def test_standalone_complaint_starts_the_loop(window, staff, sup):
    complaint = complaints.create_standalone(
        window.hall_id,
        sup,
        window=window,
        staff=staff,
        reason_tags=["efficiency", "bogus"],
        text="电话投诉：办理时间过长",
        phone=None,
        now=T0,
    )
    db.session.commit()
    assert complaint.rating_id is None and complaint.reason_tags == ["efficiency"]
    assert complaint.verify_due_at == hall_time(2026, 10, 9, 0)
    assert [e.action for e in complaints.timeline(complaint)] == ["created"]
    with pytest.raises(ComplaintError, match="投诉内容"):
        complaints.create_standalone(
            window.hall_id,
            sup,
            window=None,
            staff=None,
            reason_tags=[],
            text=" ",
            phone=None,
            now=T0,
        )


def test_queue_filters(make_complaint, make_staff, make_window, sup, hall):
    other_staff, other_window = make_staff(), make_window()
    a = make_complaint(T0, tags=("attitude",))
    b = make_complaint(T0 + timedelta(days=20), tags=("efficiency",), who=other_staff)
    c = make_complaint(T0, tags=("attitude", "other"), where=other_window)
    drive(c, "invalid", sup)
    now = hall_time(2026, 10, 9, 1)  # a and c's verification deadline has passed; b not yet made

    def ids(**filters):
        rows, total = complaints.queue(hall.id, QueueFilter(**filters), now)
        assert total == len(rows)
        return sorted(row.id for row in rows)

    assert ids() == sorted([a.id, b.id, c.id])
    assert ids(status="new") == sorted([a.id, b.id])
    assert ids(status="invalid") == [c.id]
    assert ids(tag="attitude") == sorted([a.id, c.id])
    assert ids(staff_id=other_staff.id) == [b.id]
    assert ids(window_id=other_window.id) == [c.id]
    assert ids(overdue=True) == [a.id]
    assert ids(start=(T0 + timedelta(days=19)).date()) == [b.id]
    assert ids(end=T0.date()) == sorted([a.id, c.id])


# --- phone numbers typed into the text (issue 23, point 8) -----------------------------------

TYPED = "请打138 1234 5678联系我，或座机010-12345678"


def test_erasure_also_removes_numbers_typed_into_the_text(app, make_complaint, sup):
    app.config["CONTACT_RETENTION_DAYS"] = 30
    typed = make_complaint(T0, phone=None, text=TYPED)
    both = make_complaint(T0, phone="13912345678", text="我的电话13912345678")
    plain = make_complaint(T0, phone=None, text="等了很久没人理")
    for complaint in (typed, both, plain):
        drive(complaint, "closed", sup, now=T0)
    now = T0 + timedelta(days=31)
    assert complaints.erase_contacts(now) == 2
    db.session.commit()
    assert typed.text == "请打[已删除]联系我，或座机[已删除]" and typed.contact_erased_at == now
    assert (both.contact_phone, both.text) == (None, "我的电话[已删除]")
    assert plain.text == "等了很久没人理" and plain.contact_erased_at is None
    assert complaints.timeline(typed)[-1].action == "contact_erased"
    assert complaints.erase_contacts(now) == 0  # nothing left to do


def test_a_supervisor_erases_one_contact_at_the_residents_request(make_complaint, sup):
    complaint = make_complaint(T0, phone="13912345678", text=TYPED)
    untouched = make_complaint(T0, phone="13912345678", text=TYPED)
    note = "居民来电（13912345678）要求删除"
    complaints.erase_contact_on_request(complaint, sup, note=note, now=T0)
    db.session.commit()
    assert complaint.contact_phone is None and complaint.contact_erased_at == T0
    assert complaint.text == "请打[已删除]联系我，或座机[已删除]"
    assert complaint.status == "new"  # the complaint itself goes on
    event = complaints.timeline(complaint)[-1]
    assert (event.action, event.actor_id, event.note) == (
        "contact_erased",
        sup.id,
        "居民来电（[已删除]）要求删除",
    )
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "complaint.contact_erased")
    )
    assert (entry.actor_id, entry.target_id, entry.hall_id) == (sup.id, complaint.id, sup.hall_id)
    assert entry.detail["on_request"] is True
    for audit in db.session.scalars(select(AuditEntry)):
        assert "13912345678" not in f"{audit.reason} {audit.detail}"
    assert untouched.contact_phone == "13912345678" and untouched.text == TYPED


@pytest.mark.sqlite_only  # workflow logic
def test_erasing_a_contact_that_is_not_there_is_refused(make_complaint, sup):
    complaint = make_complaint(T0, phone=None, text="等了很久没人理")
    before = counts(complaint)
    with pytest.raises(ComplaintError) as raised:
        complaints.erase_contact_on_request(complaint, sup, note="", now=T0)
    assert raised.value.status == 404 and counts(complaint) == before


@pytest.mark.sqlite_only  # workflow logic
def test_a_number_only_in_the_text_can_be_revealed_and_the_reveal_is_logged(make_complaint, sup):
    complaint = make_complaint(T0, phone=None, text=TYPED)
    assert complaints.reveal_phone(complaint, sup, T0) is None
    db.session.commit()
    assert complaints.timeline(complaint)[-1].action == "phone_revealed"

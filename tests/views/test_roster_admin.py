"""The duty roster: planning, changing and ending duties, each one audit-logged."""

from datetime import datetime

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Duty
from kiosk.services.duty import staff_on_duty

# 10:00 in the hall (Asia/Shanghai) on 2026-11-20.
NOW = datetime(2026, 11, 20, 2, 0)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    app.config["CLOCK"] = lambda: NOW


def plan(post_form, staff, window, start="2026-11-20T08:30", end="2026-11-20T17:30", **more):  # type: ignore[no-untyped-def]
    return post_form(
        "/staff/roster/new",
        staff_id=str(staff.id),
        window_id=str(window.id),
        starts_at=start,
        ends_at=end,
        **more,
    )


def test_supervisor_plans_a_duty_in_local_time_and_it_is_logged(
    client, sign_in, post_form, staff, window
):
    supervisor = sign_in("supervisor")
    response = plan(post_form, staff, window)
    assert response.status_code == 302
    duty = db.session.scalar(select(Duty))
    # 08:30 Beijing time is 00:30 UTC.
    assert (duty.starts_at, duty.ends_at, duty.source) == (
        datetime(2026, 11, 20, 0, 30),
        datetime(2026, 11, 20, 9, 30),
        "roster",
    )
    assert staff_on_duty(window.id, NOW) == staff
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.target_type, entry.target_id) == (
        "roster.create",
        supervisor.id,
        "duty",
        duty.id,
    )
    assert entry.detail["staff_id"] == staff.id and entry.detail["window_id"] == window.id

    day = client.get("/staff/roster?day=2026-11-20").get_data(as_text=True)
    assert "王芳" in day and "11-20 08:30" in day and "11-20 17:30" in day


def test_editing_a_duty_records_before_and_after(
    client, sign_in, post_form, staff, make_staff, window
):
    sign_in("supervisor")
    plan(post_form, staff, window)
    duty = db.session.scalar(select(Duty))
    other = make_staff(name="赵强")
    response = post_form(
        f"/staff/roster/{duty.id}/edit",
        staff_id=str(other.id),
        window_id=str(window.id),
        starts_at="2026-11-20T09:00",
        ends_at="2026-11-20T12:00",
        reason="临时调班",
    )
    assert response.status_code == 302
    db.session.refresh(duty)
    assert duty.staff_id == other.id
    assert staff_on_duty(window.id, NOW) == other
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.update"))
    assert entry.reason == "临时调班"
    assert entry.detail["before"]["staff_id"] == staff.id
    assert entry.detail["staff_id"] == other.id
    assert entry.detail["before"]["starts_at"] == "2026-11-20T00:30"


def test_one_person_cannot_be_at_two_windows_at_once(
    client, sign_in, post_form, staff, make_window
):
    sign_in("supervisor")
    first, second = make_window(number=1), make_window(number=2)
    plan(post_form, staff, first)
    response = plan(post_form, staff, second, start="2026-11-20T12:00", end="2026-11-20T13:00")
    assert response.status_code == 400
    assert "该人员在这个时段已有值班安排" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Duty.id))) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-11-20T12:00", "2026-11-20T11:00"), ("not-a-time", ""), ("", "2026-11-20T11:00")],
)
def test_bad_times_are_form_errors(client, sign_in, post_form, staff, window, start, end):
    sign_in("supervisor")
    response = plan(post_form, staff, window, start=start, end=end)
    assert response.status_code == 400
    assert db.session.scalar(select(Duty)) is None
    assert db.session.scalar(select(AuditEntry)) is None


def test_another_halls_staff_cannot_be_planned(client, sign_in, post_form, make_hall, window):
    from kiosk.models import Staff

    foreign = Staff(hall=make_hall(), staff_no="OT1", name="外馆人员")
    db.session.add(foreign)
    db.session.commit()
    sign_in("supervisor")
    response = plan(post_form, foreign, window)
    assert response.status_code == 400
    assert db.session.scalar(select(Duty)) is None


def test_ending_a_signin_duty_now_is_logged(client, sign_in, post_form, put_on_duty, staff, window):
    signin = put_on_duty(staff, window, datetime(2026, 11, 20, 0, 0), None, source="signin")
    signin.ends_at = None
    db.session.commit()
    sign_in("supervisor")
    day = client.get("/staff/roster?day=2026-11-20").get_data(as_text=True)
    assert "签到" in day and "未结束" in day
    response = post_form("/staff/roster?day=2026-11-20", f"/staff/roster/{signin.id}/end")
    assert response.status_code == 302
    db.session.refresh(signin)
    assert signin.ends_at == NOW
    assert staff_on_duty(window.id, NOW) is None
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "roster.end" and entry.detail["before"]["ends_at"] is None


def test_a_signin_cannot_be_edited(client, sign_in, put_on_duty, staff, window):
    signin = put_on_duty(staff, window, datetime(2026, 11, 20, 0, 0), source="signin")
    sign_in("supervisor")
    page = client.get(f"/staff/roster/{signin.id}/edit").get_data(as_text=True)
    from tests.helpers import hidden_fields

    response = client.post(
        f"/staff/roster/{signin.id}/edit",
        data={
            **hidden_fields(page),
            "staff_id": str(staff.id),
            "window_id": str(window.id),
            "starts_at": "2026-11-20T07:00",
        },
    )
    assert response.status_code == 400
    assert "不能修改" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry)) is None


def test_a_future_duty_can_be_cancelled_a_started_one_cannot(
    client, sign_in, post_form, put_on_duty, staff, make_staff, window
):
    later = put_on_duty(staff, window, datetime(2026, 11, 21, 0, 30), datetime(2026, 11, 21, 9, 30))
    started = put_on_duty(make_staff(), window, datetime(2026, 11, 20, 0, 30), None)
    sign_in("supervisor")
    post_form("/staff/roster", f"/staff/roster/{started.id}/cancel")
    assert db.session.get(Duty, started.id) is not None
    post_form("/staff/roster", f"/staff/roster/{later.id}/cancel")
    db.session.expire_all()
    assert db.session.get(Duty, later.id) is None
    assert list(db.session.scalars(select(AuditEntry.action))) == ["roster.cancel"]


def test_bad_day_parameter_is_a_400(client, sign_in):
    sign_in("supervisor")
    assert client.get("/staff/roster?day=2026-13-45").status_code == 400


def test_window_staff_cannot_open_the_roster(client, sign_in, staff):
    sign_in("staff", staff=staff)
    assert client.get("/staff/roster").status_code == 403

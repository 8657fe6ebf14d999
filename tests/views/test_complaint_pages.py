"""Complaint pages: the queue, a complaint's page, its steps, masking and the logged reveal."""

import re

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Complaint, ComplaintEvent, Staff, Window
from tests.conftest import hall_time
from tests.helpers import hidden_fields
from tests.views.test_home_page import badge

PHONE, MASKED = "13812345678", "138****5678"


@pytest.fixture
def sup(make_user):
    return make_user("sup1", "supervisor")


@pytest.fixture
def clerk(make_user, staff):
    return make_user("clerk1", "staff", staff=staff)


@pytest.fixture
def complaint(make_complaint, set_clock):
    set_clock(hall_time(2026, 11, 20, 11))
    return make_complaint(hall_time(2026, 11, 20, 10), phone=PHONE)


def csrf(client, url):
    return hidden_fields(client.get(url).get_data(as_text=True))["csrf_token"]


def post(client, complaint, action, **data):
    url = f"/staff/complaints/{complaint.id}"
    return client.post(f"{url}/{action}", data={"csrf_token": csrf(client, url), **data})


def test_phone_is_masked_on_every_supervisor_page(client, auth, sup, complaint):
    auth.login_as(sup)
    for url in (
        "/staff/complaints/",
        f"/staff/complaints/{complaint.id}",
        "/staff/dashboard",
        "/staff/dashboard/alerts",
        "/staff/ratings/",
        "/staff/ratings/export.csv",
    ):
        page = client.get(url).get_data(as_text=True)
        assert PHONE not in page, url
    assert MASKED in client.get("/staff/complaints/").get_data(as_text=True)
    assert MASKED in client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)


def test_revealing_the_phone_is_a_logged_post(client, auth, sup, complaint):
    auth.login_as(sup)
    url = f"/staff/complaints/{complaint.id}"
    assert client.post(f"{url}/reveal-phone").status_code == 400  # no CSRF token: nothing shown
    response = client.post(f"{url}/reveal-phone", data={"csrf_token": csrf(client, url)})
    assert response.status_code == 200 and PHONE in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.action == "phone_revealed")
    ).all()
    assert [(e.complaint_id, e.actor_id) for e in events] == [(complaint.id, sup.id)]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "complaint.phone_revealed")
    )
    assert entry.actor_id == sup.id
    page = client.get(url).get_data(as_text=True)
    assert PHONE not in page and MASKED in page and "查看完整电话" in page


def test_clerks_never_see_the_phone_and_cannot_reveal_it(client, auth, clerk, complaint):
    auth.login_as(clerk)
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    assert PHONE not in page and MASKED not in page
    response = client.post(
        f"/staff/complaints/{complaint.id}/reveal-phone",
        data={"csrf_token": csrf(client, f"/staff/complaints/{complaint.id}")},
    )
    assert response.status_code == 403


def test_supervisor_verifies_through_the_form(client, auth, sup, complaint):
    auth.login_as(sup)
    response = post(client, complaint, "verify", verdict="valid", severity="major", reason="属实")
    assert response.status_code == 303
    db.session.refresh(complaint)
    assert (complaint.status, complaint.is_valid, complaint.severity) == ("valid", True, "major")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已记录核实结论" in page and "属实" in page and "开始整改" in page


def test_a_refused_step_explains_itself_and_changes_nothing(client, auth, sup, complaint):
    auth.login_as(sup)
    response = post(client, complaint, "close", note="")
    assert response.status_code == 409
    assert "当前状态为“待核实”，不能进行此操作" in response.get_data(as_text=True)
    db.session.refresh(complaint)
    assert complaint.status == "new"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"verdict": "valid", "severity": "", "reason": "属实"}, "严重程度"),
        ({"verdict": "valid", "severity": "major", "reason": ""}, "请填写核实意见"),
        ({"verdict": "maybe", "severity": "", "reason": "x"}, 'role="alert"'),
        ({"verdict": "valid", "severity": "huge", "reason": "x"}, 'role="alert"'),
    ],
)
def test_bad_verification_input_is_a_400(client, auth, sup, complaint, data, message):
    auth.login_as(sup)
    response = post(client, complaint, "verify", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(complaint)
    assert complaint.status == "new"


def test_unknown_steps_and_other_halls_are_404(client, auth, sup, complaint, make_hall):
    auth.login_as(sup)
    assert post(client, complaint, "delete").status_code == 404
    elsewhere = make_hall()
    w = Window(hall=elsewhere, number=1, name="x")
    s = Staff(hall=elsewhere, staff_no="Z1", name="y")
    db.session.add_all([w, s])
    db.session.flush()
    foreign = Complaint(hall_id=elsewhere.id, window_id=w.id, staff_id=s.id, text="t")
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/staff/complaints/{foreign.id}").status_code == 404
    token = csrf(client, f"/staff/complaints/{complaint.id}")
    for action in ("reveal-phone", "close"):
        url = f"/staff/complaints/{foreign.id}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404


def test_clerk_appeals_and_another_supervisor_reviews(
    client, app, auth, sup, clerk, make_user, make_complaint, complaint
):
    not_appealed = make_complaint(hall_time(2026, 11, 20, 10, 30))
    auth.login_as(sup)
    post(client, complaint, "verify", verdict="valid", severity="minor", reason="属实")
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/staff/")})

    auth.login_as(clerk)
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    assert "提交申诉" in page and "提交核实结论" not in page
    assert post(client, complaint, "appeal", reason="当天系统故障").status_code == 303
    assert post(client, complaint, "verify", verdict="invalid", reason="x").status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/staff/")})

    auth.login_as(sup)  # the verifier may not review
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    assert "须由核实人以外的负责人复核" in page and "提交复核结论" not in page
    refused = post(client, complaint, "review", outcome="overturn", reason="撤销")
    assert refused.status_code == 403 and "复核须由核实人以外的负责人进行" in refused.get_data(
        as_text=True
    )
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/staff/")})

    other = make_user("sup2", "supervisor")
    auth.login_as(other)
    # Under appeal, the page offers one next step: the review, not the rectification beside it.
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    steps = re.findall(r'action="/staff/complaints/\d+/([a-z-]+)"', page)
    assert [step for step in steps if step not in ("reveal-phone", "erase-contact")] == ["review"]
    assert "提交复核结论" in page and "开始整改" not in page
    assert "复核申诉后，再继续整改、回访和办结。" in page
    home = client.get("/staff/").get_data(as_text=True)
    assert badge(home, "todo-appeals") == "1" and 'href="/staff/complaints/?appeal=y"' in home
    waiting = client.get("/staff/complaints/?appeal=y").get_data(as_text=True)
    assert f'/staff/complaints/{complaint.id}"' in waiting and "申诉待复核" in waiting
    assert f'/staff/complaints/{not_appealed.id}"' not in waiting
    assert (
        post(client, complaint, "review", outcome="overturn", reason="日志证实").status_code == 303
    )
    db.session.refresh(complaint)
    assert complaint.is_valid is False
    assert badge(client.get("/staff/").get_data(as_text=True), "todo-appeals") == "0"
    after = client.get("/staff/complaints/?appeal=y").get_data(as_text=True)
    assert "没有符合条件的投诉" in after and "申诉已复核" not in after


def test_after_the_appeal_period_the_clerk_sees_it_closed_and_cannot_appeal(
    client, auth, sup, clerk, set_clock, complaint
):
    auth.login_as(sup)
    post(client, complaint, "verify", verdict="valid", severity="minor", reason="属实")
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    assert "申诉 2026-11-27 24:00" in page  # verified Fri 20 Nov: five working days to Fri 27
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/staff/")})

    auth.login_as(clerk)
    assert "可申诉" in client.get("/staff/me").get_data(as_text=True)
    set_clock(hall_time(2026, 11, 28, 9))
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    assert "申诉期限已过（2026-11-27 24:00）" in page and "提交申诉" not in page
    mine = client.get("/staff/me").get_data(as_text=True)
    assert "申诉期已过" in mine and "可申诉" not in mine
    refused = post(client, complaint, "appeal", reason="迟到的申诉")
    assert refused.status_code == 409 and "申诉期限已过" in refused.get_data(as_text=True)
    assert not db.session.scalar(
        select(ComplaintEvent.id).where(ComplaintEvent.action == "appealed")
    )


def test_clerks_see_only_their_own_complaints(
    client, auth, clerk, make_staff, make_complaint, complaint
):
    someone_else = make_complaint(hall_time(2026, 11, 20, 10), who=make_staff(), text="别人的投诉")
    auth.login_as(clerk)
    assert client.get(f"/staff/complaints/{complaint.id}").status_code == 200
    assert client.get(f"/staff/complaints/{someone_else.id}").status_code == 404
    assert post(client, someone_else, "appeal", reason="x").status_code == 404
    for url in (
        "/staff/complaints/",
        "/staff/dashboard",
        "/staff/ratings/",
        "/staff/complaints/new",
    ):
        assert client.get(url).status_code == 403, url
    mine = client.get("/staff/me").get_data(as_text=True)
    assert f"#{complaint.id}" in mine and f"#{someone_else.id}<" not in mine
    assert "别人的投诉" not in mine


def test_standalone_complaint_entry(client, auth, sup, window, staff, set_clock):
    set_clock(hall_time(2026, 9, 30, 16))
    auth.login_as(sup)
    token = csrf(client, "/staff/complaints/new")
    bad = client.post(
        "/staff/complaints/new", data={"csrf_token": token, "text": "x", "phone": "12345"}
    )
    assert bad.status_code == 400 and "请输入11位手机号码" in bad.get_data(as_text=True)
    response = client.post(
        "/staff/complaints/new",
        data={
            "csrf_token": token,
            "window": str(window.id),
            "staff": str(staff.id),
            "reasons": ["efficiency"],
            "text": "电话投诉：办理慢",
            "phone": "13900001111",
        },
    )
    assert response.status_code == 303
    created = db.session.scalar(select(Complaint))
    assert created.rating_id is None and created.verify_due_at == hall_time(2026, 10, 9, 0)
    assert "139****1111" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_queue_filters_and_badges(client, auth, sup, complaint, set_clock):
    auth.login_as(sup)
    page = client.get("/staff/complaints/?status=new").get_data(as_text=True)
    assert f"#{complaint.id}" in page and "期限 11-23 24:00" in page  # end of Monday 23 Nov
    set_clock(hall_time(2026, 11, 24, 9))
    overdue = client.get("/staff/complaints/?overdue=y").get_data(as_text=True)
    assert f"#{complaint.id}" in overdue and "已超期" in overdue
    assert f"#{complaint.id}" not in client.get("/staff/complaints/?status=closed").get_data(
        as_text=True
    )
    assert client.get("/staff/complaints/?window=99999").status_code == 400
    assert client.get("/staff/complaints/?start=not-a-date").status_code == 400


def test_alerts_fragment_re_arms_its_poll_and_shows_new_complaints(
    client, auth, sup, make_complaint, set_clock
):
    set_clock(hall_time(2026, 11, 20, 11))
    auth.login_as(sup)
    empty = client.get("/staff/dashboard/alerts").get_data(as_text=True)
    assert 'hx-trigger="every 15s"' in empty and 'hx-swap="outerHTML"' in empty
    assert 'hx-get="/staff/dashboard/alerts"' in empty
    assert 'data-testid="alert-badge">0<' in empty
    make_complaint(hall_time(2026, 11, 20, 10, 30))
    fresh = client.get("/staff/dashboard/alerts").get_data(as_text=True)
    assert 'data-testid="alert-badge">2<' in fresh  # one complaint to verify, one 差评 today
    assert "待核实投诉（1）" in fresh and "今日差评（1）" in fresh


def test_anonymous_visitors_are_sent_to_sign_in(client, complaint):
    for url in ("/staff/complaints/", f"/staff/complaints/{complaint.id}", "/staff/dashboard"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_junk_and_huge_numbers_are_clear_4xx_never_500(client, auth, sup, complaint):
    auth.login_as(sup)
    huge = "9" * 30
    for url, expected in (
        (f"/staff/complaints/{huge}", 404),
        (f"/staff/complaints/?page={huge}", 200),
        ("/staff/complaints/?page=-3", 200),
        (f"/staff/complaints/?window={huge}", 400),
        (f"/staff/ratings/?page={huge}", 200),
        (f"/staff/ratings/?staff={huge}", 400),
        ("/staff/ratings/?verified=maybe", 400),
        (f"/staff/dashboard?window={huge}", 404),
        (f"/staff/dashboard?staff={huge}", 404),
    ):
        assert client.get(url).status_code == expected, url
    token = csrf(client, f"/staff/complaints/{complaint.id}")
    for url in (f"/staff/complaints/{huge}/close", f"/staff/ratings/{huge}/review"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


# --- phone numbers typed into the text (issue 23, point 8) -----------------------------------

TYPED, TYPED_MASKED, TYPED_HIDDEN = (
    "请打138 1234 5678联系我",
    "请打138****5678联系我",
    "请打***********联系我",
)


@pytest.fixture
def typed(make_complaint, set_clock):
    set_clock(hall_time(2026, 11, 20, 11))
    return make_complaint(hall_time(2026, 11, 20, 10), phone=PHONE, text=TYPED)


def _logout(client):  # type: ignore[no-untyped-def]
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/staff/")})


def test_numbers_in_the_text_are_masked_wherever_staff_see_complaints(
    client, auth, sup, clerk, typed
):
    auth.login_as(sup)
    for url in (
        "/staff/",
        "/staff/complaints/",
        f"/staff/complaints/{typed.id}",
        "/staff/dashboard",
        "/staff/dashboard/alerts",
        "/staff/ratings/",
        "/staff/ratings/export.csv",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "1234 5678" not in page and PHONE not in page, url
    assert TYPED_MASKED in client.get(f"/staff/complaints/{typed.id}").get_data(as_text=True)
    _logout(client)

    auth.login_as(clerk)  # the clerk concerned sees not even the masked number
    for url in ("/staff/", "/staff/me", f"/staff/complaints/{typed.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "1234 5678" not in page and "138****5678" not in page, url
    assert TYPED_HIDDEN in client.get(f"/staff/complaints/{typed.id}").get_data(as_text=True)


def test_the_logged_reveal_shows_the_text_whole(client, auth, sup, make_complaint, set_clock):
    set_clock(hall_time(2026, 11, 20, 11))
    only_text = make_complaint(hall_time(2026, 11, 20, 10), phone=None, text=TYPED)
    auth.login_as(sup)
    url = f"/staff/complaints/{only_text.id}"
    page = client.get(url).get_data(as_text=True)
    assert TYPED_MASKED in page and "未留电话" in page and "查看完整电话" in page
    response = client.post(f"{url}/reveal-phone", data={"csrf_token": csrf(client, url)})
    assert response.status_code == 200 and TYPED in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    event = db.session.scalar(
        select(ComplaintEvent).where(ComplaintEvent.action == "phone_revealed")
    )
    assert (event.complaint_id, event.actor_id) == (only_text.id, sup.id)
    assert TYPED not in client.get(url).get_data(as_text=True)


def test_a_supervisor_erases_the_contact_at_the_residents_request(client, auth, sup, clerk, typed):
    url = f"/staff/complaints/{typed.id}"
    auth.login_as(clerk)
    assert "删除联系方式" not in client.get(url).get_data(as_text=True)
    refused = client.post(
        f"{url}/erase-contact", data={"csrf_token": csrf(client, url), "confirm": "y"}
    )
    assert refused.status_code == 403
    _logout(client)

    auth.login_as(sup)
    assert "删除联系方式" in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/erase-contact", data={"confirm": "y"}).status_code == 400
    unconfirmed = client.post(f"{url}/erase-contact", data={"csrf_token": csrf(client, url)})
    assert unconfirmed.status_code == 400
    assert "请勾选确认后再删除" in unconfirmed.get_data(as_text=True)
    db.session.refresh(typed)
    assert (typed.contact_phone, typed.text) == (PHONE, TYPED)

    done = client.post(
        f"{url}/erase-contact",
        data={"csrf_token": csrf(client, url), "confirm": "y", "note": "居民来电要求删除"},
    )
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已删除投诉人的联系方式" in page and "请打[已删除]联系我" in page
    assert "查看完整电话" not in page and 'id="erase-contact"' not in page
    db.session.refresh(typed)
    assert (typed.contact_phone, typed.text) == (None, "请打[已删除]联系我")
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "complaint.contact_erased")
    )
    assert (entry.actor_id, entry.hall_id, entry.reason) == (
        sup.id,
        typed.hall_id,
        "居民来电要求删除",
    )
    again = client.post(
        f"{url}/erase-contact", data={"csrf_token": csrf(client, url), "confirm": "y"}
    )
    assert again.status_code == 404  # nothing left to erase

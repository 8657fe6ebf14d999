"""反馈与异议 on the result page, through the forms (#26 point 8)."""

from datetime import datetime, timedelta

import pytest

from kiosk.extensions import db
from kiosk.services import evaluation as ev
from kiosk.services import periods
from tests.helpers import hidden_fields

NOV = periods.Period(2026, "month", 11)
IN_NOV = datetime(2026, 11, 10, 2, 0)
FINALISED = datetime(2026, 12, 1, 2, 0)
DETAIL = "/staff/evaluation/2026-11/staff/{id}"


@pytest.fixture
def people(app, hall, staff, make_staff, make_user, give_assessment):
    boss = make_user("boss", "supervisor")
    deputy = make_user("deputy", "supervisor")
    clerk = make_user("clerk", "staff", staff=staff)
    other = make_user("other", "staff", staff=make_staff(staff_no="XF002", name="李强"))
    give_assessment(staff, NOV.code, at=IN_NOV)
    give_assessment(staff, NOV.code, by=boss, at=IN_NOV)
    with app.test_request_context():
        ev.finalise_period(hall, NOV, actor=boss, now=FINALISED)
        db.session.commit()
    app.config["CLOCK"] = lambda: FINALISED + timedelta(hours=1)
    return {"boss": boss, "deputy": deputy, "clerk": clerk, "other": other, "staff": staff}


def post(client, page: str, action: str, **fields):
    html = client.get(page).get_data(as_text=True)
    return client.post(action, data={**hidden_fields(html), **fields})


def test_feedback_acknowledgement_objection_and_decision_through_the_pages(client, auth, people):
    page = DETAIL.format(id=people["staff"].id)
    auth.login_as(people["boss"])
    done = post(
        client, page, page + "/feedback", feedback="窗口服务热情", suggestions="加强政策学习"
    )
    assert done.status_code == 302
    client.get("/auth/logout")

    auth.login_as(people["clerk"])
    html = client.get(page).get_data(as_text=True)
    assert "窗口服务热情" in html and "加强政策学习" in html and "本人尚未确认阅读" in html
    assert post(client, page, page + "/acknowledge").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "确认阅读" in html and 'action="' + page + '/feedback"' not in html
    # An empty objection is a form error, not a lost request.
    empty = post(client, page, page + "/objection", text="")
    assert empty.status_code == 422 and "请写明异议的理由。" in empty.get_data(as_text=True)
    assert post(client, page, page + "/objection", text="服务态度一项评分偏低").status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "异议（" in html and "服务态度一项评分偏低" in html and "异议处理：待处理" in html
    client.get("/auth/logout")

    auth.login_as(people["deputy"])
    report = client.get("/staff/evaluation/2026-11/report").get_data(as_text=True)
    assert "有 1 项异议待处理" in report
    client.get("/auth/logout")

    # boss finalised the period and wrote the feedback: the page offers him no decision.
    auth.login_as(people["boss"])
    html = client.get(page).get_data(as_text=True)
    assert 'action="' + page + '/objection/decide"' not in html and "等待定稿人以外" in html
    refused = post(client, page, page + "/objection/decide", outcome="upheld", note="维持")
    assert refused.status_code == 403
    client.get("/auth/logout")

    auth.login_as(people["deputy"])
    assert 'action="' + page + '/objection/decide"' in client.get(page).get_data(as_text=True)
    decided = post(client, page, page + "/objection/decide", outcome="upheld", note="评分依据充分")
    assert decided.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "异议处理：维持原结果（" in html and "评分依据充分" in html


def test_nobody_objects_or_acknowledges_for_someone_else(client, auth, people):
    page = DETAIL.format(id=people["staff"].id)
    auth.login_as(people["other"])
    assert client.get(page).status_code == 403
    own = DETAIL.format(id=people["other"].staff_id)
    html = client.get(own).get_data(as_text=True)
    response = client.post(
        page + "/objection", data={**hidden_fields(html), "text": "替别人提异议"}
    )
    assert response.status_code == 403
    assert client.post(page + "/feedback", data=hidden_fields(html)).status_code == 403


def test_posts_without_the_form_token_are_refused(client, auth, people):
    page = DETAIL.format(id=people["staff"].id)
    auth.login_as(people["clerk"])
    assert client.post(page + "/objection", data={"text": "无令牌"}).status_code == 400


def test_before_finalising_the_page_offers_no_feedback(client, auth, people, hall):
    auth.login_as(people["boss"])
    html = client.get(f"/staff/evaluation/2026-10/staff/{people['staff'].id}").get_data(
        as_text=True
    )
    assert "反馈与异议" not in html

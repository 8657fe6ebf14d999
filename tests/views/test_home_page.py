"""The staff home page lists each user's open work, and its links lead to that work."""

import re

import pytest

from kiosk.extensions import db
from kiosk.models import PeerAssignment
from tests.conftest import hall_time
from tests.helpers import give_rating, hidden_fields
from tests.views.test_evaluation_pages import marks

NOW = hall_time(2026, 11, 20, 11)


def badge(page: str, name: str) -> str | None:
    """Return the count shown in the to-do badge name, or None if the page has no such item."""
    found = re.search(rf'data-testid="{name}">(\d+)<', page)
    return found.group(1) if found else None


@pytest.fixture
def now(set_clock):
    set_clock(NOW)
    return NOW


def test_a_supervisor_sees_complaints_to_verify_overdue_and_ratings_to_review(
    client, auth, make_user, make_complaint, window, now
):
    fresh = make_complaint(hall_time(2026, 11, 20, 10))
    late = make_complaint(hall_time(2026, 11, 10, 10))  # verification was due days ago
    give_rating(
        window, 5, "flagged-1", channel="qr", now=now, status="quarantined", flags=["burst"]
    )
    db.session.commit()
    auth.login_as(make_user("sup1", "supervisor"))

    home = client.get("/staff/").get_data(as_text=True)
    assert "您好，sup1（负责人）" in home  # no staff record: the login name
    assert badge(home, "todo-new-complaints") == "2"
    assert badge(home, "todo-overdue") == "1"
    assert badge(home, "todo-quarantined") == "1"
    assert badge(home, "todo-assessments") is None  # no staff record: no assessments owed

    to_verify = client.get("/staff/complaints/?status=new").get_data(as_text=True)
    assert f'/staff/complaints/{fresh.id}"' in to_verify
    assert f'/staff/complaints/{late.id}"' in to_verify
    overdue = client.get("/staff/complaints/?overdue=y").get_data(as_text=True)
    assert f'/staff/complaints/{late.id}"' in overdue
    assert f'/staff/complaints/{fresh.id}"' not in overdue
    review = client.get("/staff/ratings/quarantine").get_data(as_text=True)
    assert review.count('name="rating"') == 1  # the one rating to release or exclude

    url = f"/staff/complaints/{late.id}"
    token = hidden_fields(client.get(url).get_data(as_text=True))["csrf_token"]
    verified = client.post(
        f"{url}/verify",
        data={"csrf_token": token, "verdict": "invalid", "reason": "监控显示正常办理"},
    )
    assert verified.status_code == 303
    home = client.get("/staff/").get_data(as_text=True)
    assert badge(home, "todo-new-complaints") == "1"
    assert badge(home, "todo-overdue") == "0"


def test_a_clerk_sees_the_assessments_they_still_owe_this_month(
    client, auth, make_user, make_staff, now
):
    me = make_staff(staff_no="XF001", name="王芳")
    colleague = make_staff(staff_no="XF002", name="李强")
    db.session.add(
        PeerAssignment(
            hall_id=me.hall_id, period="2026-11", assessor_id=me.id, subject_id=colleague.id
        )
    )
    db.session.commit()
    auth.login_as(make_user("clerk1", "staff", staff=me))

    home = client.get("/staff/").get_data(as_text=True)
    assert "您好，王芳（窗口人员）" in home  # greeted by name, not by login
    assert badge(home, "todo-assessments") == "2"  # the self assessment and one peer
    assert badge(home, "todo-new-complaints") is None  # complaints are the supervisors' work
    assert 'href="/staff/evaluation/2026-11/"' in home
    tasks = client.get("/staff/evaluation/2026-11/").get_data(as_text=True)
    assert tasks.count("未提交") == 2

    url = f"/staff/evaluation/2026-11/assess/self/{me.id}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={**hidden_fields(page), **marks(0.9)})
    assert response.status_code == 302
    assert badge(client.get("/staff/").get_data(as_text=True), "todo-assessments") == "1"


def test_todays_bad_ratings_on_the_dashboard_say_which_wait_for_review(
    client, auth, make_user, window, now
):
    give_rating(window, 1, "bad-counted", channel="qr", now=now)
    give_rating(
        window, 2, "bad-flagged", channel="qr", now=now, status="quarantined", flags=["burst"]
    )
    db.session.commit()
    auth.login_as(make_user("sup1", "supervisor"))
    alerts = client.get("/staff/dashboard/alerts").get_data(as_text=True)
    bad = alerts.split("今日差评")[1]
    lines = re.findall(r"<li>(.*?)</li>", bad, re.S)
    assert len(lines) == 2
    flagged = next(line for line in lines if "不满意" in line and "非常" not in line)
    counted = next(line for line in lines if "非常不满意" in line)
    assert 'href="/staff/ratings/quarantine"' in flagged and "待审核" in flagged
    assert "待审核" not in counted
    assert "待审核" in client.get("/staff/dashboard").get_data(as_text=True)

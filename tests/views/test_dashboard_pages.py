"""Dashboards and ratings review pages, on the demo hall's 90 days of ratings."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import AuditEntry, Complaint, Rating, Staff, User, Window
from kiosk.models._types import utcnow
from kiosk.services.demo import create_demo
from tests.conftest import PASSWORDS
from tests.helpers import give_rating, hidden_fields


@pytest.fixture
def demo(app, ctx):
    result = create_demo(utcnow(), clock.hall_zone())
    db.session.commit()
    return result.hall


def account(hall, username, role, staff=None):
    user = User(username=username, role=role, hall=hall, staff=staff)
    user.set_password(PASSWORDS[role])
    db.session.add(user)
    db.session.commit()
    return user


def test_supervisor_dashboard_renders_figures_chart_and_weakest_windows(client, auth, demo):
    auth.login_as(account(demo, "boss", "supervisor"))
    page = client.get("/staff/dashboard").get_data(as_text=True)
    assert "今日" in page and "本月" in page and "超期投诉" in page
    assert page.count("<polyline") >= 1 and "<svg" in page and "全大厅" in page
    assert "本周满意度最低的窗口" in page
    assert 'hx-get="/staff/dashboard/alerts"' in page
    assert "htmx-2.0.11.min.js" in page and "<script>" not in page  # no inline script
    window = db.session.scalar(select(Window).where(Window.hall_id == demo.id, Window.number == 4))
    staff = db.session.scalar(select(Staff).where(Staff.staff_no == "XF004"))
    by_window = client.get(f"/staff/dashboard?window={window.id}").get_data(as_text=True)
    assert "4号窗口 民政救助：每日满意度" in by_window
    assert "刘洋 XF004：每日满意度" in client.get(f"/staff/dashboard?staff={staff.id}").get_data(
        as_text=True
    )
    assert client.get("/staff/dashboard?window=99999").status_code == 404
    assert client.get("/staff/dashboard?staff=abc").status_code == 404


def test_clerk_dashboard_shows_only_their_own_results(client, auth, demo):
    me = db.session.scalar(select(Staff).where(Staff.staff_no == "XF004"))
    other = db.session.scalar(select(Staff).where(Staff.staff_no == "XF011"))
    mine = db.session.scalars(select(Complaint).where(Complaint.staff_id == me.id)).all()
    theirs = db.session.scalars(select(Complaint).where(Complaint.staff_id == other.id)).all()
    assert mine and theirs
    auth.login_as(account(demo, "liuyang", "staff", staff=me))
    home = client.get("/staff/").get_data(as_text=True)
    assert "/staff/me" in home and "/staff/dashboard" not in home
    page = client.get("/staff/me").get_data(as_text=True)
    assert "刘洋" in page and "<svg" in page
    assert all(f">#{c.id}<" in page for c in mine)
    assert not any(f">#{c.id}<" in page for c in theirs)
    assert "徐娜" not in page  # no other clerk's name, ratings or complaints
    assert client.get(f"/staff/complaints/{theirs[0].id}").status_code == 404
    assert client.get("/staff/dashboard").status_code == 403
    assert client.get("/staff/dashboard/alerts").status_code == 403


def test_ratings_log_filters_paginates_and_exports(client, auth, demo):
    auth.login_as(account(demo, "boss", "supervisor"))
    page = client.get("/staff/ratings/").get_data(as_text=True)
    assert "下一页" in page and "导出 CSV" in page
    assert client.get("/staff/ratings/?page=2").status_code == 200
    bad = client.get("/staff/ratings/?level=1&channel=pad&verified=1").get_data(as_text=True)
    assert "非常满意" not in bad.split("<tbody>")[1]
    export = client.get("/staff/ratings/export.csv?level=1")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    expected = db.session.scalar(
        select(db.func.count(Rating.id)).where(Rating.hall_id == demo.id, Rating.level == 1)
    )
    assert len(rows) == expected + 2 and all(r[4] == "1 非常不满意" for r in rows[1:-1])
    assert rows[-1] == [f"导出完毕，共 {expected} 条评价"]  # the file is whole
    assert client.get("/staff/ratings/?start=yesterday").status_code == 400
    assert client.get("/staff/ratings/export.csv?level=9").status_code == 400


def test_quarantine_release_and_exclude_from_the_page(client, auth, demo):
    window = db.session.scalar(select(Window).where(Window.hall_id == demo.id))
    now = utcnow()
    suspicious = [
        give_rating(
            window,
            level,
            f"quarantine-{level}",
            channel="qr",
            now=now,
            status="quarantined",
            flags=["burst", "off_hours"],
        ).rating
        for level in (1, 5)
    ]
    db.session.commit()
    boss = account(demo, "boss", "supervisor")
    auth.login_as(boss)
    page = client.get("/staff/ratings/quarantine").get_data(as_text=True)
    assert "全厅在短时间内的评价超过设定上限" in page and "在大厅开放时间以外提交" in page
    token = hidden_fields(page)["csrf_token"]
    missing = client.post(
        f"/staff/ratings/{suspicious[0].id}/review",
        data={"csrf_token": token, "decision": "release"},
    )
    assert missing.status_code == 400
    for rating, decision in zip(suspicious, ("release", "exclude"), strict=True):
        response = client.post(
            f"/staff/ratings/{rating.id}/review",
            data={"csrf_token": token, "decision": decision, "reason": "查看监控后确认"},
        )
        assert response.status_code == 303
    again = client.post(
        f"/staff/ratings/{suspicious[0].id}/review",
        data={"csrf_token": token, "decision": "exclude", "reason": "再改"},
    )
    assert again.status_code == 409 and "不在待审核列表" in again.get_data(as_text=True)
    assert [db.session.get(Rating, r.id).status for r in suspicious] == ["counted", "excluded"]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("rating.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("rating.release", boss.id, "查看监控后确认"),
        ("rating.exclude", boss.id, "查看监控后确认"),
    ]
    after = client.get("/staff/ratings/quarantine").get_data(as_text=True)
    assert f'id="rating-{suspicious[0].id}"' in page  # listed before the review
    assert all(f'id="rating-{r.id}"' not in after for r in suspicious)
    for held in db.session.scalars(select(Rating).where(Rating.status == "quarantined")):
        client.post(  # the demo's own suspicious taps
            f"/staff/ratings/{held.id}/review",
            data={"csrf_token": token, "decision": "exclude", "reason": "演示数据"},
        )
    assert "目前没有待审核的评价" in client.get("/staff/ratings/quarantine").get_data(as_text=True)


def test_held_ratings_are_shown_apart_on_every_count_and_never_to_the_resident(
    app, client, sign_in, window, staff, put_on_duty
):
    from tests.helpers import rate

    put_on_duty(staff, window)
    app.config["STUFFING_FLAG_OFF_HOURS"] = True
    app.config["OPENING_HOURS"] = "00:00-00:01"  # every tap now is outside opening hours
    thanks = rate(client, window.qr_token, 1).headers["Location"]
    held = db.session.scalar(select(Rating))
    assert held.status == "quarantined"
    # The resident is thanked and offered the complaint form; nothing about a review.
    page = client.get(thanks).get_data(as_text=True)
    assert "感谢您的评价" in page and "审核" not in page

    sign_in("supervisor")
    page = client.get("/staff/dashboard").get_data(as_text=True)
    cards = page[page.index('class="cards"') : page.index('id="alerts"')]
    assert re.search(r"差评 <span class=\"big bad\">0</span>", cards)
    assert "另有 1 条待审核" in cards and "（其中差评 1 条）" in cards
    assert 'href="/staff/ratings/quarantine"' in cards
    assert "今日差评（1）" in page and "其中 1 条待审核，审核放行前不计入统计。" in page
    assert "共 1 条评价待审核" in page
    assert "放行前不计入统计" in client.get("/staff/").get_data(as_text=True)

    client.post("/auth/logout", data=hidden_fields(page))
    sign_in("staff", staff=staff)
    mine = client.get("/staff/me").get_data(as_text=True)
    assert "另有 1 条待审核" in mine and "/staff/ratings/quarantine" not in mine

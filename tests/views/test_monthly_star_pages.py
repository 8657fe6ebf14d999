"""每月服务之星 in the browser's terms: the supervisor's page, recording, the public list."""

import itertools
import re
from datetime import datetime, timedelta

import pytest

from kiosk.extensions import db
from tests.helpers import add_valid_complaint, give_rating, hidden_fields

AFTER = datetime(2026, 12, 3, 2, 0)
_keys = itertools.count(1)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: AFTER}


@pytest.fixture
def november(hall, window, make_staff, put_on_duty):
    wang, li = make_staff(name="王芳"), make_staff(name="李强")
    start = datetime(2026, 11, 10, 1, 0)
    for day, (person, level) in enumerate(((wang, 5), (li, 4))):
        at = start + timedelta(days=day)
        put_on_duty(person, window, at, at + timedelta(hours=8))
        for minute in range(12):
            at_minute = at + timedelta(minutes=minute)
            give_rating(window, level, f"page-{next(_keys):04d}", channel="qr", now=at_minute)
    add_valid_complaint(hall, wang, start)
    db.session.commit()
    return wang, li


def test_a_supervisor_records_the_month_and_the_public_page_lists_it(
    november, client, auth, make_user, hall
):
    auth.login_as(make_user("boss", "supervisor"))
    page = client.get("/staff/evaluation/2026-11/star")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "★ 李强" in html and "本月有 1 件经核实的有效投诉" in html
    assert "居民满意度指数最高" in html and "本月评价不少于 10 条" in html
    assert "每月服务之星" in client.get("/staff/evaluation/2026-11/report").get_data(as_text=True)

    done = client.post("/staff/evaluation/2026-11/star", data=hidden_fields(html))
    assert done.status_code == 302
    recorded = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已于 2026-12-03 10:00 由 boss 记录" in recorded and "★ 李强" in recorded
    assert "记录本月服务之星" not in recorded  # once only

    again = client.post("/staff/evaluation/2026-11/star", data=hidden_fields(html))
    assert again.status_code == 409 and "已经评选" in again.get_data(as_text=True)

    public = client.get(f"/public/{hall.slug}").get_data(as_text=True)
    assert re.search(r"2026年11月</strong>：\s*★ 李强（居民满意度指数 \d+\.\d\d", public)
    assert "经核实的有效投诉" not in public  # who was passed over, and why, stays inside

    english = client.get("/staff/evaluation/2026-11/star?lang=en").get_data(as_text=True)
    assert "Resident satisfaction index" in english and "place 1 of 1 who qualify" in english


def test_a_month_not_ended_is_shown_but_not_recorded(november, client, auth, make_user):
    auth.login_as(make_user("boss", "supervisor"))
    page = client.get("/staff/evaluation/2026-12/star").get_data(as_text=True)
    assert "本月尚未结束" in page and "记录本月服务之星" not in page
    refused = client.post("/staff/evaluation/2026-12/star", data=hidden_fields(page))
    assert refused.status_code == 409 and "尚未结束" in refused.get_data(as_text=True)


@pytest.mark.parametrize("code", ["2026Q4", "2026", "2026-13", "star"])
def test_only_months_have_a_star_page(client, auth, make_user, code):
    auth.login_as(make_user("boss", "supervisor"))
    assert client.get(f"/staff/evaluation/{code}/star").status_code == 404


def test_a_clerk_cannot_open_or_record_it(november, client, auth, make_user):
    auth.login_as(make_user("clerk", "staff", staff=november[0]))
    assert client.get("/staff/evaluation/2026-11/star").status_code == 403

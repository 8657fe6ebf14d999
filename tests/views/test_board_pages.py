"""The hall board pages, the public results page and GET /api/v1/board."""

import re
from datetime import timedelta

import pytest

from kiosk.extensions import db
from kiosk.models import Complaint
from kiosk.services import board
from tests.board_helpers import NOW, seed_board


@pytest.fixture
def seeded(app, make_window, make_staff, put_on_duty):
    app.config["CLOCK"] = lambda: NOW
    return seed_board(make_window, make_staff, put_on_duty)


def poll_attributes(html: str) -> dict[str, str]:
    tag = re.search(r"<section[^>]*data-board-fragment[^>]*>", html)
    assert tag, "no standings fragment"
    return dict(re.findall(r'(hx-[a-z]+)="([^"]*)"', tag.group(0)))


def test_the_fragment_has_no_page_layout_and_re_arms_its_own_poll(client, seeded):
    html = client.get("/board/xingfu/standings?view=month").get_data(as_text=True)
    assert html.lstrip().startswith("<section")
    assert "<html" not in html and "<body" not in html and "<script" not in html
    assert "王芳" in html and "XF001" in html and "本月服务排名" in html
    attrs = poll_attributes(html)
    assert attrs == {
        "hx-get": "/board/xingfu/standings?view=month",  # pinned: the same view again
        "hx-trigger": "every 10s",
        "hx-swap": "outerHTML",
    }


def test_a_rotating_fragment_asks_next_for_the_view_due_at_its_next_poll(app, client, seeded):
    app.config.update(BOARD_POLL_SECONDS=5, BOARD_ROTATE_SECONDS=20)
    html = client.get("/board/xingfu/standings?view=today&rotate=1").get_data(as_text=True)
    following = board.rotation_view(NOW + timedelta(seconds=5), 20)
    assert poll_attributes(html)["hx-get"] == (
        f"/board/xingfu/standings?view={following}&amp;rotate=1"
    )
    assert poll_attributes(html)["hx-trigger"] == "every 5s"
    assert "今日服务排名" in html


def test_every_rotation_view_comes_round():
    start = NOW
    seen = {board.rotation_view(start + timedelta(seconds=20 * n), 20) for n in range(4)}
    assert seen == set(board.ROTATION)


def test_the_page_includes_the_fragment_with_its_scripts(client, seeded):
    html = client.get("/board/xingfu").get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert "幸福社区便民服务中心" in html
    assert "data-board-fragment" in html and 'hx-trigger="every 10s"' in html
    assert "htmx-2.0.11.min.js" in html and "js/board.js" in html
    assert "<script>" not in html and "onclick=" not in html  # no inline script


def test_board_without_a_slug_shows_the_first_hall(client, seeded):
    response = client.get("/board")
    assert response.status_code == 200
    assert "幸福社区便民服务中心" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url, status",
    [
        ("/board/nowhere", 404),
        ("/board/nowhere/standings", 404),
        ("/board/xingfu?view=week", 400),
        ("/board/xingfu/standings?view=<script>", 400),
        ("/public/nowhere", 404),
        ("/public/xingfu?month=2026-13", 400),
        ("/public/xingfu?month=May", 400),
    ],
)
def test_bad_addresses_get_a_clear_error(client, seeded, url, status):
    assert client.get(url).status_code == status


def test_board_with_no_hall_at_all_is_not_found(client):
    assert client.get("/board").status_code == 404


def test_every_view_renders(client, seeded):
    for view in board.VIEWS:
        response = client.get(f"/board/xingfu/standings?view={view}")
        assert response.status_code == 200, view
    windows = client.get("/board/xingfu/standings?view=windows").get_data(as_text=True)
    assert "1号窗口" in windows and "综合受理" in windows


def test_the_disclosure_page_shows_the_month_and_nothing_personal(client, seeded):
    bad = db.session.get(type(seeded.windows[0]), seeded.windows[0].id)
    db.session.add(
        Complaint(
            hall_id=seeded.hall.id,
            window_id=bad.id,
            staff_id=seeded.staff[0].id,
            text="窗口人员玩手机，态度很差",
            contact_phone="13912345678",
            status="followed_up",
            is_valid=True,
            created_at=NOW - timedelta(days=2),
            rectify_due_at=NOW,
            rectified_at=NOW - timedelta(days=1),
            followup_due_at=NOW + timedelta(days=1),
            followed_up_at=NOW - timedelta(hours=1),
        )
    )
    db.session.commit()
    html = client.get("/public/xingfu?month=2026-05").get_data(as_text=True)
    assert "2026年5月 评价结果及整改情况公开" in html
    assert "窗口满意度排名" in html and "1号窗口" in html
    figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "评价总数 25 满意率 100.0% 差评数 0" in figures
    assert "1 1 1 1 1 1" in figures  # filed, valid, rectified (on time), followed up (on time)
    assert "13912345678" not in html and "912345678" not in html
    assert "玩手机" not in html
    assert not re.search(r"1[3-9]\d{9}", html)


def test_api_returns_the_board_as_json(client, seeded):
    response = client.get("/api/v1/board?hall=xingfu&period=month")
    assert response.status_code == 200
    data = response.get_json()
    assert data["hall"] == "xingfu" and data["period"] == "month"
    assert data["entries"][0] == {
        "rank": 1,
        "staff_no": "XF001",
        "name": "王芳",
        "window": 1,
        "score": 99.27,
        "raw_mean": 100.0,
        "ratings": 12,
    }
    assert [(e["rank"], e["staff_no"]) for e in data["entries"]] == [
        (1, "XF001"),
        (2, "XF002"),
        (None, "XF003"),
        (None, "XF004"),
    ]


@pytest.mark.parametrize(
    "query, status",
    [
        ("", 400),
        ("?period=month", 400),
        ("?hall=xingfu&period=week", 400),
        ("?hall=xingfu&period=windows", 400),
        ("?hall=nowhere&period=month", 404),
    ],
)
def test_api_rejects_bad_parameters_with_json(client, seeded, query, status):
    response = client.get(f"/api/v1/board{query}")
    assert response.status_code == status
    assert response.is_json and response.get_json()["status"] == status


def test_a_new_hall_without_ratings_shows_an_empty_but_whole_board(app, client, hall, staff):
    app.config["CLOCK"] = lambda: NOW
    html = client.get("/board/xingfu").get_data(as_text=True)
    assert "暂无足够评价参与排名" in html
    assert "今天还没有评价" in html
    assert "王芳" in html  # listed under 评价数不足 with 0 ratings
    assert client.get("/public/xingfu").status_code == 200


def test_the_board_says_how_many_of_todays_ratings_wait_for_review(client, seeded):
    from kiosk.services import ratings

    html = client.get("/board/xingfu/standings?view=today").get_data(as_text=True)
    assert "待审核" not in html
    for n in range(2):
        ratings.change_ratings_status(
            [ratings.find_rating_by_key(f"seed-1-{n:03d}")], "quarantined"
        )
    db.session.commit()
    html = client.get("/board/xingfu/standings?view=today").get_data(as_text=True)
    assert "另有 2 条待审核，暂不计入" in html
    assert re.search(r"今日评价</span>\s*<span class=\"kpi-value\">23<", html)


def test_staff_rows_show_todays_window_or_nothing(client, seeded):
    html = client.get("/board/xingfu/standings?view=month").get_data(as_text=True)
    windows = re.findall(r'<span class="b-window">([^<]*)</span>', html)
    assert windows[:2] == ["1号窗口", "2号窗口"]
    assert "—" not in windows


def test_the_lower_panel_shows_the_week_and_the_months_complaints(client, seeded):
    html = client.get("/board/xingfu/standings?view=month").get_data(as_text=True)
    assert html.count('class="trend-day') == 7
    assert "近7日满意率" in html and "今日" in html and "本月投诉按时办结" in html
    assert "本月已办结 0 件，按时 0 件" in html


def test_dates_follow_the_pages_language(client, seeded):
    html = client.get("/board/xingfu?view=month").get_data(as_text=True)
    assert '<span class="board-date">2026年5月12日</span>' in html
    assert "2026年5月1日 – 2026年5月12日" in html
    client.set_cookie("lang", "en")
    html = client.get("/board/xingfu?view=month").get_data(as_text=True)
    assert '<span class="board-date">May 12, 2026</span>' in html
    assert "May 1, 2026 – May 12, 2026" in html

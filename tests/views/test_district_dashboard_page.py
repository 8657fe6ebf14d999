"""The district dashboard page (/district/<slug>/dashboard): who may open it, and what it shows."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, Window
from tests.conftest import hall_time
from tests.helpers import give_rating
from tests.views.test_district_pages import ROLES, _sign_in

NOW = hall_time(2026, 11, 20, 16)

# Its own district's admins and assessors open it; another district's is hidden from them
# (404), as every district page is; everyone else, residents' representatives included, 403.
OWN = {"anonymous": 302, "district_admin": 200, "district_assessor": 200}
OTHER = {"anonymous": 302, "district_admin": 404, "district_assessor": 404}


@pytest.fixture
def world(hall, make_hall, make_district, make_window):  # type: ignore[no-untyped-def]
    """District fuxing holds the hall (xingfu) and anle; heping holds xinhe."""
    own = make_district(slug="fuxing", name="复兴街道")
    other = make_district(slug="heping", name="和平街道")
    hall.district = own
    second = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    foreign = make_hall(slug="xinhe", name="新河社区便民服务站", district=other)
    make_window(number=7)
    make_window(hall=second, number=1)
    make_window(hall=foreign, number=1)
    db.session.commit()
    return {"own": own, "other": other, "second": second, "foreign": foreign}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_districts_admins_and_assessors_open_its_dashboard(
    client, make_user, world, staff, role
):
    _sign_in(client, make_user, world, role, staff)
    own = client.get(f"/district/{world['own'].slug}/dashboard")
    other = client.get(f"/district/{world['other'].slug}/dashboard")
    assert (own.status_code, other.status_code) == (OWN.get(role, 403), OTHER.get(role, 403))
    if role == "anonymous":
        assert own.headers["Location"].startswith("/auth/login")
    if role == "resident_rep":  # nothing of it shows through the refusal
        assert "站点看板" not in own.get_data(as_text=True)


def _rate(window: Window, levels: list[int], prefix: str) -> None:
    for n, level in enumerate(levels):
        at = NOW - timedelta(hours=1 + n)
        give_rating(window, level, f"dash-{prefix}-{n:03d}", channel="qr", now=at)


@pytest.fixture
def rated(world, hall, set_clock):  # type: ignore[no-untyped-def]
    """This month: the hall 5, 4, 2, 1 (a half 差评) and an overdue complaint; anle 5, 3."""
    set_clock(NOW)
    own_window, anle_window, foreign_window = (
        db.session.scalar(select(Window).where(Window.hall_id == station.id))
        for station in (hall, world["second"], world["foreign"])
    )
    _rate(own_window, [5, 4, 2, 1], "own")
    _rate(anle_window, [5, 3], "anle")
    _rate(foreign_window, [1, 1, 1], "foreign")
    db.session.add(
        Complaint(
            hall_id=hall.id, text="久等", status="new", verify_due_at=NOW - timedelta(hours=2)
        )
    )
    db.session.commit()
    return world


def _row(page: str, slug: str) -> list[str]:
    """Return the texts of the cells of the station's row, tags stripped."""
    match = re.search(rf'<tr data-station="{slug}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {slug}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


@pytest.mark.parametrize("role", ["district_admin", "district_assessor"])
def test_the_dashboard_shows_each_station_with_its_figures(client, make_user, rated, role):
    _sign_in(client, make_user, rated, role)
    page = client.get(f"/district/{rated['own'].slug}/dashboard").get_data(as_text=True)
    # (100 + 80 + 20 + 0) / 4 = 50; two of four are 差评; one complaint overdue, none closed.
    assert _row(page, "xingfu") == [
        "幸福社区便民服务中心", "4", "50.0", "50.0%", "—", "1", "暂无考核轮次"
    ]  # fmt: skip
    assert _row(page, "anle") == [
        "安乐社区便民服务站",
        "2",
        "80.0",
        "0.0%",
        "—",
        "0",
        "暂无考核轮次",
    ]
    assert "新河社区便民服务站" not in page  # another district's station
    assert page.count("<svg") == 2 and "近12个月满意度" in page
    assert '<strong aria-current="page">本月至今</strong>' in page


def test_a_station_without_any_rating_shows_dashes(client, make_user, world):
    _sign_in(client, make_user, world, "district_assessor")
    page = client.get(f"/district/{world['own'].slug}/dashboard").get_data(as_text=True)
    assert _row(page, "anle") == ["安乐社区便民服务站", "0", "—", "—", "—", "0", "暂无考核轮次"]
    assert "这段时间没有计入统计的评价。" in page


def test_each_range_is_offered_and_an_unknown_one_is_a_bad_request(client, make_user, rated):
    _sign_in(client, make_user, rated, "district_admin")
    url = f"/district/{rated['own'].slug}/dashboard"
    for key, label in (("30d", "近30天"), ("quarter", "本季度至今"), ("year", "本年度至今")):
        page = client.get(f"{url}?range={key}").get_data(as_text=True)
        assert f'<strong aria-current="page">{label}</strong>' in page
        assert _row(page, "xingfu")[1] == "4"
    assert f'href="{url}?range=year"' in client.get(url).get_data(as_text=True)
    for bad in ("week", "MONTH", "day", "month%00"):
        assert client.get(f"{url}?range={bad}").status_code == 400


def test_the_district_nav_links_the_dashboard_for_admins_and_assessors_only(app, make_user, world):
    link = f'href="/district/{world["own"].slug}/dashboard"'
    pages = {
        "district_admin": f"/district/{world['own'].slug}/",
        "district_assessor": f"/district/{world['own'].slug}/",
        "resident_rep": f"/district/{world['own'].slug}/invitations",
    }
    shown = {}
    for role, url in pages.items():
        client = app.test_client()
        _sign_in(client, make_user, world, role)
        shown[role] = link in client.get(url).get_data(as_text=True)
    assert shown == {"district_admin": True, "district_assessor": True, "resident_rep": False}


def test_the_dashboard_is_in_english_when_asked(client, make_user, rated):
    _sign_in(client, make_user, rated, "district_admin")
    client.set_cookie("lang", "en")
    page = client.get(f"/district/{rated['own'].slug}/dashboard").get_data(as_text=True)
    assert "暂无考核轮次" not in page and "站点看板" not in page
    assert "No assessment round yet" in page and "Stations dashboard" in page
    assert "This month so far" in page

"""A newcomer's first hour, on the demo data at the machine's own time, whatever the hour.

`flask --app kiosk demo` runs against the live server's database with the real clock (nothing
here fakes it): a tap on window 1's phone page is on the hall board within two seconds, in the
supervisor's ratings log, and in the database as the clerk on duty's counted rating; a kiosk
paired from the link the demo printed takes a rating too.
"""

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Hall, Rating, Staff, User, Window
from kiosk.services.demo import HALL_SLUG
from kiosk.services.duty import staff_on_duty
from tests.browser.device_support import LANDSCAPE, wait_until

SUPERVISOR_PASSWORD = "newcomer-supervisor-pass"


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    # As in production: a tap outside the hall's opening hours would be held for review, so
    # this test fails if the demo hall's hours do not cover the moment it runs.
    return {**live_app_config, "STUFFING_FLAG_OFF_HOURS": True}


@pytest.fixture
def demo_printout(live_server: Any) -> str:
    """Run the demo command against the live server's database; return what it printed."""
    assert "CLOCK" not in live_server.app.config  # the machine's clock, never a fake one
    with live_server.app.app_context():
        result = live_server.app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        # The printed one-time passwords are random; give the supervisor a known one.
        supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
        supervisor.set_password(SUPERVISOR_PASSWORD)
        db.session.commit()
    return result.output


def printed_url(printout: str, label: str) -> str:
    match = re.search(rf"^  {label} +(http\S+)$", printout, re.M)
    assert match, f"the demo printed no {label!r} line:\n{printout}"
    return match.group(1)


def today_count(board: Any) -> int:
    kpi = board.locator(".kpi", has_text="今日评价").first.locator(".kpi-value")
    return int(kpi.inner_text().strip())


def newest_rating(app: Any, channel: str) -> tuple[Rating, int | None]:
    """Return the newest rating of a channel at window 1, with who was on duty at its time."""
    with app.app_context():
        rating = db.session.scalar(
            select(Rating)
            .join(Window, Rating.window_id == Window.id)
            .join(Hall, Window.hall_id == Hall.id)
            .where(Hall.slug == HALL_SLUG, Window.number == 1, Rating.channel == channel)
            .order_by(Rating.id.desc())
        )
        assert rating is not None
        on_duty = staff_on_duty(rating.window_id, rating.created_at)
        db.session.expunge(rating)
        return rating, on_duty.id if on_duty else None


def test_a_newcomer_taps_on_the_demo_and_sees_it_everywhere_at_any_hour(
    live_server, demo_printout, new_page, artifacts
):
    base = live_server.url
    assert printed_url(demo_printout, "staff area") == f"{base}/staff/"
    with live_server.app.app_context():
        started = clock.now()

    board = new_page(width=1920, height=1080)
    board.goto(f"{base}/board/{HALL_SLUG}?view=today")
    board.locator("[data-board-fragment]").wait_for()
    before = today_count(board)

    phone = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    phone.goto(printed_url(demo_printout, "rate window 1"))
    expect(phone.locator("body")).not_to_contain_text("暂无人员在岗")
    phone.get_by_role("button", name="非常满意").click()
    phone.wait_for_url(re.compile(r"/thanks/"))

    # The board polls itself (every second for the demo hall): the tap is on it within 2 s.
    expect(board.locator(".kpi", has_text="今日评价").first.locator(".kpi-value")).to_have_text(
        str(before + 1), timeout=2_000
    )
    board.screenshot(path=str(artifacts / "newcomer-board.png"))

    rating, on_duty = newest_rating(live_server.app, "qr")
    assert rating.created_at >= started and rating.level == 5
    assert rating.status == "counted" and rating.flags == []  # not held as off-hours
    assert rating.staff_id is not None and rating.staff_id == on_duty

    staff = new_page()
    staff.goto(f"{base}/auth/login")
    staff.get_by_label("用户名").fill("supervisor")
    staff.get_by_label("密码").fill(SUPERVISOR_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.get_by_role("heading", name="工作台").wait_for()
    staff.goto(f"{base}/staff/ratings/?channel=qr")
    with live_server.app.app_context():
        clerk = db.session.get(Staff, rating.staff_id).name
        local = clock.to_local(rating.created_at)  # the log shows dates in the page's language
        tapped = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    newest = staff.locator("table.data tbody tr").first
    expect(newest).to_contain_text(tapped)
    expect(newest).to_contain_text("1号窗口")
    expect(newest).to_contain_text(clerk)
    expect(newest).to_contain_text("非常满意")

    # A kiosk paired from the printed link, with no code typed, takes a rating for window 1.
    tablet = new_page(*LANDSCAPE, has_touch=True)
    tablet.goto(printed_url(demo_printout, "kiosk"))
    tablet.wait_for_url(f"{base}/kiosk")
    tablet.locator("#device-app[data-screen]").wait_for()
    tablet.get_by_role("button", name=re.compile(r"^1号窗口")).click()
    tablet.get_by_role("button", name="满意", exact=True).click()
    expect(tablet.locator("#device-app")).to_have_attribute("data-screen", "thanks")
    tablet.screenshot(path=str(artifacts / "newcomer-kiosk.png"))

    wait_until(lambda: newest_rating(live_server.app, "kiosk")[0].created_at >= started)
    kiosk_rating, on_duty = newest_rating(live_server.app, "kiosk")
    assert kiosk_rating.level == 4 and kiosk_rating.status == "counted"
    assert kiosk_rating.staff_id is not None and kiosk_rating.staff_id == on_duty
    expect(board.locator(".kpi", has_text="今日评价").first.locator(".kpi-value")).to_have_text(
        str(before + 2), timeout=2_000
    )

    # The printed link worked once: opened again, it pairs nothing.
    other = new_page(*LANDSCAPE)
    other.goto(printed_url(demo_printout, "kiosk"))
    other.get_by_text("配对码无效或已过期").wait_for()

"""The hall kiosk in a real browser: pairing, the full rating flow, resets, PIN exit, a day idle."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, Duty
from kiosk.models._types import utcnow
from tests.browser.device_support import (
    LANDSCAPE,
    PORTRAIT,
    axe_violations,
    count_ratings,
    create_device,
    pair,
    paired_page,
    seed_hall,
    shot,
    small_targets,
    stored_ratings,
    wait_until,
)


@pytest.fixture
def seed(live_server):  # type: ignore[no-untyped-def]
    return seed_hall(live_server.app)


def screen(page):  # type: ignore[no-untyped-def]
    return page.locator("#device-app").get_attribute("data-screen")


def open_window_three(page):  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="3号窗口 社保医保").click()
    page.get_by_role("heading", name="请对本次服务进行评价").wait_for()


def test_admin_pairs_a_kiosk_through_the_staff_pages(live_server, new_page, seed, artifacts):
    from kiosk.models import User

    with live_server.app.app_context():
        admin = User(username="admin", role="admin", hall_id=seed.hall_id)
        admin.set_password("correct horse battery")
        db.session.add(admin)
        db.session.commit()
    staff_page = new_page()
    staff_page.goto(f"{live_server.url}/auth/login")
    staff_page.get_by_label("用户名").fill("admin")
    staff_page.get_by_label("密码").fill("correct horse battery")
    staff_page.get_by_role("button", name="登录").click()
    staff_page.get_by_role("link", name="评价设备").click()
    staff_page.get_by_label("名称").fill("大厅东门终端")
    staff_page.get_by_role("button", name="新建并生成配对码").click()
    code = staff_page.get_by_test_id("pairing-code").inner_text()
    shot(staff_page, artifacts, "staff-device-code")

    tablet = new_page(*LANDSCAPE, has_touch=True)
    tablet.goto(f"{live_server.url}/kiosk")
    shot(tablet, artifacts, "kiosk-pairing")
    pair(tablet, live_server.url, code)
    tablet.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()
    cards = tablet.locator(".window-card")
    assert cards.count() == 3
    assert "王芳" in cards.nth(2).inner_text() and "暂无人员在岗" in cards.nth(0).inner_text()

    # The same code cannot pair a second tablet.
    other = new_page(*LANDSCAPE)
    other.goto(f"{live_server.url}/kiosk")
    other.get_by_label("配对码").fill(code)
    other.get_by_role("button", name="配对").click()
    other.get_by_text("配对码无效或已过期").wait_for()


def test_resident_rates_complains_on_the_keyboard_and_the_kiosk_resets(
    live_server, new_page, seed, artifacts
):
    page = paired_page(live_server, new_page, seed, fake_clock=True, thanks_reset_seconds=8)
    open_window_three(page)
    assert "王芳" in page.locator(".rate-staff").inner_text()
    page.get_by_role("button", name="非常不满意").click()
    page.get_by_role("heading", name="很抱歉没能让您满意").wait_for()

    page.get_by_role("button", name="办事效率").click()
    page.get_by_role("button", name="等候时间太长").click()
    for key in ("，", "A", "B", "1"):
        page.locator(".keyboard:not([hidden])").get_by_role("button", name=key, exact=True).click()
    page.get_by_role("button", name="退格").first.click()
    page.get_by_label("回访电话（选填）").click()
    for digit in "13912345678":
        page.locator(".keypad:visible").get_by_role("button", name=digit, exact=True).click()
    assert page.get_by_label("具体情况（选填，最多500字）").input_value() == "等候时间太长，AB"
    shot(page, artifacts, "kiosk-complaint")
    stored = page.evaluate(
        "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert "等候" not in stored and "13912345678" not in stored

    page.get_by_role("button", name="提交意见").click()
    page.get_by_text("我们已收到您的意见").wait_for()
    assert screen(page) == "thanks"
    shot(page, artifacts, "kiosk-thanks")

    page.clock.fast_forward(7_000)
    assert screen(page) == "thanks"
    page.clock.fast_forward(1_500)
    page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()
    assert page.get_by_label("具体情况（选填，最多500字）").input_value() == ""

    (rating,) = stored_ratings(live_server.app)
    assert (rating.level, rating.channel, rating.staff_id) == (1, "kiosk", seed.staff_id)
    with live_server.app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.reason_tags == ["efficiency"]
        assert complaint.text == "等候时间太长，AB" and complaint.contact_phone == "13912345678"


def test_typing_keeps_the_kiosk_awake_and_silence_resets_it(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed, fake_clock=True, idle_reset_seconds=45)
    open_window_three(page)
    page.get_by_role("button", name="不满意", exact=True).click()
    keyboard = page.locator(".keyboard:not([hidden])")
    for letter in "ABCD":  # a key every 30 s: two minutes in all, longer than the idle limit
        page.clock.fast_forward(30_000)
        keyboard.get_by_role("button", name=letter, exact=True).click()
    assert screen(page) == "complaint"
    assert page.get_by_label("具体情况（选填，最多500字）").input_value() == "ABCD"

    page.clock.fast_forward(44_000)
    assert screen(page) == "complaint"
    page.clock.fast_forward(2_000)
    page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()
    assert page.get_by_label("具体情况（选填，最多500字）").input_value() == ""
    assert count_ratings(live_server.app, level=2) == 1  # the rating itself was kept


def test_an_idle_rating_screen_returns_to_the_start(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed, fake_clock=True, idle_reset_seconds=45)
    open_window_three(page)
    page.clock.fast_forward(46_000)
    page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()
    assert count_ratings(live_server.app) == 0


def test_taps_during_the_cooldown_are_ignored(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed, cooldown_seconds=30)
    open_window_three(page)
    page.get_by_role("button", name="满意", exact=True).click()
    page.get_by_role("button", name="返回首页").click()
    open_window_three(page)
    page.get_by_role("button", name="非常满意").click()
    page.get_by_text("请稍候片刻再评价").wait_for()
    assert screen(page) == "rate"
    wait_until(lambda: count_ratings(live_server.app) == 1)
    assert count_ratings(live_server.app, level=5) == 0


def test_staff_leave_the_kiosk_only_with_the_pin(live_server, new_page, seed, artifacts):
    page = paired_page(live_server, new_page, seed, pin="2468")
    assert page.locator("a").count() == 0  # no way out but the PIN
    page.get_by_role("button", name="工作人员").click()
    dialog = page.get_by_role("dialog")
    for digit in "1111":
        dialog.get_by_role("button", name=digit, exact=True).click()
    dialog.get_by_role("button", name="确定").click()
    dialog.get_by_text("密码不正确").wait_for()
    shot(page, artifacts, "kiosk-pin")
    for digit in "2468":
        dialog.get_by_role("button", name=digit, exact=True).click()
    dialog.get_by_role("button", name="确定").click()
    page.get_by_role("heading", name="设备维护").wait_for()
    page.get_by_role("link", name="返回评价界面").click()
    page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()


def test_a_kiosk_left_open_for_a_day_records_the_next_tap(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed, fake_clock=True)
    live_server.app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=24, minutes=5)
    page.clock.fast_forward("24:05:00")
    open_window_three(page)
    page.get_by_role("button", name="基本满意").click()
    page.get_by_text("感谢您的评价").wait_for()
    wait_until(lambda: count_ratings(live_server.app) == 1)
    (rating,) = stored_ratings(live_server.app)
    assert rating.level == 3 and rating.status == "counted"
    assert rating.created_at > utcnow() + timedelta(hours=24)
    # The indicator clears once the browser has the server's answer, just after the row lands.
    expect(page.locator(".queue-indicator")).to_be_hidden()


def end_duty_at_window_three(app, seed):  # type: ignore[no-untyped-def]
    with app.app_context():
        duty = db.session.scalars(select(Duty).where(Duty.window_id == seed.window_ids[2])).one()
        duty.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def test_the_window_cards_follow_the_duty_roster(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed, fake_clock=True)
    card = page.get_by_role("button", name="3号窗口 社保医保")
    expect(card).to_contain_text("王芳")
    end_duty_at_window_three(live_server.app, seed)
    page.clock.run_for(61_000)  # the cards are refreshed every minute while nobody uses them
    expect(card).to_contain_text("暂无人员在岗")


def test_a_tap_is_not_lost_when_the_cards_refresh_under_the_finger(live_server, new_page, seed):
    _device_id, code = create_device(live_server.app, seed)
    # No service worker, so that the test can hold back the refresh on its way.
    page = new_page(has_touch=True, service_workers="block")
    page.clock.install()
    pair(page, live_server.url, code)
    page.locator("#device-app[data-screen]").wait_for()
    held = []
    page.route("**/kiosk/windows", lambda route: held.append(route))
    page.clock.run_for(61_000)
    for _ in range(200):  # Playwright hands the request to the route while it waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the minute's refresh of the cards was not requested"
    end_duty_at_window_three(live_server.app, seed)  # the refreshed cards differ
    box = page.get_by_role("button", name="3号窗口 社保医保").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()  # the finger is on the card ...
    with page.expect_event("requestfinished", lambda done: "/kiosk/windows" in done.url):
        held[0].continue_()  # ... when the new cards arrive
    for _ in range(3):  # and the page has had its turns with them
        page.evaluate("() => new Promise((done) => queueMicrotask(done))")
    page.mouse.up()
    page.get_by_role("heading", name="请对本次服务进行评价").wait_for()
    assert page.locator(".rate-window").inner_text() == "3号窗口 社保医保"


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_every_kiosk_screen_is_accessible_and_big_enough_to_touch(
    live_server, new_page, seed, artifacts, size
):
    page = paired_page(live_server, new_page, seed, size=size, pin="2468", inject_scripts=True)
    problems = {}

    def check(name):  # type: ignore[no-untyped-def]
        shot(page, artifacts, f"kiosk-{name}")
        problems[name] = {"axe": axe_violations(page), "small": small_targets(page)}

    check("start")
    open_window_three(page)
    check("rate")
    page.get_by_role("button", name="非常不满意").click()
    page.get_by_role("heading", name="很抱歉没能让您满意").wait_for()
    check("complaint")
    page.get_by_label("回访电话（选填）").click()
    check("complaint-phone")
    page.get_by_role("button", name="不用了，完成").click()
    page.get_by_text("感谢您的评价").wait_for()
    check("thanks")
    page.get_by_role("button", name="返回首页").click()
    page.get_by_role("button", name="工作人员").click()
    check("pin")
    assert problems == {name: {"axe": [], "small": []} for name in problems}
    # No horizontal scrolling: nothing needs zooming out.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_second_kiosk_tab_needs_pairing_of_its_own(live_server, new_page, seed):
    _device_id, _code = create_device(live_server.app, seed)
    page = new_page()
    page.goto(f"{live_server.url}/kiosk")
    expect(page.get_by_label("配对码")).to_be_visible()
    response = page.request.post(
        f"{live_server.url}/api/v1/ratings",
        data={"key": "unpaired-tab-1", "level": 5, "window_id": seed.window_ids[0]},
    )
    assert response.status == 401


def test_complaint_text_also_takes_the_tablets_own_chinese_keyboard(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed)
    open_window_three(page)
    page.get_by_role("button", name="不满意", exact=True).click()
    text = page.get_by_label("具体情况（选填，最多500字）")
    text.click()
    page.keyboard.insert_text("材料清单没有一次说清楚")  # what a pinyin or handwriting IME sends
    page.locator(".key-phrase").first.click()
    assert text.input_value().startswith("材料清单没有一次说清楚")
    assert len(text.input_value()) > len("材料清单没有一次说清楚")


def add_windows(app, seed, up_to: int) -> None:  # type: ignore[no-untyped-def]
    """Open windows 4 … up_to in the seeded hall, as a larger hall has them."""
    from kiosk.models import Window

    with app.app_context():
        db.session.add_all(
            Window(hall_id=seed.hall_id, number=n, name=f"综合窗口{n}") for n in range(4, up_to + 1)
        )
        db.session.commit()


NO_SCROLL_JS = """
() => {
  const root = document.documentElement, cards = [...document.querySelectorAll('.window-card')];
  const low = Math.max(...cards.map(card => card.getBoundingClientRect().bottom));
  const cut = cards.filter(card => card.scrollHeight > card.clientHeight + 1).length;
  return {scroll: root.scrollHeight - window.innerHeight, bottom: low - window.innerHeight, cut,
          shortest: Math.min(...cards.map(card => card.getBoundingClientRect().height))};
}
"""


@pytest.mark.parametrize("windows", [8, 12, 16])
def test_the_window_grid_fits_a_1280_by_800_tablet_without_scrolling(
    live_server, new_page, seed, artifacts, windows
):
    add_windows(live_server.app, seed, windows)
    page = paired_page(live_server, new_page, seed)
    assert page.locator(".window-card").count() == windows
    fit = page.evaluate(NO_SCROLL_JS)
    assert fit["scroll"] <= 0 and fit["bottom"] <= 0, fit  # every card on the screen
    assert fit["cut"] == 0, fit  # no card's text cut off
    assert fit["shortest"] >= 120, fit  # still big enough to touch
    # The cards fill the screen rather than leaving its lower half empty.
    last = page.locator(".window-card").last.bounding_box()
    assert last is not None and last["y"] + last["height"] > 800 - 60
    shot(page, artifacts, f"kiosk-grid-{windows}-windows")

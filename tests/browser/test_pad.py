"""The window pad in a real browser: armed by 办结·邀请评价, one rating per service, phone QR."""

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import ServiceInvitation
from tests.browser.device_support import (
    LANDSCAPE,
    PORTRAIT,
    STAFF_PASSWORD,
    axe_violations,
    count_ratings,
    paired_page,
    seed_hall,
    shot,
    small_targets,
    stored_ratings,
    wait_until,
)


@pytest.fixture
def live_app_config(tmp_path: Path) -> dict[str, Any]:
    """The live server's settings, with the pad polling every second to keep tests short."""
    return {
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "PAD_POLL_SECONDS": 1,
    }


@pytest.fixture
def seed(live_server):  # type: ignore[no-untyped-def]
    return seed_hall(live_server.app)


def console(live_server, new_page):  # type: ignore[no-untyped-def]
    """Sign the clerk in on their PC and at window 3; return the console page."""
    page = new_page()
    page.goto(f"{live_server.url}/auth/login?next=/staff/console")
    page.get_by_label("用户名").fill("wangfang")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("窗口").select_option(label="3 · 社保医保")
    page.get_by_role("button", name="在此窗口签到").click()
    page.get_by_text("当前在岗：3号窗口 社保医保").wait_for()
    return page


def invite(console_page) -> None:  # type: ignore[no-untyped-def]
    console_page.get_by_role("button", name="办结·邀请评价").click()
    console_page.get_by_text("等待居民评价").wait_for()


def faces(pad):  # type: ignore[no-untyped-def]
    return pad.locator(".face-button:visible")


def test_the_invite_button_arms_the_pad_for_exactly_one_rating(
    live_server, new_page, seed, artifacts
):
    pad = paired_page(live_server, new_page, seed, kind="pad")
    pad.get_by_role("heading", name="您好，欢迎办理业务").wait_for()
    assert faces(pad).count() == 0  # nothing to rate before the clerk invites
    clerk = console(live_server, new_page)
    shot(clerk, artifacts, "console-signed-in")
    invite(clerk)

    pad.get_by_role("heading", name="请对本次服务进行评价").wait_for()
    assert "王芳" in pad.locator(".pad-staff").inner_text()
    assert faces(pad).count() == 5
    pad.get_by_role("button", name="非常满意").click()
    pad.get_by_text("感谢您的评价").wait_for()
    wait_until(lambda: count_ratings(live_server.app) == 1)
    (rating,) = stored_ratings(live_server.app)
    assert (rating.level, rating.channel, rating.verified) == (5, "pad", True)
    assert rating.staff_id == seed.staff_id

    # The same service cannot be rated twice: a second submit for it is refused.
    with live_server.app.app_context():
        token = db.session.scalar(select(ServiceInvitation.token))
    second = pad.request.post(
        f"{live_server.url}/api/v1/ratings",
        data={"key": "second-tap-0001", "level": 1, "invitation": token},
    )
    assert second.status == 409 and second.json()["error"] == "invitation_used"
    pad.get_by_role("button", name="返回首页").click()
    pad.get_by_role("heading", name="您好，欢迎办理业务").wait_for()
    assert faces(pad).count() == 0
    assert count_ratings(live_server.app) == 1

    clerk.reload()
    assert "已评价" in clerk.locator(".console-latest").inner_text()
    assert "邀请评价：1次" in clerk.locator(".console-counts").inner_text()


def read_qr(pad) -> str:  # type: ignore[no-untyped-def]
    import zxingcpp

    image = pad.locator(".invite-qr-img")
    image.wait_for()
    wait_until(lambda: pad.evaluate("() => document.querySelector('.invite-qr-img').complete"))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    assert found, "no QR code found on the pad"
    return found[0].text


def test_a_resident_rates_on_their_phone_with_the_pads_qr_and_the_pad_stands_down(
    live_server, new_page, seed, artifacts
):
    pad = paired_page(live_server, new_page, seed, kind="pad")
    invite(console(live_server, new_page))
    pad.get_by_role("heading", name="请对本次服务进行评价").wait_for()
    url = read_qr(pad)
    assert url.startswith(f"{live_server.url}/i/")

    phone = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    phone.goto(url)
    shot(phone, artifacts, "phone-invitation")
    phone.get_by_role("button", name="满意", exact=True).click()
    phone.get_by_text("感谢您的评价").wait_for()
    (rating,) = stored_ratings(live_server.app)
    assert (rating.level, rating.channel, rating.verified) == (4, "qr", True)

    # The pad notices the service was rated and goes back to waiting.
    pad.get_by_role("heading", name="您好，欢迎办理业务").wait_for()
    assert faces(pad).count() == 0
    # The QR cannot be used again.
    again = new_page(width=390, height=844, is_mobile=True)
    again.goto(url)
    again.get_by_text("本次服务已经评价过了").wait_for()
    assert count_ratings(live_server.app) == 1


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_pad_screens_are_accessible_and_big_enough_to_touch(
    live_server, new_page, seed, artifacts, size
):
    pad = paired_page(live_server, new_page, seed, kind="pad", size=size, inject_scripts=True)
    pad.get_by_role("heading", name="您好，欢迎办理业务").wait_for()
    shot(pad, artifacts, "pad-idle")
    idle = (axe_violations(pad), small_targets(pad))
    invite(console(live_server, new_page))
    pad.get_by_role("heading", name="请对本次服务进行评价").wait_for()
    wait_until(lambda: pad.evaluate("() => document.querySelector('.invite-qr-img').complete"))
    shot(pad, artifacts, "pad-armed")
    armed = (axe_violations(pad), small_targets(pad))
    assert (idle, armed) == (([], []), ([], []))
    assert pad.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

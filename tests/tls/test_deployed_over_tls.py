"""The core journeys in a real Chromium over real TLS, through the shipped nginx site.

Plain-HTTP tests cannot see what only HTTPS changes: Flask-WTF's strict Referer check on every
form, Secure cookies, HSTS, X-Forwarded-* trust. Each journey checks what the user sees and
then the rows gunicorn wrote, read through stack.app (the same SQLite file).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, ComplaintEvent, Device, Hall, Rating, User
from kiosk.models._types import utcnow
from kiosk.services.board import local_midnight, local_today
from tests.browser.device_support import LANDSCAPE, create_device, pair, wait_until
from tests.tls.conftest import (
    HOST,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    Chromium,
    TlsStack,
    https_post,
)

pytestmark = pytest.mark.browser

HSTS_MIN_AGE = 31_536_000  # a year, as deploy/nginx-kiosk.conf sends it


def hsts_max_age(value: str | None) -> int:
    match = re.search(r"max-age=(\d+)", value or "")
    return int(match[1]) if match else 0


def watch(page: Any) -> list[str]:
    """Collect every answer of 400 or more the page receives (a CSRF refusal is a 400)."""
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None
        ),
    )
    return failed


def assert_cookies_secure(page: Any, *names: str) -> None:
    """Every cookie the site set is Secure and httpOnly, and the named ones are among them."""
    cookies = {c["name"]: c for c in page.context.cookies() if c["domain"].lstrip(".") == HOST}
    assert set(names) <= set(cookies), sorted(cookies)
    for cookie in cookies.values():
        assert cookie["secure"], cookie["name"]
        assert cookie["httpOnly"], cookie["name"]


def last_id(stack: TlsStack, model: Any) -> int:
    with stack.app.app_context():
        return db.session.scalar(select(func.max(model.id))) or 0


def ratings_after(stack: TlsStack, after_id: int) -> list[Rating]:
    with stack.app.app_context():
        rows = list(db.session.scalars(select(Rating).where(Rating.id > after_id)))
        db.session.expunge_all()
        return rows


def complaint_row(stack: TlsStack, complaint_id: int) -> Complaint:
    with stack.app.app_context():
        row = db.session.get(Complaint, complaint_id)
        assert row is not None
        db.session.expunge(row)
        return row


def in_browser(chromium: Chromium, request: pytest.FixtureRequest) -> Callable[..., Any]:
    return lambda steps: chromium.run(steps, request.node.name)


def test_plain_http_is_redirected_to_https_with_the_path_kept(tls_stack: TlsStack) -> None:
    answer = tls_stack.http(f"/r/{tls_stack.token}?from=poster")
    assert answer.status == 301
    location = urlsplit(answer.headers["Location"])
    # The site file redirects to https://$host$request_uri: the standard port, which in this
    # test is not where nginx listens, so the redirect is checked, not followed.
    assert (location.scheme, location.hostname) == ("https", HOST)
    assert (location.path, location.query) == (f"/r/{tls_stack.token}", "from=poster")
    assert tls_stack.http("/auth/login").status == 301


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/r/{token}",
        "/auth/login",
        "/board/{slug}",
        "/static/css/site.css",
        "/no-such-page",
    ],
)
def test_every_https_answer_carries_hsts(tls_stack: TlsStack, path: str) -> None:
    answer = tls_stack.https(path.format(token=tls_stack.token, slug=tls_stack.hall_slug))
    assert answer.status in (200, 404), answer.status
    values = answer.headers.get_all("Strict-Transport-Security") or []
    assert len(values) == 1, values  # one header, whether nginx or the app answered
    assert hsts_max_age(values[0]) >= HSTS_MIN_AGE and "includeSubDomains" in values[0], values


def test_only_the_evidence_route_takes_a_body_larger_than_two_mib(tls_stack: TlsStack) -> None:
    """nginx stops a 3 MiB body at 2 MiB everywhere but at a round's evidence upload, which
    the app then answers itself (here: no session, so no valid CSRF token, a 400)."""
    body = b"file=" + b"0" * (3 * 1024 * 1024)
    elsewhere = https_post(tls_stack.https_port, "/auth/login", body)
    assert elsewhere.status == 413 and b"nginx" in elsewhere.body
    evidence = https_post(tls_stack.https_port, "/district/fuxing/rounds/1/score/1/evidence", body)
    assert evidence.status == 400, (evidence.status, evidence.body[:200])


def test_static_files_come_from_nginx_with_long_caching(tls_stack: TlsStack) -> None:
    answer = tls_stack.https("/static/css/site.css")
    assert answer.status == 200 and b"{" in answer.body
    assert "immutable" in answer.headers["Cache-Control"]
    assert "X-Request-ID" not in answer.headers  # nginx answered; the app sets one on its own


def resident_rates_badly_and_complains(stack: TlsStack, new_page: Callable[..., Any]) -> int:
    """Tap 非常不满意 on the phone page, file a complaint; return the complaint's id."""
    before = last_id(stack, Rating)
    page = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    failed = watch(page)
    opened = page.goto(f"{stack.url}/r/{stack.token}")
    assert opened.status == 200
    assert hsts_max_age(opened.header_value("strict-transport-security")) >= HSTS_MIN_AGE

    # The tap: a form POST with a CSRF token, which Flask-WTF refuses over HTTPS without a
    # same-origin Referer (the 400 of issue 23). It must end on the thank-you page.
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="非常不满意").click()
    assert posted.value.status < 400, posted.value.status
    assert (posted.value.request.header_value("referer") or "").startswith(stack.url)
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    (rating,) = ratings_after(stack, before)
    assert (rating.level, rating.channel, rating.status) == (1, "qr", "counted")
    assert (rating.window_id, rating.staff_id) == (
        stack.seed.window_ids[2],
        stack.seed.staff_id,
    )
    assert_cookies_secure(page, "hall_device")

    page.get_by_label("办事效率").check()
    page.get_by_label("具体情况（选填，最多500字）").fill("窗口说材料不全，但没说缺什么。")
    page.get_by_label("回访电话（选填）").fill("13912345678")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_text("我们已收到您的意见")).to_be_visible()
    with stack.app.app_context():
        complaint = db.session.scalars(
            select(Complaint).where(Complaint.rating_id == rating.id)
        ).one()
        assert (complaint.status, complaint.reason_tags) == ("new", ["efficiency"])
        assert complaint.contact_phone == "13912345678"
        assert complaint.staff_id == stack.seed.staff_id
        complaint_id = complaint.id
    assert failed == []
    return complaint_id


def supervisor_handles(stack: TlsStack, new_page: Callable[..., Any], complaint_id: int) -> None:
    """Sign in as the supervisor and take the complaint from 待核实 to 已办结."""
    page = new_page()
    failed = watch(page)
    page.goto(f"{stack.url}/auth/login")
    page.get_by_label("用户名").fill(SUPERVISOR)
    page.get_by_label("密码").fill(SUPERVISOR_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert_cookies_secure(page, "session")
    with stack.app.app_context():
        user = db.session.scalars(select(User).where(User.username == SUPERVISOR)).one()
        assert user.last_login_at is not None
        supervisor_id = user.id

    page.goto(f"{stack.url}/staff/complaints/")
    page.get_by_role("link", name=f"#{complaint_id}", exact=True).click()
    expect(page).to_have_url(f"{stack.url}/staff/complaints/{complaint_id}")

    def step(button: str, done: str, status: str) -> None:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_text(done)).to_be_visible()
        assert complaint_row(stack, complaint_id).status == status

    page.get_by_label("投诉有效").check()
    page.get_by_label("严重程度（有效时必选）").select_option("minor")
    page.get_by_label("核实意见").fill("调取监控核实：窗口未说明所缺材料，投诉属实。")
    step("提交核实结论", "已记录核实结论", "valid")
    row = complaint_row(stack, complaint_id)
    assert (row.is_valid, row.severity) == (True, "minor")
    step("开始整改", "已开始整改", "rectifying")
    page.get_by_label("整改情况").fill("窗口张贴材料清单，一次性告知所缺材料。")
    step("整改完成", "已记录整改情况", "rectified")
    page.get_by_label("满意", exact=True).check()
    step("保存回访", "已记录回访", "followed_up")
    step("办结", "投诉已办结", "closed")

    with stack.app.app_context():
        steps = db.session.execute(
            select(ComplaintEvent.action, ComplaintEvent.actor_id)
            .where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.id)
        ).all()
    handled = [(action, actor) for action, actor in steps if actor == supervisor_id]
    assert [action for action, _ in handled] == [
        "verified", "rectification_started", "rectified", "followed_up", "closed",
    ]  # fmt: skip
    assert failed == []


def test_a_resident_complains_over_https_and_a_supervisor_handles_it(
    tls_stack: TlsStack, chromium: Chromium, request: pytest.FixtureRequest
) -> None:
    run = in_browser(chromium, request)
    complaint_id = run(lambda new_page: resident_rates_badly_and_complains(tls_stack, new_page))
    run(lambda new_page: supervisor_handles(tls_stack, new_page, complaint_id))


def test_a_kiosk_pairs_and_takes_a_rating_over_https(
    tls_stack: TlsStack, chromium: Chromium, request: pytest.FixtureRequest
) -> None:
    stack = tls_stack
    device_id, code = create_device(stack.app, stack.seed)
    before = last_id(stack, Rating)

    def steps(new_page: Callable[..., Any]) -> None:
        page = new_page(*LANDSCAPE, has_touch=True)
        failed = watch(page)
        pair(page, stack.url, code)
        page.locator("#device-app[data-screen]").wait_for()
        expect(page.get_by_role("heading", name="请选择您刚才办理业务的窗口")).to_be_visible()
        assert_cookies_secure(page, "hall_device_credential")
        (credential,) = [c for c in page.context.cookies() if c["name"] == "hall_device_credential"]
        assert credential["sameSite"] == "Strict"
        with stack.app.app_context():
            device = db.session.get(Device, device_id)
            assert device is not None and device.paired_at is not None
            assert device.pairing_code_hash is None  # the code worked once
            assert (
                device.credential_hash == hashlib.sha256(credential["value"].encode()).hexdigest()
            )

        page.get_by_role("button", name="3号窗口 社保医保").click()
        expect(page.get_by_role("heading", name="请对本次服务进行评价")).to_be_visible()
        page.get_by_role("button", name="非常满意").click()
        expect(page.get_by_text("感谢您的评价")).to_be_visible()
        # The kiosk posts in the background (and queues offline); wait for the row, not a sleep.
        wait_until(lambda: len(ratings_after(stack, before)) == 1)
        (rating,) = ratings_after(stack, before)
        assert (rating.level, rating.channel, rating.status) == (5, "kiosk", "counted")
        assert (rating.window_id, rating.staff_id) == (
            stack.seed.window_ids[2],
            stack.seed.staff_id,
        )
        expect(page.locator(".queue-indicator")).to_be_hidden()
        assert failed == []

    in_browser(chromium, request)(steps)


def test_the_board_shows_what_the_database_counted_today(
    tls_stack: TlsStack, chromium: Chromium, request: pytest.FixtureRequest
) -> None:
    stack = tls_stack

    def counted_today() -> int:
        with stack.app.app_context():
            since = local_midnight(local_today(utcnow()))
            query = select(func.count(Rating.id)).where(
                Rating.hall_id == stack.seed.hall_id,
                Rating.status == "counted",
                Rating.created_at >= since,
            )
            return db.session.scalar(query) or 0

    def steps(new_page: Callable[..., Any]) -> None:
        before = last_id(stack, Rating)
        phone = new_page(width=390, height=844, is_mobile=True)
        phone.goto(f"{stack.url}/r/{stack.token}")
        phone.get_by_role("button", name="非常满意").click()
        expect(phone.get_by_text("感谢您的评价")).to_be_visible()
        (tap,) = ratings_after(stack, before)
        assert (tap.level, tap.status) == (5, "counted")

        page = new_page(width=1920, height=1080)
        failed = watch(page)
        static: list[Any] = []
        page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
        opened = page.goto(f"{stack.url}/board/{stack.hall_slug}")
        assert opened.status == 200
        assert hsts_max_age(opened.header_value("strict-transport-security")) >= HSTS_MIN_AGE
        page.locator("[data-board-fragment]").wait_for()
        with stack.app.app_context():
            hall = db.session.get(Hall, stack.seed.hall_id)
            assert hall is not None
            name = hall.name
        expect(page.get_by_text(name).first).to_be_visible()
        today = page.locator(".kpi").filter(has_text="今日评价").locator(".kpi-value")
        counted = counted_today()
        assert counted >= 1  # this test's own tap at least
        expect(today).to_have_text(str(counted))
        assert static and all(r.status == 200 for r in static), [(r.status, r.url) for r in static]
        assert failed == []

    in_browser(chromium, request)(steps)


def test_an_invited_service_is_rated_once_from_a_phone_over_https(
    tls_stack: TlsStack, chromium: Chromium, request: pytest.FixtureRequest
) -> None:
    """The pad's short-lived QR (/i/<token>): a CSRF-protected form too, one rating only."""
    from kiosk.models import ServiceInvitation, Staff, Window
    from kiosk.services import invitations

    stack = tls_stack
    with stack.app.app_context():
        clerk = db.session.get(Staff, stack.seed.staff_id)
        window = db.session.get(Window, stack.seed.window_ids[2])
        assert clerk is not None and window is not None
        invitations.sign_in(clerk, window, now=utcnow())
        token = invitations.mint_invitation(clerk, now=utcnow()).token
        db.session.commit()
    before = last_id(stack, Rating)

    def steps(new_page: Callable[..., Any]) -> None:
        page = new_page(390, 844, is_mobile=True, has_touch=True)
        failed = watch(page)
        page.goto(f"{stack.url}/i/{token}")
        page.get_by_role("button", name="满意", exact=True).click()
        expect(page.get_by_text("感谢您的评价")).to_be_visible()
        (rating,) = ratings_after(stack, before)
        assert (rating.level, rating.channel, rating.verified) == (4, "qr", True)
        assert rating.staff_id == stack.seed.staff_id
        with stack.app.app_context():
            used = db.session.scalar(
                select(ServiceInvitation).where(ServiceInvitation.token == token)
            )
            assert used is not None and used.rating_id == rating.id
        page.goto(f"{stack.url}/i/{token}")  # a second visit: already answered
        expect(page.get_by_text("本次服务已经评价过了")).to_be_visible()
        assert len(ratings_after(stack, before)) == 1
        assert failed == []

    in_browser(chromium, request)(steps)


def test_a_kiosk_replays_its_offline_taps_over_https(
    tls_stack: TlsStack, chromium: Chromium, request: pytest.FixtureRequest
) -> None:
    """Taps queued while the network is down reach the database once it is back."""
    stack = tls_stack
    _device_id, code = create_device(stack.app, stack.seed)
    before = last_id(stack, Rating)

    def steps(new_page: Callable[..., Any]) -> None:
        page = new_page(*LANDSCAPE, has_touch=True)
        pair(page, stack.url, code)
        page.locator("#device-app[data-screen]").wait_for()
        page.context.set_offline(True)
        page.get_by_role("button", name="3号窗口 社保医保").click()
        page.get_by_role("button", name="基本满意", exact=True).click()
        page.locator(".thanks-note", has_text="您的评价已保存在本机").wait_for()
        assert ratings_after(stack, before) == []
        page.context.set_offline(False)
        wait_until(lambda: len(ratings_after(stack, before)) == 1)
        (rating,) = ratings_after(stack, before)
        assert (rating.level, rating.channel) == (3, "kiosk")
        assert rating.received_at >= rating.created_at

    in_browser(chromium, request)(steps)

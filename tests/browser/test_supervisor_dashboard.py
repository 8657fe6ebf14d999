"""The supervisors' dashboard in a real browser: htmx polling brings in a new 差评 unasked."""

from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Hall, Rating, User, Window
from kiosk.models._types import utcnow
from kiosk.services.demo import create_demo
from tests.conftest import PASSWORDS
from tests.helpers import give_rating


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS["supervisor"])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台").wait_for()


def add_supervisor(hall: Hall) -> None:
    user = User(username="boss", role="supervisor", hall=hall)
    user.set_password(PASSWORDS["supervisor"])
    db.session.add(user)
    db.session.commit()


def hall_with_supervisor() -> Window:
    """Create a hall with one window and the supervisor "boss"; return the window."""
    hall = Hall(slug="xingfu", name="幸福社区便民服务中心")
    window = Window(hall=hall, number=2, name="社保医保")
    db.session.add_all([hall, window])
    db.session.commit()
    add_supervisor(hall)
    return window


def test_a_new_bad_rating_appears_on_the_dashboard_without_reloading(
    live_server, new_page, artifacts
):
    live_server.app.config["DASHBOARD_POLL_SECONDS"] = 1
    with live_server.app.app_context():
        token = hall_with_supervisor().qr_token

    supervisor = new_page()
    sign_in(supervisor, live_server.url, "boss")
    supervisor.goto(f"{live_server.url}/staff/dashboard")
    badge = supervisor.get_by_test_id("alert-badge")
    assert badge.inner_text() == "0"

    resident = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    resident.goto(f"{live_server.url}/r/{token}")
    resident.get_by_role("button", name="非常不满意").click()
    resident.get_by_text("感谢您的评价").wait_for()

    # No reload: the polled fragment replaces itself and shows the 差评 (Playwright polls
    # the condition with a deadline).
    supervisor.get_by_text("今日差评（1）").wait_for()
    assert supervisor.get_by_test_id("alert-badge").inner_text() == "1"
    supervisor.screenshot(path=str(artifacts / "dashboard-alert.png"), full_page=True)


def test_dashboard_chart_with_demo_data(live_server, new_page, artifacts):
    with live_server.app.app_context():
        hall = create_demo(utcnow(), clock.hall_zone()).hall
        db.session.commit()
        add_supervisor(hall)
    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/staff/dashboard")
    chart = page.locator("svg.line-chart")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150
    assert page.locator("svg.line-chart polyline").count() >= 1
    assert page.locator("svg.line-chart circle").count() > 30  # a dot per working day
    page.screenshot(path=str(artifacts / "dashboard-demo.png"), full_page=True)
    page.get_by_role("link", name="差评处理").click()
    page.get_by_role("heading", name="差评处理").wait_for()
    page.screenshot(path=str(artifacts / "complaint-queue.png"), full_page=True)
    page.locator("table.data tbody a").first.click()  # the newest complaint, still to verify
    page.get_by_role("button", name="提交核实结论").wait_for()
    page.screenshot(path=str(artifacts / "complaint-detail.png"), full_page=True)


def test_a_burst_is_cleared_from_the_review_queue_in_one_go(live_server, new_page, artifacts):
    with live_server.app.app_context():
        window = hall_with_supervisor()
        for n in range(30):
            give_rating(
                window, 5, f"burst-{n:04d}", channel="qr", now=utcnow(),
                status="quarantined", flags=["burst"],
            )  # fmt: skip
        db.session.commit()

    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.get_by_role("link", name="待审核评价").click()  # from the to-do list
    page.get_by_text("共 30 条待审核").wait_for()
    select_all = page.get_by_role("checkbox", name="全选")  # shown by select-all.js
    select_all.check()
    assert page.locator("input[name=rating]:checked").count() == 30
    page.locator("input[name=rating]").first.uncheck()
    assert select_all.evaluate("box => box.indeterminate")
    select_all.check()
    page.get_by_label("审核决定").select_option("exclude")
    page.get_by_label("审核理由").fill("同一分钟内连续刷评，经查监控为同一人")
    page.screenshot(path=str(artifacts / "review-queue.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已排除 30 条评价。").wait_for()
    page.get_by_text("目前没有待审核的评价。").wait_for()
    with live_server.app.app_context():
        statuses = db.session.scalars(select(Rating.status).distinct()).all()
    assert statuses == ["excluded"]


def test_a_complaint_under_appeal_offers_only_its_review(live_server, new_page, artifacts):
    with live_server.app.app_context():
        hall = create_demo(utcnow(), clock.hall_zone()).hall
        db.session.commit()
        add_supervisor(hall)  # not the deputy who verified the appealed complaint
    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/staff/complaints/?appeal=y")
    page.locator("table.data tbody a").first.click()
    page.get_by_role("button", name="提交复核结论").wait_for()
    steps = page.locator("section.action:not(#erase-contact) form")
    assert steps.count() == 1
    assert page.get_by_role("button", name="开始整改").count() == 0
    page.screenshot(path=str(artifacts / "complaint-under-appeal.png"), full_page=True)


def test_the_evaluation_page_opens_on_the_latest_period_with_results(
    live_server, new_page, artifacts
):
    from kiosk.services.periods import current_period

    with live_server.app.app_context():
        hall = create_demo(utcnow(), clock.hall_zone()).hall
        db.session.commit()
        add_supervisor(hall)
        assessed = current_period(clock.now(), "quarter")  # the demo assesses this quarter
    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.get_by_role("link", name="考核").first.click()
    page.wait_for_url(f"**/staff/evaluation/{assessed.code}/")
    # The picker's label, field and button sit on one line, centred on each other.
    centres = [
        (box["y"] + box["height"] / 2)
        for box in (
            page.locator(f".eval-period-form {selector}").bounding_box()
            for selector in ("label", "input", "button")
        )
        if box is not None
    ]
    assert len(centres) == 3 and max(centres) - min(centres) < 3, centres
    current = page.locator(".eval-quick a[aria-current]")
    assert current.count() == 1 and current.inner_text() == assessed.label
    page.screenshot(path=str(artifacts / "evaluation-latest-period.png"))


def test_a_rubric_sub_item_named_like_its_group_says_which_it_is(live_server, new_page, artifacts):
    from kiosk.models import Staff
    from kiosk.services.periods import current_period

    with live_server.app.app_context():
        hall = create_demo(utcnow(), clock.hall_zone()).hall
        db.session.commit()
        add_supervisor(hall)
        staff_id = db.session.scalar(select(Staff.id).where(Staff.staff_no == "XF002"))
        code = current_period(clock.now(), "quarter").code
    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/staff/evaluation/{code}/assess/supervisor/{staff_id}")
    group = page.locator("legend", has_text="服务质量（40）")
    assert group.count() == 1
    assert page.get_by_text("服务质量（细项）（0–20）").is_visible()
    page.screenshot(path=str(artifacts / "evaluation-rubric-labels.png"), full_page=True)

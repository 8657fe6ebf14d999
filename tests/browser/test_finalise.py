"""Finalising a period in a real browser: it cannot be undone, so the page asks first."""

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import EvaluationSnapshot
from kiosk.models._types import utcnow
from kiosk.services.periods import current_period
from tests.browser.test_supervisor_dashboard import hall_with_supervisor, sign_in


def snapshots(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count(EvaluationSnapshot.id))) or 0


def test_finalising_asks_first_and_a_no_leaves_the_period_open(live_server, new_page):
    app = live_server.app
    with app.app_context():
        hall_with_supervisor()
    with app.test_request_context():
        last_month = current_period(utcnow()).previous()  # over, so it may be finalised
    page = new_page()
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/staff/evaluation/{last_month.code}/report")

    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="定稿本期结果").click()
    page.wait_for_timeout(300)  # a dismissed dialog sends nothing; give a wrong submit time
    assert asked and "不能撤销" in asked[0] and last_month.label in asked[0]
    assert snapshots(app) == 0 and page.get_by_role("button", name="定稿本期结果").is_visible()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="定稿本期结果").click()
    page.get_by_text("的考核结果已定稿").wait_for()
    assert snapshots(app) == 1 and len(asked) == 2

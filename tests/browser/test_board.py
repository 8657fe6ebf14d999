"""The hall TV board in a real browser at 1920×1080, with the demo hall's data."""

import re
from typing import Any

import pytest

from kiosk import clock
from kiosk.extensions import db
from kiosk.services.demo import create_demo
from tests.conftest import hall_time

VIEWS = ("today", "month", "quarter", "year", "windows")

# Every element of the board must lie inside the screen, and no name or figure may be cut off.
OVERFLOW_JS = """
() => {
  const w = window.innerWidth, h = window.innerHeight, bad = [];
  const root = document.documentElement;
  if (root.scrollWidth > w || root.scrollHeight > h)
    bad.push(`page ${root.scrollWidth}x${root.scrollHeight}`);
  for (const el of document.querySelectorAll('.board-frame *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > w + 0.5 || r.bottom > h + 0.5 || r.left < -0.5 || r.top < -0.5)
      bad.push(`${el.className || el.tagName} at ${Math.round(r.right)},${Math.round(r.bottom)}`);
  }
  for (const el of document.querySelectorAll('.b-name, .b-score, .kpi-value, .board-hall, .b-rank'))
    if (el.scrollWidth > el.clientWidth + 1) bad.push(`cut: ${el.textContent.trim()}`);
  return bad;
}
"""


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    # Poll every second so the test sees several polls; rotate slowly so the view stays put.
    return {**live_app_config, "BOARD_POLL_SECONDS": 1, "BOARD_ROTATE_SECONDS": 3600}


@pytest.fixture
def demo_server(live_server):  # type: ignore[no-untyped-def]
    # A weekday late morning: the hall's busy hours, whenever the tests run. At the wall clock
    # the "today" view is empty before opening time, and the rotation's view depends on it.
    live_server.app.config["CLOCK"] = lambda: hall_time(2026, 11, 20, 11, 30)
    with live_server.app.app_context():
        create_demo(clock.now(), clock.hall_zone())
        db.session.commit()
    return live_server


def test_every_view_fits_a_1920_by_1080_screen(demo_server, new_page, artifacts):
    page = new_page(width=1920, height=1080)
    for view in VIEWS:
        page.goto(f"{demo_server.url}/board/xingfuli?view={view}")
        page.locator("[data-board-fragment]").wait_for()
        assert page.evaluate(OVERFLOW_JS) == [], view
        assert page.locator(".board-row").count() > 0 or view == "today"
        page.screenshot(path=str(artifacts / f"board-{view}.png"))


def test_board_keeps_the_last_standings_when_the_server_goes_away(demo_server, new_page, artifacts):
    page = new_page(width=1920, height=1080)
    errors: list[str] = []
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(message.text),
    )
    page.goto(f"{demo_server.url}/board")
    fragment = page.locator("[data-board-fragment]")
    fragment.wait_for()
    # Two polls in a row answer and replace the fragment: each reply re-armed the next one.
    for _ in range(2):
        with page.expect_response(re.compile(r"/board/xingfuli/standings\?")) as reply:
            pass
        assert reply.value.status == 200
    assert errors == []
    page.screenshot(path=str(artifacts / "board-tv.png"))
    names = page.locator(".board-row .b-name").all_inner_texts()
    assert names

    demo_server.stop()
    stale = page.locator("[data-board-stale]")
    stale.wait_for(state="visible")
    assert "连接中断" in stale.inner_text()
    assert page.locator(".board-row .b-name").all_inner_texts() == names
    page.screenshot(path=str(artifacts / "board-tv-offline.png"))

    demo_server.start()  # it recovers by itself: the next poll answers and the note goes
    stale.wait_for(state="hidden")
    assert page.locator(".board-row .b-name").all_inner_texts() == names


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_lower_half_shows_the_week_and_complaints_closed_on_time(
    demo_server, new_page, artifacts, width, height
):
    page = new_page(width=width, height=height)
    page.goto(f"{demo_server.url}/board/xingfuli?view=month")
    page.locator("[data-board-fragment]").wait_for()
    days = page.locator(".trend-day")
    assert days.count() == 7
    for at in range(7):
        assert days.nth(at).is_visible()
    assert days.last.locator(".trend-label").inner_text() == "今日"
    assert page.locator(".extra-complaints .extra-big").is_visible()
    assert page.evaluate(OVERFLOW_JS) == []
    # The panel fills what the standings leave: nothing large stays empty below it.
    panel = page.locator("[data-board-extra]").bounding_box()
    ticker = page.locator(".board-ticker").bounding_box()
    assert panel is not None and ticker is not None
    assert panel["height"] > height * 0.15
    assert ticker["y"] - (panel["y"] + panel["height"]) < height * 0.03
    # A clerk without a duty today has no window, not a dash that reads as missing data.
    assert "—" not in page.locator(".b-window").all_inner_texts()
    page.screenshot(path=str(artifacts / f"board-lower-half-{width}x{height}.png"))

"""The kiosk without a network: taps queue on the device and are stored exactly once later."""

import json
from datetime import timedelta
from itertools import pairwise

import pytest
from playwright.sync_api import expect

from tests.browser.device_support import (
    count_ratings,
    paired_page,
    seed_hall,
    shot,
    stored_ratings,
    wait_until,
)

QUEUE_KEY = "hallDevice.queue.v1"
LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


@pytest.fixture
def seed(live_server):  # type: ignore[no-untyped-def]
    return seed_hall(live_server.app)


def queue(page):  # type: ignore[no-untyped-def]
    return json.loads(page.evaluate(f"() => localStorage.getItem('{QUEUE_KEY}') || '[]'"))


def device_storage(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )


def tap(page, level: int) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="3号窗口 社保医保").click()
    page.get_by_role("button", name=LABELS[level], exact=True).click()


def test_offline_taps_are_replayed_exactly_once_with_their_original_times(
    live_server, new_page, seed, artifacts
):
    page = paired_page(live_server, new_page, seed, fake_clock=True, cooldown_seconds=0)
    page.context.set_offline(True)
    levels = [5, 4, 3, 5, 4, 1]
    for level in levels:
        tap(page, level)
        if level <= 2:
            # Offline, a complaint cannot be sent: the kiosk says so and keeps only the rating.
            page.get_by_text("您的意见现在无法发送").wait_for()
            expect(page.locator(".complaint-form")).to_be_hidden()
            shot(page, artifacts, "kiosk-offline-complaint")
            page.get_by_role("button", name="完成", exact=True).click()
        page.get_by_text("感谢您的评价").wait_for()
        page.locator(".thanks-note", has_text="您的评价已保存在本机").wait_for()
        page.clock.fast_forward("10:00")  # the next resident comes ten minutes later
        page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()

    indicator = page.locator(".queue-indicator")
    assert indicator.inner_text() == "6条评价待上传"
    shot(page, artifacts, "kiosk-offline-queue")
    waiting = queue(page)
    assert len(waiting) == 6 and count_ratings(live_server.app) == 0
    assert {frozenset(item) for item in waiting} == {
        frozenset({"key", "level", "window_id", "invitation", "tapped_at"})
    }

    page.context.set_offline(False)
    indicator.wait_for(state="hidden")
    wait_until(lambda: count_ratings(live_server.app) == 6)
    stored = stored_ratings(live_server.app)
    assert [r.level for r in stored] == levels
    gaps = [b.created_at - a.created_at for a, b in pairwise(stored)]
    assert all(
        timedelta(minutes=9, seconds=55) < gap < timedelta(minutes=10, seconds=5) for gap in gaps
    )
    assert all(r.received_at - r.created_at >= timedelta(minutes=9) for r in stored)

    # The device lost its bookkeeping and replays everything again, several times at once:
    # nothing new is stored.
    page.evaluate(
        """([key, items]) => {
            localStorage.setItem(key, items);
            for (let i = 0; i < 3; i++) window.dispatchEvent(new Event('online'));
        }""",
        [QUEUE_KEY, json.dumps(waiting)],
    )
    wait_until(lambda: queue(page) == [])
    assert count_ratings(live_server.app) == 6  # 6 queued, 6 stored, 0 duplicates


def test_the_queue_survives_a_reload_while_the_network_is_down(
    live_server, new_page, seed, artifacts
):
    page = paired_page(live_server, new_page, seed, cooldown_seconds=0)
    page.locator("html[data-offline-ready='1']").wait_for()
    page.context.set_offline(True)
    for level in (5, 2, 4):
        tap(page, level)
        if level <= 2:
            page.get_by_role("button", name="完成", exact=True).click()
        page.get_by_role("button", name="返回首页").click()
    assert len(queue(page)) == 3

    live_server.stop()  # the hall's server is unreachable as well: the page comes from the cache
    page.reload()
    page.get_by_role("heading", name="请选择您刚才办理业务的窗口").wait_for()
    assert page.locator(".queue-indicator").inner_text() == "3条评价待上传"
    shot(page, artifacts, "kiosk-offline-reloaded")

    live_server.start()
    page.context.set_offline(False)
    page.locator(".queue-indicator").wait_for(state="hidden")
    wait_until(lambda: count_ratings(live_server.app) == 3)
    assert sorted(r.level for r in stored_ratings(live_server.app)) == [2, 4, 5]


def test_a_complaint_typed_online_is_never_written_to_browser_storage(live_server, new_page, seed):
    page = paired_page(live_server, new_page, seed)
    tap(page, 1)
    page.get_by_role("button", name="让我来回跑了好几次").click()
    page.get_by_label("回访电话（选填）").click()
    for digit in "13800001111":
        page.locator(".keypad:visible").get_by_role("button", name=digit, exact=True).click()
    storage = device_storage(page)
    assert "跑了" not in storage and "13800001111" not in storage
    page.context.set_offline(True)
    page.get_by_role("button", name="提交意见").click()
    page.get_by_text("您的意见现在无法发送").wait_for()
    assert page.get_by_label("回访电话（选填）").input_value() == ""
    storage = device_storage(page)
    assert "跑了" not in storage and "13800001111" not in storage
    assert count_ratings(live_server.app, level=1) == 1

"""The phone rating page in a real browser: a phone-sized screen, one tap, a complaint."""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, Hall, Rating, Window


def test_resident_rates_on_a_phone_and_leaves_a_complaint(live_server, new_page, artifacts):
    with live_server.app.app_context():
        hall = Hall(slug="xingfu", name="幸福社区便民服务中心")
        window = Window(hall=hall, number=2, name="社保医保")
        db.session.add_all([hall, window])
        db.session.commit()
        token = window.qr_token

    page = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/r/{token}")
    page.screenshot(path=str(artifacts / "phone-rate.png"), full_page=True)
    button = page.get_by_role("button", name="非常不满意")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 64
    button.click()
    page.get_by_text("感谢您的评价").wait_for()
    page.get_by_label("办事效率").check()
    page.get_by_label("具体情况（选填，最多500字）").fill("窗口说材料不全，但没说缺什么。")
    page.get_by_label("回访电话（选填）").fill("13912345678")
    page.screenshot(path=str(artifacts / "phone-complaint.png"), full_page=True)
    page.get_by_role("button", name="提交意见").click()
    page.get_by_text("我们已收到您的意见").wait_for()

    with live_server.app.app_context():
        rating = db.session.scalar(select(Rating))
        complaint = db.session.scalar(select(Complaint))
        assert rating.level == 1
        assert complaint.reason_tags == ["efficiency"]
        assert complaint.contact_phone == "13912345678"


def test_the_thank_you_page_says_what_comes_next(live_server, new_page, artifacts):
    with live_server.app.app_context():
        hall = Hall(slug="xingfu", name="幸福社区便民服务中心")
        window = Window(hall=hall, number=2, name="社保医保")
        db.session.add_all([hall, window])
        db.session.commit()
        token = window.qr_token

    page = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/r/{token}")
    page.get_by_role("button", name="非常满意").click()
    page.get_by_text("感谢您的评价").wait_for()
    assert page.get_by_text("本大厅开放时间：08:30-17:30").is_visible()
    link = page.get_by_role("link", name="查看本大厅每月评价结果及整改情况公示")
    assert link.is_visible()
    # All of it on the first screen, without scrolling.
    box = link.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    page.screenshot(path=str(artifacts / "phone-thanks.png"), full_page=True)
    link.click()
    page.wait_for_url(f"{live_server.url}/public/xingfu")

"""The QR sheet printed from a real browser: every card's code reads back to its window URL."""

import math

import pypdfium2
import zxingcpp

from kiosk.extensions import db
from kiosk.models import Hall, User, Window
from kiosk.services.qr import window_url

PASSWORD = "correct horse battery"


def seed(app):  # type: ignore[no-untyped-def]
    """Create a hall with five active windows, one retired window and an admin; return URLs."""
    with app.test_request_context():
        hall = Hall(slug="xingfu", name="幸福社区便民服务中心")
        names = ["综合受理", "社保医保", "民政救助", "不动产登记", "户籍办理"]
        windows = [Window(hall=hall, number=n, name=name) for n, name in enumerate(names, 1)]
        retired = Window(hall=hall, number=9, name="已撤销窗口", active=False)
        admin = User(username="admin", role="admin", hall=hall)
        admin.set_password(PASSWORD)
        db.session.add_all([hall, *windows, retired, admin])
        db.session.commit()
        return {window_url(w) for w in windows}, window_url(retired)


def decode_pdf(pdf: bytes) -> tuple[int, list[str], str]:
    """Return the page count, every QR text found on the pages, and the pages' text."""
    document = pypdfium2.PdfDocument(pdf)
    found: list[str] = []
    text = []
    try:
        for page in document:
            # 3× of 72 dpi: each QR module is several pixels wide, as on a real printer.
            image = page.render(scale=3).to_pil()
            found += [code.text for code in zxingcpp.read_barcodes(image)]
            # Letter-spacing comes out as spaces; compare the words without them.
            text.append("".join(page.get_textpage().get_text_range().split()))
        return len(document), found, "\n".join(text)
    finally:
        document.close()


def test_printed_qr_sheet_decodes_to_every_active_window(live_server, new_page, artifacts):
    expected, retired_url = seed(live_server.app)
    page = new_page()
    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/staff/")

    page.goto(f"{live_server.url}/staff/windows/qr-sheet")
    assert page.locator(".tent-card").count() == len(expected)
    page.screenshot(path=str(artifacts / "qr-sheet.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (artifacts / "qr-sheet.pdf").write_bytes(pdf)

    pages, found, text = decode_pdf(pdf)
    assert set(found) == expected
    assert len(found) == len(expected)  # each code printed once
    assert retired_url not in found
    # Two cards per A4 sheet, no blank trailing page.
    assert pages == math.ceil(len(expected) / 2)
    # The printout carries the cards, not the screen's navigation and buttons.
    assert "扫码评价" in text and "幸福社区便民服务中心" in text
    for screen_only in ("退出", "打印", "窗口管理", "工作台"):
        assert screen_only not in text, screen_only

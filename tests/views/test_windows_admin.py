"""Windows in the staff area: create, edit, deactivate, regenerate the QR code, downloads."""

import io

import zxingcpp
from PIL import Image
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, RetiredQrToken, Window


def decode(png: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_admin_creates_a_window_and_its_code_rates_at_once(client, sign_in, post_form, hall):
    sign_in("admin")
    response = post_form("/staff/windows/new", number="7", name="不动产登记", services="过户\n抵押")
    assert response.status_code == 302
    window = db.session.scalar(select(Window).where(Window.number == 7))
    assert window.hall_id == hall.id and window.name == "不动产登记" and window.active
    assert "不动产登记" in client.get("/staff/windows").get_data(as_text=True)
    assert client.get(f"/r/{window.qr_token}").status_code == 200
    assert db.session.scalar(select(AuditEntry.action)) == "window.create"


def test_a_window_number_is_used_once_per_hall(client, sign_in, post_form, window):
    sign_in("admin")
    response = post_form("/staff/windows/new", number=str(window.number), name="重复")
    assert response.status_code == 400
    assert "本大厅已有这个窗口号" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Window.id))) == 1


def test_bad_input_gives_form_errors_not_500(client, sign_in, post_form):
    sign_in("admin")
    for number in ("", "abc", "0", "100000"):
        response = post_form("/staff/windows/new", number=number, name="x" * 81)
        assert response.status_code == 400
    assert db.session.scalar(select(db.func.count(Window.id))) == 0


def test_admin_edits_a_window_and_the_old_qr_keeps_working(client, sign_in, post_form, window):
    sign_in("admin")
    token = window.qr_token
    response = post_form(
        f"/staff/windows/{window.id}/edit", number="12", name="医保报销", services="门诊报销"
    )
    assert response.status_code == 302
    db.session.refresh(window)
    assert (window.number, window.name, window.services) == (12, "医保报销", "门诊报销")
    assert window.qr_token == token


def test_deactivated_window_stops_rating_and_can_come_back(client, sign_in, post_form, window):
    sign_in("admin")
    post_form("/staff/windows", f"/staff/windows/{window.id}/deactivate")
    db.session.refresh(window)
    assert not window.active
    assert client.get(f"/r/{window.qr_token}").status_code == 404
    post_form("/staff/windows", f"/staff/windows/{window.id}/reactivate")
    db.session.refresh(window)
    assert window.active
    assert client.get(f"/r/{window.qr_token}").status_code == 200
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["window.deactivate", "window.reactivate"]


def test_regenerated_qr_retires_the_old_code_with_a_friendly_page(
    client, sign_in, post_form, window
):
    admin = sign_in("admin")
    old = window.qr_token
    response = post_form("/staff/windows", f"/staff/windows/{window.id}/regenerate-qr")
    assert response.status_code == 302
    db.session.refresh(window)
    assert window.qr_token != old

    page = client.get(f"/r/{old}")
    text = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "此二维码已停用，请扫描窗口上的新二维码" in text
    assert "幸福社区便民服务中心" in text and "3号窗口" in text
    assert client.get(f"/r/{window.qr_token}").status_code == 200
    # A token that never existed still gets the ordinary 404 page.
    assert client.get("/r/never-issued-token").status_code == 404

    retired = db.session.scalar(select(RetiredQrToken))
    assert (retired.token, retired.window_id) == (old, window.id)
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.target_id) == (
        "window.regenerate_qr",
        admin.id,
        window.id,
    )
    assert old not in str(entry.detail) and window.qr_token not in str(entry.detail)


def test_png_download_decodes_to_the_window_url(client, sign_in, window):
    sign_in("supervisor")
    response = client.get(f"/staff/windows/{window.id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="window-3.png"'
    assert decode(response.data) == [f"https://hall.example.test/r/{window.qr_token}"]


def test_svg_download_is_an_svg_attachment(client, sign_in, window):
    sign_in("supervisor")
    response = client.get(f"/staff/windows/{window.id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="window-3.svg"'
    assert b"<svg" in response.data and b"<path" in response.data


def test_qr_sheet_has_a_card_per_active_window(client, sign_in, make_window):
    sign_in("supervisor")
    make_window(number=1, name="综合受理")
    make_window(number=2, name="社保医保")
    make_window(number=9, name="已撤销", active=False)
    page = client.get("/staff/windows/qr-sheet").get_data(as_text=True)
    assert page.count('class="tent-card"') == 2
    assert "扫码评价" in page and "幸福社区便民服务中心" in page
    assert "已撤销" not in page
    assert "<?xml" not in page and page.count("<svg") == 2


def test_supervisor_views_windows_but_cannot_change_them(client, sign_in, post_form, window):
    sign_in("supervisor")
    page = client.get("/staff/windows").get_data(as_text=True)
    assert "社保医保" in page and "更换二维码" not in page
    assert client.get("/staff/windows/new").status_code == 403
    response = post_form("/staff/windows", f"/staff/windows/{window.id}/regenerate-qr")
    assert response.status_code == 403
    assert db.session.scalar(select(RetiredQrToken)) is None


def test_another_halls_window_is_not_found(client, sign_in, make_hall, post_form):
    other = make_hall()
    foreign = Window(hall=other, number=1, name="别家窗口")
    db.session.add(foreign)
    db.session.commit()
    sign_in("admin")
    assert client.get(f"/staff/windows/{foreign.id}/edit").status_code == 404
    assert client.get(f"/staff/windows/{foreign.id}/qr.png").status_code == 404
    response = post_form("/staff/windows", f"/staff/windows/{foreign.id}/regenerate-qr")
    assert response.status_code == 404
    assert "别家窗口" not in client.get("/staff/windows").get_data(as_text=True)


def test_one_click_buttons_need_the_csrf_token(app, client, sign_in, window):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in("admin")
    response = client.post(f"/staff/windows/{window.id}/regenerate-qr")
    assert response.status_code == 400
    assert db.session.scalar(select(RetiredQrToken)) is None

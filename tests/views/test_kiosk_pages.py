"""Pairing, the device admin pages, the window console and the invitation's phone page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Device, Duty, Rating, ServiceInvitation
from kiosk.models._types import utcnow
from kiosk.services import devices, invitations
from tests.device_helpers import COOKIE, make_device
from tests.helpers import hidden_fields

CODE = re.compile(r'data-testid="pairing-code">([A-Z0-9-]+)<')


def pair_with(client, code: str, kind: str = "kiosk"):  # type: ignore[no-untyped-def]
    page = client.get(f"/{kind}").get_data(as_text=True)
    return client.post(
        f"/kiosk/pair?kind={kind}", data={**hidden_fields(page), "code": code.lower()}
    )


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user("admin1", role="admin")


def create_through_the_page(client, kind="kiosk", window_id=0, name="大厅一号终端"):  # type: ignore[no-untyped-def]
    page = client.get("/staff/devices").get_data(as_text=True)
    data = {**hidden_fields(page), "kind": kind, "name": name, "window": str(window_id)}
    return client.post("/staff/devices", data=data)


# --- pairing ---------------------------------------------------------------------------


def test_an_unpaired_browser_sees_the_pairing_screen(client):
    for path in ("/kiosk", "/pad"):
        html = client.get(path).get_data(as_text=True)
        assert "配对码" in html and "请对本次服务进行评价" not in html


def test_admin_creates_a_kiosk_and_the_code_pairs_a_browser_once(app, client, auth, admin, window):
    auth.login_as(admin)
    response = create_through_the_page(client)
    assert response.status_code == 200
    code = CODE.search(response.get_data(as_text=True)).group(1)
    auth.client.post("/auth/logout", data=hidden_fields(client.get("/staff/").get_data(True)))

    tablet = app.test_client()
    paired = pair_with(tablet, code)
    assert paired.status_code == 303 and paired.headers["Location"] == "/kiosk"
    cookie = paired.headers["Set-Cookie"]
    assert cookie.startswith(COOKIE) and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    html = tablet.get("/kiosk").get_data(as_text=True)
    assert "请选择您刚才办理业务的窗口" in html and "社保医保" in html

    again = pair_with(app.test_client(), code)
    assert again.status_code == 400 and "配对码无效或已过期" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


def test_an_expired_pairing_code_is_refused(app, client, hall):
    device, code = devices.create_device(
        hall, "kiosk", "k", None, now=utcnow() - timedelta(hours=1)
    )
    db.session.commit()
    assert pair_with(client, code).status_code == 400
    assert db.session.get(Device, device.id).credential_hash is None


def test_a_paired_pad_is_sent_to_the_pad_page(client, hall, window):
    _device, credential = make_device(hall, "pad", window)
    client.set_cookie(COOKIE, credential)
    response = client.get("/kiosk")
    assert response.status_code == 302 and response.headers["Location"] == "/pad"
    html = client.get("/pad").get_data(as_text=True)
    assert "3号窗口" in html and "您好，欢迎办理业务" in html


def test_device_pages_link_nowhere_and_carry_no_inline_script(client, hall, window):
    _device, credential = make_device(hall, "kiosk")
    client.set_cookie(COOKIE, credential)
    html = client.get("/kiosk").get_data(as_text=True)
    assert "<a " not in html
    assert "<script>" not in html and " onclick=" not in html


def test_unpairing_from_the_staff_menu_revokes_the_device(client, hall):
    device, credential = make_device(hall, "kiosk")
    devices.set_exit_pin(device, "1357")
    db.session.commit()
    client.set_cookie(COOKIE, credential)
    menu = client.get(client.post("/api/v1/device/unlock", json={"pin": "1357"}).json["next"])
    response = client.post("/kiosk/unpair", data=hidden_fields(menu.get_data(as_text=True)))
    assert response.status_code == 303
    assert db.session.get(Device, device.id).revoked_at is not None


def test_a_pairing_link_shows_its_code_and_pairs_only_when_the_page_posts_it(
    app, client, hall, window
):
    device, code = devices.create_device(hall, "pad", "1号窗口评价器", window, now=utcnow())
    db.session.commit()
    link = f"/kiosk/pair/{devices.normalise_code(code)}"
    response = client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "窗口评价器配对" in html
    assert f'value="{code}"' in html and "data-auto-submit" in html
    assert 'src="/static/js/pair-link.js' in html and "<script>" not in html
    form = hidden_fields(html)
    assert form["csrf_token"]
    db.session.expire_all()
    stored = db.session.get(Device, device.id)
    assert stored.credential_hash is None and stored.pairing_code_hash is not None  # GET: no change

    paired = client.post("/kiosk/pair?kind=pad", data={**form, "code": code})
    assert paired.status_code == 303 and paired.headers["Location"] == "/pad"
    assert paired.headers["Set-Cookie"].startswith(COOKIE)

    used = app.test_client().get(link)  # once only
    assert used.status_code == 404 and "配对码无效或已过期" in used.get_data(as_text=True)
    assert "data-auto-submit" not in used.get_data(as_text=True)
    unknown = app.test_client().get("/kiosk/pair/not-a-code")
    assert unknown.status_code == 404 and "pair-link.js" not in unknown.get_data(as_text=True)


def test_a_pairing_link_expires_with_its_code(app, hall):
    device, code = devices.create_device(
        hall, "kiosk", "k", None, now=utcnow() - timedelta(minutes=31)
    )
    db.session.commit()
    tablet = app.test_client()
    response = tablet.get(f"/kiosk/pair/{devices.normalise_code(code)}")
    assert response.status_code == 404 and "配对码无效或已过期" in response.get_data(as_text=True)
    posted = tablet.post(
        "/kiosk/pair", data={**hidden_fields(response.get_data(as_text=True)), "code": code}
    )
    assert posted.status_code == 400
    assert db.session.get(Device, device.id).credential_hash is None


# --- device admin ----------------------------------------------------------------------


def test_device_pages_are_for_admins_only(client, auth, make_user):
    auth.login_as(make_user("sup", role="supervisor"))
    assert client.get("/staff/devices").status_code == 403


def test_a_pad_needs_a_window(client, auth, admin):
    auth.login_as(admin)
    response = create_through_the_page(client, kind="pad", window_id=0)
    assert response.status_code == 400 and "必须选择所属窗口" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Device.id))) == 0


def test_admin_sets_intervals_and_pin_and_revokes(client, auth, admin, hall):
    device, _credential = make_device(hall, "kiosk")
    auth.login_as(admin)
    page = client.get(f"/staff/devices/{device.id}").get_data(as_text=True)
    data = {
        **hidden_fields(page),
        "name": "东门终端",
        "window": "0",
        "thanks_reset_seconds": "5",
        "idle_reset_seconds": "30",
        "cooldown_seconds": "3",
        "burst_limit": "8",
        "burst_window_seconds": "120",
        "pin": "864209",
    }
    assert client.post(f"/staff/devices/{device.id}", data=data).status_code == 303
    db.session.refresh(device)
    assert (device.name, device.thanks_reset_seconds, device.idle_reset_seconds) == (
        "东门终端",
        5,
        30,
    )
    assert devices.check_exit_pin(device, "864209", now=utcnow()).ok
    bad = client.post(f"/staff/devices/{device.id}", data={**data, "idle_reset_seconds": "1"})
    assert bad.status_code == 400

    page = client.get(f"/staff/devices/{device.id}").get_data(as_text=True)
    assert "确定撤销“东门终端”吗？" in page and "js/confirm.js" in page  # the browser asks first
    token = hidden_fields(page)["csrf_token"]
    client.post(f"/staff/devices/{device.id}/revoke", data={"csrf_token": token})
    db.session.refresh(device)
    assert device.revoked_at is not None and not device.is_paired
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert actions == {"device.update", "device.revoke"}


def test_another_halls_device_is_not_found(client, auth, admin, make_hall):
    other = make_hall()
    device, _code = devices.create_device(other, "kiosk", "x", None, now=utcnow())
    db.session.commit()
    auth.login_as(admin)
    assert client.get(f"/staff/devices/{device.id}").status_code == 404


# --- the window console ----------------------------------------------------------------


@pytest.fixture
def clerk(make_user, staff):  # type: ignore[no-untyped-def]
    return make_user("clerk", role="staff", staff=staff)


def console_post(client, path, **fields):  # type: ignore[no-untyped-def]
    page = client.get("/staff/console").get_data(as_text=True)
    return client.post(path, data={**hidden_fields(page), **fields})


def test_clerk_signs_in_invites_and_signs_out(client, auth, clerk, staff, window):
    auth.login_as(clerk)
    html = client.get("/staff/console").get_data(as_text=True)
    assert "在此窗口签到" in html and "办结·邀请评价" not in html
    console_post(client, "/staff/console/signin", window=str(window.id))
    duty = db.session.scalar(select(Duty))
    assert (duty.staff_id, duty.window_id, duty.source, duty.ends_at) == (
        staff.id,
        window.id,
        "signin",
        None,
    )
    console_post(client, "/staff/console/invite")
    console_post(client, "/staff/console/invite")
    html = client.get("/staff/console").get_data(as_text=True)
    assert "邀请评价：2次" in html and "等待居民评价" in html
    invitation = db.session.scalar(select(ServiceInvitation))
    assert (invitation.window_id, invitation.staff_id) == (window.id, staff.id)
    console_post(client, "/staff/console/signout")
    db.session.refresh(duty)
    assert duty.ends_at is not None


def test_the_console_offers_the_window_the_roster_gives_the_clerk_today(
    client, auth, clerk, staff, window, make_window, put_on_duty
):
    rostered = make_window(number=7, name="社保医保")
    put_on_duty(staff, rostered)  # from an hour ago for eight hours
    auth.login_as(clerk)
    html = client.get("/staff/console").get_data(as_text=True)
    assert "今日排班：7号窗口 社保医保" in html
    assert re.search(rf'<option selected value="{rostered.id}">', html)
    assert not re.search(rf'<option selected value="{window.id}">', html)


def test_inviting_without_signing_in_mints_nothing(client, auth, clerk):
    auth.login_as(clerk)
    response = console_post(client, "/staff/console/invite")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(ServiceInvitation.id))) == 0


def test_a_user_without_a_staff_record_has_no_console(client, auth, make_user):
    auth.login_as(make_user("nostaff", role="staff"))
    assert client.get("/staff/console").status_code == 403


def test_signing_in_at_another_halls_window_is_refused(client, auth, clerk, make_hall):
    from kiosk.models import Window

    foreign = Window(hall=make_hall(), number=9, name="别处")
    db.session.add(foreign)
    db.session.commit()
    auth.login_as(clerk)
    response = console_post(client, "/staff/console/signin", window=str(foreign.id))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Duty.id))) == 0


# --- the invitation's phone page (the pad's short-lived QR) ----------------------------


@pytest.fixture
def invitation(window, staff):  # type: ignore[no-untyped-def]
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=5))
    minted = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    return minted


def test_a_phone_answers_the_invitation_once_with_a_verified_rating(
    client, invitation, staff, window
):
    page = client.get(f"/i/{invitation.token}").get_data(as_text=True)
    assert "王芳" in page and "请对本次服务进行评价" in page
    response = client.post(f"/i/{invitation.token}", data={**hidden_fields(page), "level": "2"})
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "感谢您的评价" in thanks and "愿意告诉我们原因吗" in thanks
    (rating,) = db.session.scalars(select(Rating))
    assert (rating.level, rating.verified, rating.staff_id) == (2, True, staff.id)

    resubmitted = client.post(f"/i/{invitation.token}", data={**hidden_fields(page), "level": "2"})
    assert resubmitted.headers["Location"] == response.headers["Location"]  # same key: no-op
    fields = {**hidden_fields(page), "key": "another-phone-key", "level": "5"}
    second = client.post(f"/i/{invitation.token}", data=fields)
    assert second.status_code == 409 and "已经评价过了" in second.get_data(as_text=True)
    reopened = client.get(f"/i/{invitation.token}")
    assert "已经评价过了" in reopened.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Rating.id))) == 1


def test_an_expired_invitation_says_so(app, client, invitation):
    app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=1)
    response = client.get(f"/i/{invitation.token}")
    assert response.status_code == 410 and "已过期" in response.get_data(as_text=True)


def test_an_unknown_invitation_is_not_found(client):
    assert client.get("/i/nope").status_code == 404

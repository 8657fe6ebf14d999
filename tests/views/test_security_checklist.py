"""The security checklist of issue 7, one test (or table of cases) per point.

docs/security-checklist.md lists the later cases (issue 23) and the tests that show them.

Covered elsewhere, and not repeated here:
- 429 after 10 failures per account, and per address after failures for 20 distinct accounts
  (or 50 in all) while a colleague behind the same address still signs in, shared across
  workers: tests/views/test_security.py (test_ten_failed_logins_lock_the_account_with_429,
  test_one_persons_failures_lock_only_their_account_not_colleagues_behind_one_address,
  test_a_spray_over_many_accounts_from_one_address_throttles_the_address,
  test_throttling_is_shared_between_workers);
- session renewed at login, refused after logout, idle and absolute timeouts: the same file;
- deny by default, every staff GET route for every role: tests/views/test_role_matrix.py;
- output escaping of hostile names and texts: tests/views/test_xss_corpus.py;
- fuzzing of the public forms and JSON endpoints: tests/views/test_fuzzing.py.
"""

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import (
    Adjustment,
    Assessment,
    Complaint,
    Device,
    Duty,
    PeerAssignment,
    Rating,
    Staff,
    User,
    Window,
)
from kiosk.models._types import utcnow
from kiosk.redirects import is_local_path, local_path_or
from kiosk.services import accounts, invitations, ratings
from tests.conftest import PASSWORDS, Auth
from tests.device_helpers import COOKIE, make_device, post_rating
from tests.helpers import give_rating, hidden_fields, rate

# --- helpers ---------------------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (rate-limit counters aside): to prove nothing was written."""
    db.session.rollback()  # read what is committed now, not an old snapshot
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name == "rate_limit_counter":
            continue
        rows[table.name] = sorted(
            (tuple(map(repr, row)) for row in db.session.execute(select(table))), key=str
        )
    return rows


def csrf_token(client) -> str:  # type: ignore[no-untyped-def]
    token = hidden_fields(client.get("/auth/login").get_data(as_text=True)).get("csrf_token")
    if token is None:  # signed in: /auth/login redirects; any staff page has the logout form
        token = hidden_fields(client.get("/staff/").get_data(as_text=True))["csrf_token"]
    return token


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse captured stdout as the app writes it: one JSON object per line."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- login and accounts ------------------------------------------------------------------


def test_no_default_accounts_after_upgrade_and_start(tmp_path):
    """A fresh installation (`flask db upgrade`, then the app starts) has no account at all."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    config = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}
    first = create_app(config, instance_path=str(tmp_path / "i"))
    result = first.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    app = create_app(config, instance_path=str(tmp_path / "i"))
    client = app.test_client()
    with app.app_context():
        assert db.session.scalar(select(User)) is None
    for username, password in [("admin", "admin"), ("admin", "admin123"), ("root", "root")]:
        fields = hidden_fields(client.get("/auth/login").get_data(as_text=True))
        data = {**fields, "username": username, "password": password}
        assert client.post("/auth/login", data=data).status_code == 400
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("role", "password", "accepted"),
    [
        ("staff", "Xk3#vq9", False),  # 7 characters
        ("staff", "Xk3#vq9p", True),  # 8
        ("supervisor", "Xk3#vq9p", True),
        ("admin", "Xk3#vq9pLm2", False),  # 11: admins need 12
        ("admin", "Xk3#vq9pLm2!", True),
    ],
)
def test_minimum_password_length_is_8_and_12_for_admins(ctx, role, password, accepted):
    try:
        accounts.check_password_strength(password, role, "someone")
    except accounts.AccountError:
        assert not accepted
    else:
        assert accepted


@pytest.mark.parametrize("password", ["password123", "12345678", "Qwerty123456", "11111111"])
def test_common_passwords_are_refused_whatever_their_length(ctx, password):
    with pytest.raises(accounts.AccountError):
        accounts.check_password_strength(password, "staff", "someone")


def test_an_admin_cannot_create_an_account_with_a_common_password(client, sign_in):
    sign_in("admin")
    form = hidden_fields(client.get("/staff/users/new").get_data(as_text=True))
    data = {**form, "username": "weak", "role": "supervisor", "staff_id": "0"}
    response = client.post(
        "/staff/users/new", data={**data, "password": "password123", "confirm": "password123"}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "weak")) is None


def test_the_same_answer_for_an_unknown_user_and_a_wrong_password(client, auth, make_user):
    make_user("zhang", "supervisor")

    def answer(username: str) -> tuple[int, str]:
        response = auth.login(username, "wrong-password")
        text = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
        return response.status_code, text

    unknown, wrong = answer("nobody"), answer("zhang")
    assert unknown[0] == wrong[0] == 400
    assert "用户名或密码不正确" in unknown[1]
    # Only the echoed username differs.
    assert unknown[1].replace("nobody", "") == wrong[1].replace("zhang", "")


# --- access: hall scope and mass assignment ----------------------------------------------


@pytest.fixture
def other_hall(make_hall, hall) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Hall B with one of every object a staff-area URL can name by id."""
    now = utcnow()
    b = make_hall(slug="other", name="别的中心")
    window = Window(hall=b, number=1, name="B窗口")
    person = Staff(hall=b, staff_no="B001", name="别人")
    peer = Staff(hall=b, staff_no="B002", name="别人二")
    user = User(username="b-boss", role="supervisor", hall=b)
    user.set_password(PASSWORDS["supervisor"])
    db.session.add_all([window, person, peer, user])
    db.session.flush()
    duty = Duty(staff=person, window=window, starts_at=now, ends_at=now + timedelta(hours=8))
    device = Device(hall_id=b.id, kind="pad", name="B评价器", window_id=window.id)
    db.session.add_all([duty, device])
    db.session.flush()
    rating = give_rating(window, 1, "other-hall-rating", channel="qr", now=now).rating
    rating.status = "quarantined"
    complaint, _ = ratings.file_complaint(
        rating, reason_tags=["attitude"], text="别处的投诉", phone="13812345678", now=now
    )
    period = "2026-11"
    assessment = Assessment(
        hall_id=b.id,
        period=period,
        subject_id=person.id,
        kind="supervisor",
        assessor_user_id=user.id,
        assessor_key=f"user:{user.id}",
        scores={},
        submitted_at=now,
        locked=True,
    )
    link = PeerAssignment(hall_id=b.id, period=period, assessor_id=peer.id, subject_id=person.id)
    adjustment = Adjustment(
        hall_id=b.id,
        staff_id=person.id,
        period=period,
        kind="bonus",
        points=2,
        reason="表彰",
        approver_id=user.id,
    )
    db.session.add_all([assessment, link, adjustment])
    db.session.commit()
    return {
        "hall": b,
        "window_id": window.id,
        "staff_id": person.id,
        "peer_id": peer.id,
        "duty_id": duty.id,
        "user_id": user.id,
        "device_id": device.id,
        "rating_id": rating.id,
        "complaint_id": complaint.id,
        "assessment_id": assessment.id,
        "link_id": link.id,
        "adjustment_id": adjustment.id,
        "period_code": period,
        "kind": "supervisor",
        "action": "verify",
        "fmt": "csv",
    }


def _fill(rule: str, ids: dict[str, Any]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule)


def _plausible_form(csrf: str, ids: dict[str, Any]) -> dict[str, str]:
    """Fields that would make most staff forms valid, so only the hall check can stop them."""
    return {
        "csrf_token": csrf,
        "name": "改名",
        "staff_no": "Z999",
        "number": "42",
        "role": "supervisor",
        "staff_id": str(ids["staff_id"]),
        "window": str(ids["window_id"]),
        "window_id": str(ids["window_id"]),
        "staff": str(ids["staff_id"]),
        "verdict": "valid",
        "severity": "minor",
        "reason": "理由",
        "note": "说明",
        "outcome": "upheld",
        "satisfaction": "satisfied",
        "decision": "release",
        "password": "Another-long-pass-1",
        "confirm": "Another-long-pass-1",
        "kind": "pad",
        "starts_at": "2026-11-20T08:30",
        "ends_at": "2026-11-20T17:30",
        "thanks_reset_seconds": "8",
        "idle_reset_seconds": "45",
        "cooldown_seconds": "4",
        "burst_limit": "5",
        "burst_window_seconds": "60",
    }


def _id_routes(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") and "<int:" in rule.rule
        for method in ("GET", "POST")
        if method in (rule.methods or ())
    )


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_no_object_of_another_hall_can_be_opened_or_changed_by_its_id(
    app, client, sign_in, other_hall, role
):
    sign_in(role)
    csrf = csrf_token(client)
    before = snapshot()
    routes = _id_routes(app)
    assert len(routes) >= 25  # the walk really covers the staff area
    wrong = []
    for rule, method in routes:
        url = _fill(rule, other_hall)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=_plausible_form(csrf, other_hall))
        if response.status_code not in (403, 404):
            wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        "/staff/roster/new",
        "/staff/complaints/new",
        "/staff/evaluation/2026-11/adjustments",
        "/staff/evaluation/2026-11/peers",
        "/staff/devices",
        "/staff/users/new",
        "/staff/ratings/quarantine",
    ],
)
def test_forms_refuse_ids_of_another_halls_objects(client, sign_in, other_hall, url):
    sign_in("admin")
    csrf = csrf_token(client)
    before = snapshot()
    data = {
        **_plausible_form(csrf, other_hall),
        "assessor": str(other_hall["peer_id"]),
        "subject": str(other_hall["staff_id"]),
        "approver": str(other_hall["user_id"]),
        "points": "2",
        "username": "newcomer",
        "text": "投诉内容",
        "rating": str(other_hall["rating_id"]),
    }
    response = client.post(url, data=data)
    assert response.status_code in (400, 403, 404)
    assert snapshot() == before


def test_a_clerk_cannot_sign_in_at_another_halls_window(client, make_user, staff, other_hall):
    clerk = make_user("clerk", "staff", staff=staff)
    assert Auth(client).login_as(clerk).status_code == 302
    csrf = csrf_token(client)
    before = snapshot()
    response = client.post(
        "/staff/console/signin", data={"csrf_token": csrf, "window": other_hall["window_id"]}
    )
    assert response.status_code in (400, 403, 404)
    assert snapshot() == before


def test_no_mass_assignment_of_role_hall_or_staff_fields(client, sign_in, hall, staff, other_hall):
    admin = sign_in("admin")
    csrf = csrf_token(client)
    extra = {
        "hall_id": str(other_hall["hall"].id),
        "active": "0",
        "session_token": "x" * 32,
        "password_hash": "plain",
        "id": "999",
        "qr_token": "chosen-token-123",
        "created_at": "2000-01-01",
    }
    # A new account: the form sets name, role, staff and password, nothing else.
    form = {"csrf_token": csrf, "username": "newbie", "role": "supervisor", "staff_id": "0"}
    pw = {"password": "Another-long-pass-1", "confirm": "Another-long-pass-1"}
    assert client.post("/staff/users/new", data={**form, **pw, **extra}).status_code == 302
    newbie = db.session.scalar(select(User).where(User.username == "newbie"))
    assert (newbie.hall_id, newbie.active, newbie.id) == (hall.id, True, newbie.id)
    assert newbie.id != 999 and newbie.session_token != "x" * 32
    assert newbie.check_password("Another-long-pass-1")
    # Editing an account: no hall, password or activity change through extra fields.
    data = {"csrf_token": csrf, "role": "staff", "staff_id": str(staff.id), **extra}
    client.post(f"/staff/users/{newbie.id}/edit", data=data)
    db.session.refresh(newbie)
    assert (newbie.hall_id, newbie.active) == (hall.id, True)
    assert newbie.check_password("Another-long-pass-1")
    # A person: only number and name.
    data = {"csrf_token": csrf, "staff_no": "XF009", "name": "新人", **extra}
    assert client.post("/staff/people/new", data=data).status_code == 302
    person = db.session.scalar(select(Staff).where(Staff.staff_no == "XF009"))
    assert person.hall_id == hall.id and person.active and person.id != 999
    client.post(f"/staff/people/{person.id}/edit", data=data)
    db.session.refresh(person)
    assert person.hall_id == hall.id and person.active
    # A window: the QR token is the server's, the hall the admin's.
    data = {"csrf_token": csrf, "number": "21", "name": "新窗口", **extra}
    assert client.post("/staff/windows/new", data=data).status_code == 302
    window = db.session.scalar(select(Window).where(Window.number == 21))
    assert window.hall_id == hall.id and window.qr_token != "chosen-token-123"
    # The admin's own account is untouched by all of it.
    db.session.refresh(admin)
    assert (admin.role, admin.hall_id, admin.active) == ("admin", hall.id, True)


def test_signing_in_with_extra_fields_grants_nothing(client, auth, make_user, hall):
    user = make_user("zhang", "supervisor")
    fields = hidden_fields(client.get("/auth/login").get_data(as_text=True))
    data = {**fields, "username": "zhang", "password": PASSWORDS["supervisor"], "role": "admin"}
    assert client.post("/auth/login", data=data).status_code == 302
    db.session.refresh(user)
    assert user.role == "supervisor"
    assert client.get("/staff/users").status_code == 403


# --- CSRF on every state change; ratings only by POST ------------------------------------


@pytest.fixture
def own_objects(hall, window, staff, put_on_duty, make_user) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One of every object in the signed-in admin's own hall, for the CSRF walk."""
    now = utcnow()
    duty = put_on_duty(staff, window)
    device, _ = make_device(hall, "pad", window)
    user = make_user("someone", "supervisor")
    rating = give_rating(window, 1, "own-hall-rating-1", channel="qr", now=now).rating
    rating.status = "quarantined"
    complaint, _ = ratings.file_complaint(
        rating, reason_tags=["attitude"], text="投诉", phone="13812345678", now=now
    )
    invitations.sign_in(staff, window, now=now - timedelta(minutes=1))
    invitation = invitations.mint_invitation(staff, now=now)
    adjustment = Adjustment(
        hall_id=hall.id,
        staff_id=staff.id,
        period="2026-11",
        kind="bonus",
        points=1,
        reason="表彰",
        approver_id=user.id,
    )
    assessment = Assessment(
        hall_id=hall.id,
        period="2026-11",
        subject_id=staff.id,
        kind="supervisor",
        assessor_user_id=user.id,
        assessor_key=f"user:{user.id}",
        scores={},
        locked=True,
    )
    peer = Staff(hall=hall, staff_no="XF002", name="同事")
    db.session.add_all([adjustment, assessment, peer])
    db.session.flush()
    link = PeerAssignment(
        hall_id=hall.id, period="2026-11", assessor_id=peer.id, subject_id=staff.id
    )
    db.session.add(link)
    db.session.commit()
    return {
        "window_id": window.id,
        "staff_id": staff.id,
        "duty_id": duty.id,
        "user_id": user.id,
        "device_id": device.id,
        "rating_id": rating.id,
        "complaint_id": complaint.id,
        "assessment_id": assessment.id,
        "adjustment_id": adjustment.id,
        "link_id": link.id,
        "period_code": "2026-11",
        "kind": "supervisor",
        "action": "verify",
        "fmt": "csv",
        "token": window.qr_token,
        "key": rating.idempotency_key,
        "code": "en",
        "slug": hall.slug,
        "invite": invitation.token,
        # A district's station rounds (/district/<slug>/rounds/…): the token check comes first.
        "round_id": 1,
        "hall_id": hall.id,
    }


def _state_changing_rules(app: Flask) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.rule, method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
    )


def test_every_state_change_without_a_csrf_token_is_refused_and_writes_nothing(
    app, client, sign_in, own_objects
):
    sign_in("admin")
    rules = _state_changing_rules(app)
    assert len(rules) >= 40
    before = snapshot()
    wrong = []
    for rule, method, endpoint in rules:
        if endpoint.startswith("device_api."):
            continue  # the device API uses its credential: see the next test
        ids = (
            {**own_objects, "token": own_objects["invite"]}
            if rule.startswith("/i/")
            else own_objects
        )
        url = _fill(rule, ids)
        data = {k: v for k, v in _plausible_form("", own_objects).items() if k != "csrf_token"}
        data |= {"level": "5", "key": uuid.uuid4().hex, "username": "x", "code": "ABCD"}
        response = client.open(url, method=method, data=data)
        if response.status_code != 400:
            wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before


def test_the_device_api_needs_its_credential_and_json(client, hall, window):
    """No CSRF token: a form post from another site carries neither a Bearer header nor JSON."""
    _device, credential = make_device(hall, "kiosk")
    before = snapshot()
    body = {"key": uuid.uuid4().hex, "level": 5, "window_id": window.id}
    assert client.post("/api/v1/ratings", json=body).status_code == 401
    client.set_cookie(COOKIE, credential)
    form_post = client.post("/api/v1/ratings", data={k: str(v) for k, v in body.items()})
    assert form_post.status_code == 415
    plain = client.post(
        "/api/v1/ratings", data=json.dumps(body), headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    assert snapshot() == before
    assert post_rating(client, credential, **body).status_code == 201  # the real thing works


def test_ratings_are_only_given_by_post(client, window, staff, put_on_duty):
    put_on_duty(staff, window)
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=1))
    invitation = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    before = snapshot()
    query = f"?level=1&key={uuid.uuid4().hex}"
    assert client.get(f"/r/{window.qr_token}{query}").status_code == 200
    assert client.get(f"/i/{invitation.token}{query}").status_code == 200
    assert client.get(f"/api/v1/ratings{query}").status_code == 405
    assert client.get(f"/r/{window.qr_token}/thanks/{uuid.uuid4().hex}").status_code == 404
    assert snapshot() == before


# --- headers and cookies -----------------------------------------------------------------


def _assert_security_headers(response, url: str, https: bool) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
    assert "frame-ancestors 'none'" in csp, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url
    assert ("Strict-Transport-Security" in headers) is https, url


@pytest.mark.parametrize("https", [False, True])
def test_every_kind_of_response_carries_the_security_headers(app, client, window, https):
    base = "https://hall.example.test" if https else "http://localhost"
    pages = {
        "/": 200,
        "/healthz": 200,
        "/auth/login": 200,
        f"/r/{window.qr_token}": 200,
        f"/board/{window.hall.slug}": 200,
        f"/board/{window.hall.slug}/standings": 200,
        f"/api/v1/board?hall={window.hall.slug}": 200,
        "/api/v1/board": 400,
        "/static/css/site.css": 200,
        "/static/vendor/htmx-2.0.11.min.js": 200,
        "/device-sw.js": 200,
        "/no-such-page": 404,
        "/static/no-such-file.css": 404,
        "/api/v1/ratings": 405,
        "/staff/": 302,
        "/kiosk/pad/state": 404,
    }
    for url, status in pages.items():
        response = client.get(url, base_url=base)
        assert response.status_code == status, url
        _assert_security_headers(response, url, https)
    refused = client.post("/auth/login", data={"username": "x"}, base_url=base)  # no CSRF token
    assert refused.status_code == 400
    _assert_security_headers(refused, "csrf", https)
    too_big = client.post(
        f"/r/{window.qr_token}", data={"x": "a" * (3 * 1024 * 1024)}, base_url=base
    )
    assert too_big.status_code == 413
    _assert_security_headers(too_big, "413", https)


def test_the_500_page_carries_the_security_headers(app_config, tmp_path):
    app = create_app({**app_config, "TESTING": False}, instance_path=str(tmp_path / "x"))

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("broken on purpose")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    _assert_security_headers(response, "500", False)


def _cookie_attributes(response, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            parts = [p.strip() for p in header.split(";")[1:]]
            return {
                p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts
            }
    raise AssertionError(f"{name} not set; got {response.headers.getlist('Set-Cookie')}")


def test_cookies_are_httponly_samesite_and_secure_over_https(client, make_user, hall, window):
    https = "https://hall.example.test"
    referer = {"Referer": https + "/"}  # Flask-WTF checks it over HTTPS
    user = make_user("zhang", "supervisor")
    fields = hidden_fields(client.get("/auth/login", base_url=https).get_data(as_text=True))
    data = {**fields, "username": user.username, "password": PASSWORDS["supervisor"]}
    login = client.post("/auth/login", data=data, base_url=https, headers=referer)
    session = _cookie_attributes(login, "session")
    assert "httponly" in session and "secure" in session and session["samesite"] == "Lax"
    device_cookie = _cookie_attributes(login, "hall_device")  # given at sign-in (staff_device)
    assert "httponly" in device_cookie and "secure" in device_cookie

    phone = client.application.test_client()
    page = phone.get(f"/r/{window.qr_token}", base_url=https)
    resident = _cookie_attributes(page, "hall_device")
    assert "httponly" in resident and "secure" in resident and resident["samesite"] == "Lax"

    from kiosk.services import devices

    _device, code = devices.create_device(hall, "kiosk", "k", None, now=utcnow())
    db.session.commit()
    tablet = client.application.test_client()
    fields = hidden_fields(tablet.get("/kiosk/pair", base_url=https).get_data(as_text=True))
    paired = tablet.post(
        "/kiosk/pair", data={**fields, "code": code}, base_url=https, headers=referer
    )
    credential = _cookie_attributes(paired, COOKIE)
    assert "httponly" in credential and "secure" in credential
    assert credential["samesite"] == "Strict"

    lang = phone.get("/lang/en?next=/", base_url=https)
    language = _cookie_attributes(lang, "lang")
    assert "httponly" in language and "secure" in language and language["samesite"] == "Lax"


def test_cookies_are_not_marked_secure_over_plain_http(client, window):
    page = client.get(f"/r/{window.qr_token}")
    assert "secure" not in _cookie_attributes(page, "hall_device")


# --- open redirects ----------------------------------------------------------------------

# ?next= values that must never leave the site. Browsers drop tabs and newlines from a URL and
# read "\\" as "/", so "/\t/evil.example" and "/\\evil.example" both mean //evil.example.
HOSTILE_NEXT = [
    "//evil.example",
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil",
    "\\/evil.example",
    "/\t/evil.example",  # the query string's %2F%09%2F, decoded
    "/\n/evil",
    "/\r\n/evil",
    "/\r/evil",
    "/\x00/evil",
    "/\x0b/evil",
    "/\x7f/evil",
    "/ok\n",
    "\t//evil.example",
    " //evil",
    "https://evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil",
    "evil.example",
    "//" + "a" * 10_000,
    "/\t" * 3_000,
]
# Odd, but paths on this site: followed as they are.
LOCAL_NEXT = ["/%2F%2Fevil", "/%09/evil.example", "/staff/?q=//evil.example", "/" + "a" * 10_000]


def _login_with_next(client, make_user, target: str):  # type: ignore[no-untyped-def]
    user = make_user("zhang", "supervisor")
    page = client.get("/auth/login", query_string={"next": target})
    assert page.status_code < 500
    data = {**hidden_fields(page.get_data(as_text=True)), "username": user.username}
    return client.post(
        "/auth/login",
        query_string={"next": target},
        data={**data, "password": PASSWORDS["supervisor"]},
    )


# Every endpoint that takes ?next=, how to call it, and where it falls back to.
NEXT_ENDPOINTS = {
    "main.set_language": (
        lambda client, _make_user, target: client.get("/lang/en", query_string={"next": target}),
        "/",
    ),
    "auth.login": (_login_with_next, "/staff/"),
}


def _assert_local_location(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code < 500
    location = response.headers.get("Location", "")
    assert location.startswith("/") and not location.startswith("//"), location[:80]
    assert "\\" not in location and not re.search(r"[\x00-\x1f\x7f]", location), location[:80]
    return location


@pytest.mark.parametrize("endpoint", sorted(NEXT_ENDPOINTS))
@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=lambda target: repr(target[:24]))
def test_no_hostile_next_leaves_the_site(client, make_user, endpoint, target):
    send, default = NEXT_ENDPOINTS[endpoint]
    response = send(client, make_user, target)
    if "\x00" in target:  # refused before any view (kiosk.security.refuse_nul_characters)
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code in (302, 303)
    assert _assert_local_location(response) == default


@pytest.mark.parametrize("endpoint", sorted(NEXT_ENDPOINTS))
@pytest.mark.parametrize("target", LOCAL_NEXT, ids=lambda target: repr(target[:24]))
def test_a_local_next_is_followed(client, make_user, endpoint, target):
    send, _default = NEXT_ENDPOINTS[endpoint]
    assert _assert_local_location(send(client, make_user, target)) == target


@pytest.mark.parametrize("target", [*HOSTILE_NEXT, None, ""], ids=lambda t: repr((t or "")[:24]))
def test_one_rule_decides_what_is_a_local_path(target):
    assert not is_local_path(target)
    assert local_path_or(target, "/fallback") == "/fallback"


def test_every_endpoint_that_reads_next_is_in_the_table():
    """A new reader of ?next= must join NEXT_ENDPOINTS (and decide through kiosk.redirects)."""
    import kiosk

    package = Path(kiosk.__file__).parent
    readers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"""\.get\(\s*["']next["']""", path.read_text(encoding="utf-8"))
    }
    assert readers == {"main.py", "auth.py"}
    assert len(NEXT_ENDPOINTS) == 2


# --- logs ----------------------------------------------------------------------------------


SECRET_PASSWORD = "Very-secret-pass-42"
PHONE = "13987654321"
COMPLAINT_TEXT = "窗口人员态度恶劣独特文本"


def _events(capsys) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return json_lines(capsys.readouterr().out)


def _assert_clean(text: str, *secrets: str) -> None:
    for secret in (SECRET_PASSWORD, PHONE, COMPLAINT_TEXT, *secrets):
        assert secret not in text, f"{secret!r} leaked into the log"


def test_security_events_are_logged_as_json_without_secrets(
    app, client, capsys, make_user, hall, window, staff, put_on_duty
):
    admin = make_user("boss", "admin")
    admin.set_password(SECRET_PASSWORD + "-admin")
    target = make_user("zhang", "supervisor")
    target.set_password(SECRET_PASSWORD)
    db.session.commit()
    capsys.readouterr()

    # Sign-in failures, then success.
    auth = Auth(client)
    auth.login("zhang", "wrong-" + SECRET_PASSWORD)
    auth.login("nobody-" + SECRET_PASSWORD, SECRET_PASSWORD)
    login = auth.login("zhang", SECRET_PASSWORD)
    session_cookie = client.get_cookie("session").value
    out = capsys.readouterr().out
    events = json_lines(out)
    names = [e["event"] for e in events]
    assert names.count("login_failed") == 2 and "login" in names
    assert next(e for e in events if e["event"] == "login")["user_id"] == target.id
    assert login.status_code == 302
    _assert_clean(out, session_cookie, "nobody-")

    # A CSRF failure.
    client.post("/staff/users/new", data={"username": "x", "csrf_token": "forged-token-value"})
    out = capsys.readouterr().out
    assert "csrf_failed" in [e["event"] for e in json_lines(out)]
    _assert_clean(out, "forged-token-value")

    # A complaint with a phone number; a supervisor reveals it.
    put_on_duty(staff, window)
    rate(app.test_client(), window.qr_token, 1)
    rating = db.session.scalar(select(Rating))
    phone_client = app.test_client()
    page = phone_client.get(f"/r/{window.qr_token}/thanks/{rating.idempotency_key}")
    fields = hidden_fields(page.get_data(as_text=True))
    phone_client.post(
        f"/r/{window.qr_token}/thanks/{rating.idempotency_key}",
        data={**fields, "reasons": "attitude", "text": COMPLAINT_TEXT, "phone": PHONE},
    )
    complaint = db.session.scalar(select(Complaint))
    assert complaint.contact_phone == PHONE
    page = client.get(f"/staff/complaints/{complaint.id}").get_data(as_text=True)
    revealed = client.post(
        f"/staff/complaints/{complaint.id}/reveal-phone",
        data={"csrf_token": hidden_fields(page)["csrf_token"]},
    )
    assert PHONE in revealed.get_data(as_text=True)
    out = capsys.readouterr().out
    reveal = [e for e in json_lines(out) if e["event"] == "phone_revealed"]
    assert reveal and reveal[0]["complaint_id"] == complaint.id
    assert reveal[0]["actor_id"] == target.id
    _assert_clean(out)

    # Admin changes: an account, a role, a setting.
    admin_client = app.test_client()
    admin_auth = Auth(admin_client)
    admin_auth.login("boss", SECRET_PASSWORD + "-admin")
    form = hidden_fields(admin_client.get("/staff/users/new").get_data(as_text=True))
    new_password = "Brand-new-" + SECRET_PASSWORD
    admin_client.post(
        "/staff/users/new",
        data={
            **form,
            "username": "newbie",
            "role": "supervisor",
            "staff_id": "0",
            "password": new_password,
            "confirm": new_password,
        },
    )
    newbie = db.session.scalar(select(User).where(User.username == "newbie"))
    form = hidden_fields(admin_client.get(f"/staff/users/{newbie.id}/edit").get_data(as_text=True))
    admin_client.post(
        f"/staff/users/{newbie.id}/edit",
        data={**form, "role": "staff", "staff_id": str(staff.id)},
    )
    from tests.views.test_settings_page import FORM

    settings_form = hidden_fields(admin_client.get("/staff/settings").get_data(as_text=True))
    admin_client.post(
        "/staff/settings",
        data={**settings_form, **FORM, "hall_name": hall.name, "OPENING_HOURS": "09:00-18:00"},
    )
    out = capsys.readouterr().out
    changes = [e for e in json_lines(out) if e["event"] == "admin_change"]
    actions = [e["action"] for e in changes]
    assert "user.create" in actions and "user.update" in actions and "setting.change" in actions
    assert all(e["actor_id"] == admin.id for e in changes)
    _assert_clean(out, new_password, SECRET_PASSWORD + "-admin")


def test_a_lockout_is_logged(client, capsys, make_user):
    make_user("zhang", "supervisor")
    auth = Auth(client)
    for n in range(10):
        auth.login("zhang", f"{SECRET_PASSWORD}-{n}")
    capsys.readouterr()
    assert auth.login("zhang", SECRET_PASSWORD).status_code == 429
    out = capsys.readouterr().out
    assert "login_throttled" in [e["event"] for e in json_lines(out)]
    _assert_clean(out)


def test_rate_limit_hits_are_logged(app, client, capsys, window):
    app.config["STUFFING_WINDOW_LIMIT"] = 1
    for _ in range(2):
        rate(app.test_client(), window.qr_token, 5)
    out = capsys.readouterr().out
    hits = [e for e in json_lines(out) if e["event"] == "rate_limited"]
    assert len(hits) == 1 and hits[0]["scopes"] == ["window"]
    assert hits[0]["window_id"] == window.id
    _assert_clean(out, window.qr_token)


def test_every_log_line_is_one_json_object(client, capsys, window):
    client.get("/")
    rate(client, window.qr_token, 2)
    client.get("/no-such-page")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)


# --- trusted proxies -----------------------------------------------------------------------


def _fail_logins(client, count: int, xff: str | None = None, prefix: str = "guess") -> list[int]:  # type: ignore[no-untyped-def]
    statuses = []
    for n in range(count):
        fields = hidden_fields(client.get("/auth/login").get_data(as_text=True))
        headers = {"X-Forwarded-For": xff or f"10.0.{n}.{n}"}
        data = {**fields, "username": f"{prefix}{n}", "password": "wrong-password"}
        statuses.append(client.post("/auth/login", data=data, headers=headers).status_code)
    return statuses


def test_without_trusted_proxies_x_forwarded_for_cannot_dodge_the_limit(client, make_user):
    make_user("zhang", "supervisor")
    assert _fail_logins(client, 20) == [400] * 20  # twenty addresses claimed, one real
    fields = hidden_fields(client.get("/auth/login").get_data(as_text=True))
    data = {**fields, "username": "zhang", "password": PASSWORDS["supervisor"]}
    response = client.post("/auth/login", data=data, headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 429


def test_with_one_trusted_proxy_its_forwarded_address_is_used(app_config, tmp_path, make_user):
    make_user("zhang", "supervisor")
    proxied = create_app({**app_config, "PROXY_HOPS": 1}, instance_path=str(tmp_path / "p"))
    client = proxied.test_client()
    assert _fail_logins(client, 20, xff="198.51.100.7") == [400] * 20
    assert _fail_logins(client, 1, xff="198.51.100.7", prefix="again") == [429]
    fields = hidden_fields(client.get("/auth/login").get_data(as_text=True))
    data = {**fields, "username": "zhang", "password": PASSWORDS["supervisor"]}
    other = client.post("/auth/login", data=data, headers={"X-Forwarded-For": "203.0.113.5"})
    assert other.status_code == 302  # another resident behind the same proxy is not locked out

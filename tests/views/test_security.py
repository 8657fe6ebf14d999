"""Security checklist: headers, sessions, sign-in throttling."""

from datetime import datetime, timedelta

import pytest

from kiosk import create_app
from kiosk.models._types import utcnow
from tests.conftest import Auth
from tests.helpers import hidden_fields


@pytest.mark.parametrize("path", ["/", "/auth/login", "/healthz", "/no-such-page", "/staff/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def _https_tap(client, window, **headers):  # type: ignore[no-untyped-def]
    base = "https://hall.example.test"
    page = client.get(f"/r/{window.qr_token}", base_url=base)
    # Browsers send a same-origin Referer only if the page's Referrer-Policy lets them.
    assert page.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    data = {**hidden_fields(page.get_data(as_text=True)), "level": "4"}
    return client.post(f"/r/{window.qr_token}", data=data, base_url=base, headers=headers)


def test_an_https_tap_with_the_same_origin_referer_is_stored(client, window, staff, put_on_duty):
    put_on_duty(staff, window)
    referer = f"https://hall.example.test/r/{window.qr_token}"
    response = _https_tap(client, window, Referer=referer)
    assert response.status_code == 303


@pytest.mark.parametrize("referer", [None, "https://evil.example/r/x"])
def test_an_https_post_without_a_same_origin_referer_is_still_refused(client, window, referer):
    headers = {"Referer": referer} if referer else {}
    response = _https_tap(client, window, **headers)
    assert response.status_code == 400  # Flask-WTF's strict check stays on


def test_hsts_when_served_over_https(client):
    response = client.get("/", base_url="https://hall.example.test")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_session_cookie_is_httponly_samesite_and_secure_for_https(app, client, auth, make_user):
    auth.login_as(make_user("zhang", "supervisor"))
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"]  # PUBLIC_URL in the tests is https


def test_a_replayed_cookie_is_refused_after_logout(app, client, auth, make_user):
    auth.login_as(make_user("zhang", "supervisor"))
    stolen = client.get_cookie("session").value
    fields = hidden_fields(client.get("/staff/").get_data(as_text=True))
    client.post("/auth/logout", data=fields)
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    assert thief.get("/staff/").status_code == 302


def test_login_starts_a_new_session(client, auth, make_user):
    client.get("/auth/login")
    before = client.get_cookie("session").value
    auth.login_as(make_user("zhang", "supervisor"))
    assert client.get_cookie("session").value != before


def test_idle_session_times_out(app, client, auth, make_user):
    moment = [utcnow()]
    app.config["SESSION_CLOCK"] = lambda: moment[0]
    auth.login_as(make_user("zhang", "supervisor"))
    moment[0] += timedelta(minutes=20)
    assert client.get("/staff/").status_code == 200
    moment[0] += timedelta(minutes=20)  # 20 idle minutes since the last page: still fine
    assert client.get("/staff/").status_code == 200
    moment[0] += timedelta(minutes=31)
    assert client.get("/staff/").status_code == 302


def test_session_ends_after_the_absolute_limit_even_when_busy(app, client, auth, make_user):
    moment = [utcnow()]
    app.config["SESSION_CLOCK"] = lambda: moment[0]
    auth.login_as(make_user("zhang", "supervisor"))
    for _ in range(12 * 3):
        moment[0] += timedelta(minutes=20)
        client.get("/staff/")
    moment[0] += timedelta(minutes=20)
    assert client.get("/staff/").status_code == 302


def test_ten_failed_logins_lock_the_account_with_429(client, auth, make_user):
    make_user("zhang", "supervisor")
    statuses = [auth.login("zhang", f"wrong-{n}").status_code for n in range(10)]
    assert statuses == [400] * 10
    assert auth.login("zhang", "s3cure-pass").status_code == 429  # even the right password


def _login_from(client, address: str, username: str, password: str) -> int:  # type: ignore[no-untyped-def]
    environ = {"REMOTE_ADDR": address}
    page = client.get("/auth/login", environ_base=environ).get_data(as_text=True)
    data = {**hidden_fields(page), "username": username, "password": password}
    return client.post("/auth/login", data=data, environ_base=environ).status_code


def test_one_persons_failures_lock_only_their_account_not_colleagues_behind_one_address(
    app, client, auth, make_user
):
    # Every test client comes from 127.0.0.1: a whole hall behind one NAT address.
    make_user("zhang", "supervisor")
    make_user("li", "supervisor")
    assert [auth.login("zhang", f"wrong-{n}").status_code for n in range(10)] == [400] * 10
    assert auth.login("zhang", "s3cure-pass").status_code == 429
    assert Auth(app.test_client()).login("li", "s3cure-pass").status_code == 302


def test_a_spray_over_many_accounts_from_one_address_throttles_the_address(
    app, client, auth, make_user
):
    make_user("zhang", "supervisor")
    statuses = [auth.login(f"guess{n}", "whatever").status_code for n in range(19)]
    assert statuses == [400] * 19
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 302
    assert auth.login("guess19", "whatever").status_code == 400  # the 20th distinct name
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 429
    assert _login_from(app.test_client(), "192.0.2.8", "zhang", "s3cure-pass") == 302


def test_many_failures_over_a_few_accounts_from_one_address_throttle_the_address(
    app, auth, make_user
):
    make_user("zhang", "supervisor")
    statuses = [auth.login(f"guess{n % 5}", f"wrong-{n}").status_code for n in range(50)]
    assert statuses == [400] * 50  # five names, ten guesses each
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 429


def test_an_accounts_lock_holds_from_every_address(app, make_user):
    make_user("zhang", "supervisor")
    for n in range(10):
        assert _login_from(app.test_client(), f"10.0.0.{n}", "zhang", f"wrong-{n}") == 400
    assert _login_from(app.test_client(), "10.0.1.1", "zhang", "s3cure-pass") == 429


def test_throttling_is_shared_between_workers(app, app_config, tmp_path, make_user):
    """Two app instances on one database (as two gunicorn workers) share the count."""
    make_user("zhang", "supervisor")
    other = create_app(app_config, instance_path=str(tmp_path / "other"))
    for n in range(5):
        Auth(app.test_client()).login("zhang", f"wrong-{n}")
        Auth(other.test_client()).login("zhang", f"wrong-{n}")
    assert Auth(other.test_client()).login("zhang", "s3cure-pass").status_code == 429


def test_distinct_names_are_counted_across_workers(app, app_config, tmp_path, make_user):
    make_user("zhang", "supervisor")
    other = create_app(app_config, instance_path=str(tmp_path / "other"))
    for n in range(10):
        Auth(app.test_client()).login(f"guess{n}", "whatever")
        Auth(other.test_client()).login(f"guess{n}", "whatever")  # the same ten names
    assert Auth(other.test_client()).login("zhang", "s3cure-pass").status_code == 302
    for n in range(10, 20):
        Auth(other.test_client()).login(f"guess{n}", "whatever")
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 429


def test_failures_either_side_of_a_window_edge_add_up(app, client, auth, make_user):
    window = timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"])
    edge = datetime(2026, 12, 7, 3, 0)  # 11:00 in the hall: a window starts here
    moment = [edge - timedelta(minutes=1)]
    app.config["CLOCK"] = lambda: moment[0]
    make_user("zhang", "supervisor")
    for n in range(10):
        if n == 5:
            moment[0] = edge + timedelta(minutes=1)
        assert auth.login("zhang", f"wrong-{n}").status_code == 400
    assert auth.login("zhang", "s3cure-pass").status_code == 429
    moment[0] = edge + 2 * window  # both windows that held a failure are over
    assert auth.login("zhang", "s3cure-pass").status_code == 302


def test_throttle_window_passes(app, client, auth, make_user):
    moment = [utcnow()]
    app.config["CLOCK"] = lambda: moment[0]
    make_user("zhang", "supervisor")
    for n in range(10):
        auth.login("zhang", f"wrong-{n}")
    moment[0] += timedelta(minutes=31)
    assert auth.login("zhang", "s3cure-pass").status_code == 302

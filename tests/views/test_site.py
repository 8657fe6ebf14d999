"""Site-wide behaviour: health check, error pages, languages, icons."""

import re

from sqlalchemy import text


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from kiosk.extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "页面不存在" in html and "返回首页" in html


def test_unexpected_error_is_a_friendly_500_without_details(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "系统出错了" in html and "secret detail" not in html


def test_chinese_is_the_default_language(client):
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "工作人员入口" in html


def test_english_by_accept_language(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html and "Staff sign-in" in html


def test_language_switch_is_remembered(client):
    response = client.get("/lang/en?next=/")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Staff sign-in" in client.get("/").get_data(as_text=True)
    client.get("/lang/zh_CN?next=/")
    assert "工作人员入口" in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_to_redirect_off_site(client):
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"


def test_english_rating_page(client, window):
    html = client.get(f"/r/{window.qr_token}?lang=en").get_data(as_text=True)
    assert "Very satisfied" in html and "Very dissatisfied" in html


def test_database_session_is_usable(ctx):
    from kiosk.extensions import db

    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_oversize_post_by_a_signed_in_user_gets_the_413_page(app, client, auth, make_user):
    auth.login_as(make_user("zhang", "supervisor"))
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/auth/logout", data={"pad": big})
    assert response.status_code == 413
    assert "内容过大" in response.get_data(as_text=True)


def test_pages_link_an_icon_that_is_served(client, window):
    for path in ("/", f"/r/{window.qr_token}", "/auth/login"):
        html = client.get(path).get_data(as_text=True)
        icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', html)
        assert len(icons) == 2, path
        for href in icons:
            response = client.get(href)
            assert response.status_code == 200, href
            assert response.mimetype in {"image/svg+xml", "image/png"}, href


def test_favicon_ico_is_served_for_browsers_that_ask_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\0\0\1\0"  # an ICO file
    assert "max-age" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"

"""Signing in to the staff area, and the login wall around it."""

from tests.helpers import hidden_fields


def test_staff_area_requires_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_login_then_staff_home_shows_user_and_role(client, auth, make_user):
    user = make_user("zhang", "supervisor")
    response = auth.login_as(user)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert "zhang" in page and "负责人" in page


def test_unknown_user_and_wrong_password_get_the_same_message(client, auth, make_user):
    make_user("zhang", "supervisor")
    wrong = auth.login("zhang", "not-the-password")
    unknown = auth.login("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert "用户名或密码不正确" in unknown.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_deactivated_account_cannot_sign_in(client, auth, make_user):
    make_user("old", "staff", active=False)
    assert auth.login("old", "clerk-pass-1").status_code == 400


def test_login_redirects_only_to_local_paths(client, auth, make_user):
    user = make_user("zhang", "supervisor")
    page = client.get("/auth/login?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={**hidden_fields(page), "username": user.username, "password": "s3cure-pass"},
    )
    assert response.headers["Location"] == "/staff/"


def test_logout_needs_post_with_csrf_and_ends_the_session(client, auth, make_user):
    auth.login_as(make_user("zhang", "supervisor"))
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400  # no CSRF token
    assert client.get("/staff/").status_code == 200
    fields = hidden_fields(client.get("/staff/").get_data(as_text=True))
    assert client.post("/auth/logout", data=fields).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_roles_are_checked_on_the_server(app, client, auth, make_user):
    from kiosk.auth import roles_required

    @app.get("/admin-only-probe")
    @roles_required("admin")
    def probe():  # type: ignore[no-untyped-def]
        return "ok"

    assert client.get("/admin-only-probe").status_code == 302
    auth.login_as(make_user("clerk", "staff"))
    assert client.get("/admin-only-probe").status_code == 403
    fields = hidden_fields(client.get("/staff/").get_data(as_text=True))
    client.post("/auth/logout", data=fields)
    auth.login_as(make_user("boss", "admin"))
    assert client.get("/admin-only-probe").status_code == 200


def test_password_is_stored_hashed(ctx, make_user):
    user = make_user("zhang", "supervisor")
    assert "s3cure-pass" not in user.password_hash
    assert user.check_password("s3cure-pass") and not user.check_password("s3cure-pasS")

"""The admins' settings page: defaults shown, changes validated, stored and audit-logged."""

import re
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Hall, Rating, Setting, User, Window
from kiosk.services.settings import setting
from tests.conftest import PASSWORDS, Auth, hall_time
from tests.helpers import hidden_fields, rate

FORM = {
    "hall_name": "幸福社区便民服务中心",
    "OPENING_HOURS": "08:30-17:30",
    "COMPLAINT_VERIFY_DAYS": "1",
    "COMPLAINT_RECTIFY_DAYS": "5",
    "COMPLAINT_FOLLOWUP_DAYS": "2",
    "COMPLAINT_APPEAL_DAYS": "5",
    "CONTACT_RETENTION_DAYS": "30",
    "BOARD_POLL_SECONDS": "10",
    "BOARD_ROTATE_SECONDS": "20",
    "EXTRA_HOLIDAYS": "",
}


@pytest.fixture
def admin(make_user, auth):  # type: ignore[no-untyped-def]
    user = make_user("root", role="admin")
    auth.login_as(user)
    return user


def post(client, **changes: str):  # type: ignore[no-untyped-def]
    page = client.get("/staff/settings").get_data(as_text=True)
    return client.post("/staff/settings", data={**hidden_fields(page), **FORM, **changes})


def test_admin_sees_every_setting_with_its_default(client, admin, app) -> None:
    app.config["COMPLAINT_RECTIFY_DAYS"] = 6  # as set in instance/config.py, say
    response = client.get("/staff/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="幸福社区便民服务中心"' in html
    assert 'name="OPENING_HOURS"' in html and 'value="08:30-17:30"' in html
    assert 'name="COMPLAINT_RECTIFY_DAYS"' in html and 'value="6"' in html
    assert '<td class="settings-default">6</td>' in html
    for name in (
        "COMPLAINT_FOLLOWUP_DAYS",
        "COMPLAINT_APPEAL_DAYS",
        "CONTACT_RETENTION_DAYS",
        "BOARD_ROTATE_SECONDS",
    ):
        assert f'name="{name}"' in html
    assert "/staff/settings" in client.get("/staff/").get_data(as_text=True)  # nav link


def test_saving_stores_overrides_renames_the_hall_and_logs_it(client, admin, hall, app) -> None:
    response = post(
        client,
        hall_name="幸福里便民服务中心",
        OPENING_HOURS="09:00-18:00",
        COMPLAINT_RECTIFY_DAYS="3",
        EXTRA_HOLIDAYS="2026-10-09\n2026-05-06",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存 4 项设置" in page
    assert '<td class="settings-default">08:30-17:30</td>' in page  # default still shown
    assert 'value="09:00-18:00"' in page
    db.session.expire_all()
    assert db.session.get(Hall, hall.id).name == "幸福里便民服务中心"
    stored = {(row.hall_id, row.key): row.value for row in db.session.scalars(select(Setting))}
    assert stored == {
        (hall.id, "OPENING_HOURS"): "09:00-18:00",
        (hall.id, "COMPLAINT_RECTIFY_DAYS"): 3,
        (hall.id, "EXTRA_HOLIDAYS"): ["2026-05-06", "2026-10-09"],
    }
    with app.test_request_context("/"):
        assert setting("COMPLAINT_RECTIFY_DAYS", hall=hall) == 3
    entries = db.session.scalars(select(AuditEntry)).all()
    assert sorted(e.action for e in entries) == ["hall.rename", *["setting.change"] * 3]
    assert {e.hall_id for e in entries} == {hall.id}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("OPENING_HOURS", "17:30-08:30"),
        ("OPENING_HOURS", "早上九点"),
        ("COMPLAINT_VERIFY_DAYS", "0"),
        ("COMPLAINT_VERIFY_DAYS", "abc"),
        ("BOARD_POLL_SECONDS", "99999999999999999999"),
        ("EXTRA_HOLIDAYS", "2026-13-01"),
        ("hall_name", ""),
        ("hall_name", "很" * 121),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(client, admin, hall, field, value) -> None:
    response = post(client, **{field: value, "COMPLAINT_RECTIFY_DAYS": "4"})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Setting)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []
    db.session.expire_all()
    assert db.session.get(Hall, hall.id).name == "幸福社区便民服务中心"


def test_a_post_without_csrf_token_changes_nothing(client, admin) -> None:
    response = client.post("/staff/settings", data={**FORM, "OPENING_HOURS": "09:00-18:00"})
    assert response.status_code == 400
    assert db.session.scalars(select(Setting)).all() == []


@pytest.mark.parametrize("role", ["supervisor", "staff"])
def test_only_admins_may_open_the_settings(client, make_user, auth, role) -> None:
    auth.login_as(make_user("someone", role=role))
    assert client.get("/staff/settings").status_code == 403
    assert client.post("/staff/settings", data=FORM).status_code in (400, 403)
    assert "/staff/settings" not in client.get("/staff/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get("/staff/settings")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- settings belong to a hall (issue 23, point 4) -------------------------------------------


@pytest.fixture
def second_hall(make_hall, hall) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Hall 2 with a window and its own admin, next to hall 1 (the `hall` fixture)."""
    other = make_hall(slug="second", name="第二便民服务中心")
    boss = User(username="boss2", role="admin", hall=other)
    boss.set_password(PASSWORDS["admin"])
    window = Window(hall=other, number=1, name="第二中心窗口")
    db.session.add_all([boss, window])
    db.session.commit()
    return {"hall": other, "admin": boss, "window": window}


def test_a_halls_admin_changes_only_that_halls_settings(
    app, client, make_user, hall, window, second_hall, set_clock
) -> None:
    app.config["STUFFING_FLAG_OFF_HOURS"] = True
    first_admin = make_user("root", role="admin")
    second_client = app.test_client()
    Auth(second_client).login_as(second_hall["admin"])
    response = post(
        second_client,
        hall_name=second_hall["hall"].name,
        OPENING_HOURS="11:00-12:00",
        CONTACT_RETENTION_DAYS="7",
        COMPLAINT_VERIFY_DAYS="3",
    )
    assert response.status_code == 302

    # Hall 2's page shows hall 2's values; hall 1's page still shows hall 1's own.
    second_page = second_client.get("/staff/settings").get_data(as_text=True)
    assert 'value="11:00-12:00"' in second_page and 'value="第二便民服务中心"' in second_page
    Auth(client).login_as(first_admin)
    first_page = client.get("/staff/settings").get_data(as_text=True)
    assert 'value="08:30-17:30"' in first_page and 'value="11:00-12:00"' not in first_page
    assert re.search(r'<input[^>]*name="CONTACT_RETENTION_DAYS"[^>]*value="30"', first_page)
    assert re.search(r'<input[^>]*name="CONTACT_RETENTION_DAYS"[^>]*value="7"', second_page)
    assert "已修改" not in first_page

    # The changes are audited under hall 2, where its admins see them, and not under hall 1.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "setting.change"))
    assert {(e.hall_id, e.actor_id) for e in entries} == {
        (second_hall["hall"].id, second_hall["admin"].id)
    }
    assert "name=OPENING_HOURS" in second_client.get("/staff/audit").get_data(as_text=True)
    assert "name=OPENING_HOURS" not in client.get("/staff/audit").get_data(as_text=True)

    # Hall 1's own change shows in hall 1's audit log, and hall 2's is left as it was.
    assert post(client, COMPLAINT_RECTIFY_DAYS="8").status_code == 302
    first_audit = client.get("/staff/audit").get_data(as_text=True)
    assert "name=COMPLAINT_RECTIFY_DAYS" in first_audit and "name=OPENING_HOURS" not in first_audit
    assert "name=COMPLAINT_RECTIFY_DAYS" not in second_client.get("/staff/audit").get_data(
        as_text=True
    )
    with app.test_request_context("/"):
        assert setting("COMPLAINT_RECTIFY_DAYS", hall=second_hall["hall"]) == 5
        assert setting("OPENING_HOURS", hall=second_hall["hall"]) == "11:00-12:00"

    # A 10:00 tap at hall 1 is inside hall 1's hours and counted; at hall 2 it is not.
    set_clock(hall_time(2026, 11, 10, 10, 0))
    rate(app.test_client(), window.qr_token, 5)
    rate(app.test_client(), second_hall["window"].qr_token, 5)
    by_hall = {r.hall_id: (r.status, r.flags) for r in db.session.scalars(select(Rating))}
    assert by_hall == {
        hall.id: ("counted", []),
        second_hall["hall"].id: ("quarantined", ["off_hours"]),
    }


def test_a_rating_is_quarantined_by_its_own_halls_hours_only(
    app, client, admin, hall, window, second_hall, set_clock
) -> None:
    app.config["STUFFING_FLAG_OFF_HOURS"] = True
    assert post(client, OPENING_HOURS="11:00-12:00").status_code == 302  # hall 1's admin
    set_clock(hall_time(2026, 11, 10, 10, 0))
    rate(app.test_client(), window.qr_token, 5)
    rate(app.test_client(), second_hall["window"].qr_token, 5)
    by_hall = {r.hall_id: (r.status, r.flags) for r in db.session.scalars(select(Rating))}
    assert by_hall == {
        hall.id: ("quarantined", ["off_hours"]),
        second_hall["hall"].id: ("counted", []),
    }


def test_an_account_without_a_hall_has_no_settings_to_change(client, auth, hall) -> None:
    nobody = User(username="nobody", role="admin")
    nobody.set_password(PASSWORDS["admin"])
    db.session.add(nobody)
    db.session.commit()
    auth.login_as(nobody)
    assert client.get("/staff/settings").status_code == 403
    assert client.post("/staff/settings", data=FORM).status_code in (400, 403)
    assert db.session.scalars(select(Setting)).all() == []

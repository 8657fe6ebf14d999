"""The admins' settings page: defaults shown, changes validated, stored and audit-logged."""

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Hall, Setting
from kiosk.services.settings import setting
from tests.helpers import hidden_fields

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
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    assert stored == {
        "OPENING_HOURS": "09:00-18:00",
        "COMPLAINT_RECTIFY_DAYS": 3,
        "EXTRA_HOLIDAYS": ["2026-05-06", "2026-10-09"],
    }
    with app.test_request_context("/"):
        assert setting("COMPLAINT_RECTIFY_DAYS") == 3
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert sorted(actions) == ["hall.rename", *["setting.change"] * 3]


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

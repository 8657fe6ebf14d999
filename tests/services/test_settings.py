"""setting(): the admin's override from the database, else the configured value."""

import pytest
from sqlalchemy import event, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Setting
from kiosk.services.settings import SettingError, save_settings, setting


def test_without_overrides_settings_come_from_the_configuration(app, ctx, backend) -> None:
    app.config["COMPLAINT_RECTIFY_DAYS"] = 7
    assert setting("COMPLAINT_RECTIFY_DAYS") == 7
    assert setting("OPENING_HOURS") == "08:30-17:30"


def test_a_saved_override_wins_and_is_audited(ctx, make_user, hall, backend) -> None:
    admin = make_user("root", role="admin")
    changed = save_settings(
        {"OPENING_HOURS": "09:00-18:00", "COMPLAINT_VERIFY_DAYS": 2, "EXTRA_HOLIDAYS": []},
        actor=admin,
        hall=hall,
    )
    db.session.commit()
    assert changed == ["OPENING_HOURS", "COMPLAINT_VERIFY_DAYS"]
    assert setting("OPENING_HOURS") == "09:00-18:00"
    assert setting("COMPLAINT_VERIFY_DAYS") == 2
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.detail["name"], e.detail["old"], e.detail["new"]) for e in entries] == [
        ("setting.change", "OPENING_HOURS", "08:30-17:30", "09:00-18:00"),
        ("setting.change", "COMPLAINT_VERIFY_DAYS", 1, 2),
    ]
    assert all(e.actor_id == admin.id and e.hall_id == hall.id for e in entries)


def test_setting_back_to_the_default_removes_the_override(ctx, backend) -> None:
    save_settings({"BOARD_ROTATE_SECONDS": 45}, actor=None, hall=None)
    db.session.commit()
    assert db.session.scalar(select(Setting.value).where(Setting.key == "BOARD_ROTATE_SECONDS"))
    save_settings({"BOARD_ROTATE_SECONDS": 20}, actor=None, hall=None)
    db.session.commit()
    assert db.session.scalars(select(Setting)).all() == []
    assert setting("BOARD_ROTATE_SECONDS") == 20


def test_holidays_are_stored_as_sorted_iso_dates(ctx, backend) -> None:
    save_settings(
        {"EXTRA_HOLIDAYS": ["2026-10-09", " 2026-05-06", "2026-10-09"]}, actor=None, hall=None
    )
    db.session.commit()
    assert setting("EXTRA_HOLIDAYS") == ["2026-05-06", "2026-10-09"]


@pytest.mark.parametrize(
    "values",
    [
        {"OPENING_HOURS": "17:30-08:30"},
        {"OPENING_HOURS": "25:00-26:00"},
        {"OPENING_HOURS": 830},
        {"COMPLAINT_VERIFY_DAYS": 0},
        {"COMPLAINT_VERIFY_DAYS": "2"},
        {"COMPLAINT_VERIFY_DAYS": True},
        {"BOARD_POLL_SECONDS": 100000},
        {"EXTRA_HOLIDAYS": ["2026-02-30"]},
        {"EXTRA_HOLIDAYS": "2026-10-09"},
        {"SECRET_KEY": "not editable here"},
        {"OPENING_HOURS": "09:00-18:00", "CONTACT_RETENTION_DAYS": -1},
    ],
)
def test_invalid_values_write_nothing(ctx, values, backend) -> None:
    with pytest.raises(SettingError):
        save_settings(values, actor=None, hall=None)
    db.session.rollback()
    assert db.session.scalars(select(Setting)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_overrides_are_read_once_per_request(app, backend) -> None:
    with app.app_context():
        save_settings({"BOARD_POLL_SECONDS": 30}, actor=None, hall=None)
        db.session.commit()
    statements: list[str] = []
    with app.test_request_context("/board"):
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        values = [
            setting("BOARD_POLL_SECONDS"),
            setting("OPENING_HOURS"),
            setting("BOARD_POLL_SECONDS"),
        ]
    assert values == [30, "08:30-17:30", 30]
    assert sum("FROM setting" in s for s in statements) == 1


def test_another_worker_sees_a_change_on_its_next_request(app, app_config, tmp_path, backend):
    from kiosk import create_app

    other_worker = create_app(app_config, instance_path=str(tmp_path / "other"))
    with other_worker.test_request_context("/"):
        assert setting("COMPLAINT_FOLLOWUP_DAYS") == 2
    with app.app_context():
        save_settings({"COMPLAINT_FOLLOWUP_DAYS": 4}, actor=None, hall=None)
        db.session.commit()
    with other_worker.test_request_context("/"):
        assert setting("COMPLAINT_FOLLOWUP_DAYS") == 4
        db.session.remove()
    with other_worker.app_context():
        db.engine.dispose()

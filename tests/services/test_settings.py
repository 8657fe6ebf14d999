"""setting(): the hall's override from the database, else the configured value."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Setting
from kiosk.services import audit, complaints, workdays
from kiosk.services.settings import SettingError, save_settings, setting
from tests.conftest import hall_time


@pytest.fixture
def halls(make_hall, hall):  # type: ignore[no-untyped-def]
    """Two halls of one installation: hall 1 (the `hall` fixture) and hall 2."""
    return hall, make_hall(slug="second", name="第二便民服务中心")


def test_without_overrides_settings_come_from_the_configuration(app, ctx, hall, backend) -> None:
    app.config["COMPLAINT_RECTIFY_DAYS"] = 7
    assert setting("COMPLAINT_RECTIFY_DAYS", hall=hall) == 7
    assert setting("OPENING_HOURS", hall=hall) == "08:30-17:30"
    assert setting("OPENING_HOURS", hall=None) == "08:30-17:30"  # work that concerns no hall


def test_a_per_hall_setting_is_never_read_without_saying_which_hall(ctx, backend) -> None:
    with pytest.raises(TypeError):
        setting("OPENING_HOURS")
    assert setting("PUBLIC_URL")  # configuration only: the same for every hall


def test_a_saved_override_wins_and_is_audited(ctx, make_user, hall, backend) -> None:
    admin = make_user("root", role="admin")
    changed = save_settings(
        {"OPENING_HOURS": "09:00-18:00", "COMPLAINT_VERIFY_DAYS": 2, "EXTRA_HOLIDAYS": []},
        actor=admin,
        hall=hall,
    )
    db.session.commit()
    assert changed == ["OPENING_HOURS", "COMPLAINT_VERIFY_DAYS"]
    assert setting("OPENING_HOURS", hall=hall) == "09:00-18:00"
    assert setting("COMPLAINT_VERIFY_DAYS", hall=hall.id) == 2
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.detail["name"], e.detail["old"], e.detail["new"]) for e in entries] == [
        ("setting.change", "OPENING_HOURS", "08:30-17:30", "09:00-18:00"),
        ("setting.change", "COMPLAINT_VERIFY_DAYS", 1, 2),
    ]
    assert all(e.actor_id == admin.id and e.hall_id == hall.id for e in entries)


def test_one_halls_change_leaves_every_other_hall_alone(ctx, halls, backend) -> None:
    first, second = halls
    save_settings(
        {"OPENING_HOURS": "11:00-12:00", "CONTACT_RETENTION_DAYS": 7, "COMPLAINT_VERIFY_DAYS": 3},
        actor=None,
        hall=second,
    )
    db.session.commit()
    assert setting("OPENING_HOURS", hall=first) == "08:30-17:30"
    assert setting("CONTACT_RETENTION_DAYS", hall=first) == 30
    assert setting("COMPLAINT_VERIFY_DAYS", hall=first) == 1
    assert setting("OPENING_HOURS", hall=second) == "11:00-12:00"
    assert {row.hall_id for row in db.session.scalars(select(Setting))} == {second.id}

    # Hall 1 changes the same setting to its own value: two rows, each hall keeps its own.
    save_settings({"OPENING_HOURS": "07:00-19:00"}, actor=None, hall=first)
    db.session.commit()
    assert setting("OPENING_HOURS", hall=first) == "07:00-19:00"
    assert setting("OPENING_HOURS", hall=second) == "11:00-12:00"

    # Back to the default in hall 2 removes hall 2's override only.
    save_settings({"OPENING_HOURS": "08:30-17:30"}, actor=None, hall=second)
    db.session.commit()
    assert setting("OPENING_HOURS", hall=first) == "07:00-19:00"
    assert setting("OPENING_HOURS", hall=second) == "08:30-17:30"


def test_each_change_is_audited_where_its_halls_admins_see_it(ctx, halls, backend) -> None:
    first, second = halls
    save_settings({"OPENING_HOURS": "11:00-12:00"}, actor=None, hall=second)
    save_settings({"COMPLAINT_RECTIFY_DAYS": 9}, actor=None, hall=first)
    db.session.commit()

    def names(hall_id: int) -> list[str]:
        page = audit.audit_page(hall_id, action="setting.change")
        return [entry.detail["name"] for entry in page.entries]

    assert names(first.id) == ["COMPLAINT_RECTIFY_DAYS"]
    assert names(second.id) == ["OPENING_HOURS"]


def test_settings_are_changed_for_a_hall_only(ctx, backend) -> None:
    with pytest.raises(TypeError):
        save_settings({"OPENING_HOURS": "09:00-18:00"}, actor=None, hall=None)  # type: ignore[arg-type]


def test_setting_back_to_the_default_removes_the_override(ctx, hall, backend) -> None:
    save_settings({"BOARD_ROTATE_SECONDS": 45}, actor=None, hall=hall)
    db.session.commit()
    assert db.session.scalar(select(Setting.value).where(Setting.key == "BOARD_ROTATE_SECONDS"))
    save_settings({"BOARD_ROTATE_SECONDS": 20}, actor=None, hall=hall)
    db.session.commit()
    assert db.session.scalars(select(Setting)).all() == []
    assert setting("BOARD_ROTATE_SECONDS", hall=hall) == 20


def test_holidays_are_stored_as_sorted_iso_dates(ctx, hall, backend) -> None:
    save_settings(
        {"EXTRA_HOLIDAYS": ["2026-10-09", " 2026-05-06", "2026-10-09"]}, actor=None, hall=hall
    )
    db.session.commit()
    assert setting("EXTRA_HOLIDAYS", hall=hall) == ["2026-05-06", "2026-10-09"]


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
def test_invalid_values_write_nothing(ctx, hall, values, backend) -> None:
    with pytest.raises(SettingError):
        save_settings(values, actor=None, hall=hall)
    db.session.rollback()
    assert db.session.scalars(select(Setting)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_overrides_are_read_once_per_request(app, make_hall, backend) -> None:
    with app.app_context():
        first, second = make_hall(), make_hall()
        save_settings({"BOARD_POLL_SECONDS": 30}, actor=None, hall=first)
        save_settings({"BOARD_POLL_SECONDS": 40}, actor=None, hall=second)
        db.session.commit()
        first_id, second_id = first.id, second.id
    statements: list[str] = []
    with app.test_request_context("/board"):
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        values = [
            setting("BOARD_POLL_SECONDS", hall=first_id),
            setting("OPENING_HOURS", hall=first_id),
            setting("BOARD_POLL_SECONDS", hall=second_id),
            setting("BOARD_POLL_SECONDS", hall=first_id),
        ]
    assert values == [30, "08:30-17:30", 40, 30]
    assert sum("FROM setting" in s for s in statements) == 1


def test_another_worker_sees_a_change_on_its_next_request(
    app, app_config, tmp_path, hall, backend
) -> None:
    from kiosk import create_app

    hall_id = hall.id
    other_worker = create_app(app_config, instance_path=str(tmp_path / "other"))
    with other_worker.test_request_context("/"):
        assert setting("COMPLAINT_FOLLOWUP_DAYS", hall=hall_id) == 2
    with app.app_context():
        save_settings({"COMPLAINT_FOLLOWUP_DAYS": 4}, actor=None, hall=db.session.merge(hall))
        db.session.commit()
    with other_worker.test_request_context("/"):
        assert setting("COMPLAINT_FOLLOWUP_DAYS", hall=hall_id) == 4
        db.session.remove()
    with other_worker.app_context():
        db.engine.dispose()


# --- the callers read their own hall's values ------------------------------------------------


def test_complaint_deadlines_follow_the_complaints_own_hall(ctx, halls, make_user, backend):
    first, second = halls
    save_settings({"COMPLAINT_VERIFY_DAYS": 5}, actor=None, hall=second)
    save_settings({"EXTRA_HOLIDAYS": ["2026-11-11"]}, actor=None, hall=first)
    db.session.commit()
    sup = make_user("sup", role="supervisor")
    received = hall_time(2026, 11, 10, 10)  # a Tuesday

    def complaint_at(hall_id: int):  # type: ignore[no-untyped-def]
        return complaints.create_standalone(
            hall_id, sup, window=None, staff=None, reason_tags=[], text="等了很久", phone=None,
            now=received,
        )  # fmt: skip

    # Hall 1: one working day, and its own holiday on Wednesday pushes it to Thursday.
    assert complaint_at(first.id).verify_due_at == hall_time(2026, 11, 13, 0)
    # Hall 2: five working days (Wednesday is an ordinary day there), due end of Tuesday 17th.
    assert complaint_at(second.id).verify_due_at == hall_time(2026, 11, 18, 0)
    assert workdays.is_working_day(date(2026, 11, 11), hall=second)
    assert not workdays.is_working_day(date(2026, 11, 11), hall=first)


def test_contact_numbers_are_erased_after_each_halls_own_retention(ctx, halls, make_user, backend):
    first, second = halls
    save_settings({"CONTACT_RETENTION_DAYS": 7}, actor=None, hall=second)
    db.session.commit()
    sup = make_user("sup", role="supervisor")
    closed = hall_time(2026, 11, 2, 10)
    kept_at_first, erased_at_second = (
        complaints.create_standalone(
            hall.id, sup, window=None, staff=None, reason_tags=[], text="等了很久",
            phone="13812345678", now=closed - timedelta(days=1),
        )
        for hall in (first, second)
    )  # fmt: skip
    for complaint in (kept_at_first, erased_at_second):
        complaint.status, complaint.closed_at = "closed", closed
    db.session.commit()
    assert complaints.erase_contacts(closed + timedelta(days=10)) == 1  # hall 1 keeps 30 days
    assert kept_at_first.contact_phone == "13812345678"
    assert erased_at_second.contact_phone is None

"""Hall-management services on SQLite and PostgreSQL: retired QR tokens, the append-only log."""

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, RetiredQrToken, User
from kiosk.services import audit, roster, windows
from kiosk.services.audit import AuditLogIsAppendOnly


@pytest.fixture
def admin(ctx, hall):  # type: ignore[no-untyped-def]
    user = User(username="admin", role="admin", hall=hall)
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.commit()
    return user


def test_regenerating_twice_keeps_both_old_tokens(app, backend, admin, window):
    with app.test_request_context():
        first = window.qr_token
        windows.regenerate_qr_token(window, actor=admin)
        second = window.qr_token
        windows.regenerate_qr_token(window, actor=admin)
        db.session.commit()
    assert len({first, second, window.qr_token}) == 3
    assert windows.retired_window(first) == window
    assert windows.retired_window(second) == window
    assert windows.retired_window(window.qr_token) is None
    assert db.session.scalar(select(db.func.count(RetiredQrToken.id))) == 2


def test_audit_entries_cannot_be_updated_or_deleted(backend, admin, hall):
    entry = audit.record(
        "window.create", actor=admin, target_type="window", target_id=1, hall_id=hall.id
    )
    db.session.commit()
    entry.reason = "rewritten history"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.reason)) == ""


def test_overlapping_duties_of_one_person_are_refused(
    app, backend, admin, hall, staff, make_window
):
    from datetime import datetime

    first, second = make_window(number=1), make_window(number=2)
    with app.test_request_context():
        roster.create_duty(
            hall.id,
            staff=staff,
            window=first,
            starts_at=datetime(2026, 11, 20, 0, 0),
            ends_at=None,
            actor=admin,
        )
        with pytest.raises(roster.RosterError):
            roster.create_duty(
                hall.id,
                staff=staff,
                window=second,
                starts_at=datetime(2026, 11, 25, 0, 0),
                ends_at=datetime(2026, 11, 25, 8, 0),
                actor=admin,
            )
        # Back to back is fine: the first ends when the second starts.
        duty = roster.create_duty(
            hall.id,
            staff=staff,
            window=second,
            starts_at=datetime(2026, 11, 19, 0, 0),
            ends_at=datetime(2026, 11, 20, 0, 0),
            actor=admin,
        )
    assert duty.id is not None

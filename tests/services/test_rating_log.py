"""The tamper-evident rating log, on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import select, text

from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.models._types import utcnow
from kiosk.models.rating_log import RatingLogEntry
from kiosk.services import rating_log, ratings
from tests.helpers import give_rating


def make_history(window) -> list[Rating]:
    now = utcnow()
    first = give_rating(
        window,
        1,
        "log-key-0001",
        channel="qr",
        now=now,
        device="d",
        replace_within=timedelta(minutes=30),
    ).rating
    give_rating(
        window,
        4,
        "log-key-0002",
        channel="qr",
        now=now,
        device="d",
        replace_within=timedelta(minutes=30),
    )
    second = give_rating(window, 5, "log-key-0003", channel="kiosk", now=now).rating
    ratings.change_ratings_status([second], "quarantined", flag="burst")
    ratings.change_ratings_status([second], "counted")
    db.session.commit()
    return [first, second]


def test_every_write_path_appends_a_chained_entry(window):
    make_history(window)
    events = db.session.scalars(select(RatingLogEntry.event).order_by(RatingLogEntry.id)).all()
    assert events == ["created", "replaced", "created", "status", "status"]
    assert rating_log.verify() == (5, [])


def test_a_rating_edited_behind_the_applications_back_is_found(window):
    first, _second = make_history(window)
    db.session.execute(text("UPDATE rating SET level = 5 WHERE id = :id"), {"id": first.id})
    db.session.commit()
    _checked, problems = rating_log.verify()
    assert [p.message for p in problems] == [f"rating {first.id} differs from its log (level)"]


def test_an_edited_log_entry_breaks_the_chain_there(window):
    make_history(window)
    third = db.session.scalars(select(RatingLogEntry.id).order_by(RatingLogEntry.id)).all()[2]
    entry = db.session.get(RatingLogEntry, third)
    entry.state = {**entry.state, "level": 1}
    db.session.commit()
    _checked, problems = rating_log.verify()
    assert problems[0].entry_id == third
    assert problems[0].message == f"chain broken at log entry {third}"


def test_a_deleted_entry_breaks_the_chain(window):
    make_history(window)
    first_id = db.session.scalar(select(RatingLogEntry.id).order_by(RatingLogEntry.id))
    db.session.execute(text("DELETE FROM rating_log WHERE id = :id"), {"id": first_id})
    db.session.commit()
    _checked, problems = rating_log.verify()
    assert problems and problems[0].message.startswith("chain broken at log entry")


def test_a_rating_inserted_behind_the_applications_back_is_found(window):
    make_history(window)
    db.session.execute(
        text(
            "INSERT INTO rating (hall_id, window_id, level, channel, idempotency_key, verified,"
            " created_at, received_at, status, flags) VALUES (:h, :w, 5, 'qr', 'sneaky-key-1',"
            " false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'counted', '[]')"
        ),
        {"h": window.hall_id, "w": window.id},
    )
    db.session.commit()
    _checked, problems = rating_log.verify()
    assert len(problems) == 1 and "is not in the log" in problems[0].message

"""Recording ratings: idempotency, replacement and races, on SQLite and PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Rating, RatingRevision
from kiosk.models._types import utcnow
from kiosk.services import ratings
from kiosk.services.duty import staff_on_duty


def count() -> int:
    db.session.commit()  # end this test's own transaction so its snapshot is fresh
    return db.session.scalar(select(func.count(Rating.id)))


def test_a_key_records_once_however_often_it_is_sent(window):
    now = utcnow()
    first = ratings.record_rating(window, 1, "key-aaaaaaaa", channel="kiosk", now=now)
    again = ratings.record_rating(window, 5, "key-aaaaaaaa", channel="kiosk", now=now)
    db.session.commit()
    assert not first.duplicate and again.duplicate
    assert again.rating.id == first.rating.id and again.rating.level == 1
    assert count() == 1


def test_replacement_keeps_the_earlier_submission_as_a_revision(window):
    now = utcnow()
    interval = timedelta(minutes=30)
    ratings.record_rating(
        window, 2, "key-first-1", channel="qr", now=now, device="d1", replace_within=interval
    )
    receipt = ratings.record_rating(
        window,
        4,
        "key-second",
        channel="qr",
        now=now + timedelta(minutes=5),
        device="d1",
        replace_within=interval,
    )
    db.session.commit()
    assert receipt.replaced and count() == 1
    revision = db.session.scalar(select(RatingRevision))
    assert (revision.level, revision.idempotency_key) == (2, "key-first-1")
    assert ratings.find_rating_by_key("key-first-1").id == receipt.rating.id


def test_offline_replay_keeps_the_tap_time_and_its_staff(window, staff, put_on_duty):
    now = utcnow()
    put_on_duty(staff, window, starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=2))
    tapped = now - timedelta(hours=3)
    receipt = ratings.record_rating(
        window, 5, "key-offline", channel="kiosk", now=now, tapped_at=tapped
    )
    db.session.commit()
    assert receipt.rating.created_at == tapped and receipt.rating.received_at == now
    assert receipt.rating.staff_id == staff.id


@pytest.mark.parametrize("level", [0, 6, "5", None, True, 2.0])
def test_invalid_levels_raise_and_write_nothing(window, level):
    with pytest.raises(ratings.RatingError):
        ratings.record_rating(window, level, "key-bad-level", channel="qr", now=utcnow())
    db.session.commit()
    assert count() == 0


def test_signin_beats_roster_for_attribution(window, make_staff, put_on_duty):
    rostered, signed_in = make_staff(), make_staff()
    put_on_duty(rostered, window)
    put_on_duty(signed_in, window, starts_at=utcnow() - timedelta(hours=2), source="signin")
    assert staff_on_duty(window.id, utcnow()) == signed_in


def test_concurrent_submits_of_one_key_store_one_rating(app, window):
    window_id = window.id
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with app.test_request_context(method="POST"):
                barrier.wait()  # before any query: on SQLite the first query takes the lock
                target = db.session.get(type(window), window_id)
                ratings.record_rating(target, 2, "key-race-0001", channel="pad", now=utcnow())
                db.session.commit()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert count() == 1

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
from kiosk.services.submission import RatingError, Submission, Tap
from tests.helpers import give_rating


def count() -> int:
    db.session.commit()  # end this test's own transaction so its snapshot is fresh
    return db.session.scalar(select(func.count(Rating.id)))


def test_a_key_records_once_however_often_it_is_sent(window):
    now = utcnow()
    first = give_rating(window, 1, "key-aaaaaaaa", channel="kiosk", now=now)
    again = give_rating(window, 5, "key-aaaaaaaa", channel="kiosk", now=now)
    db.session.commit()
    assert not first.duplicate and again.duplicate
    assert again.rating.id == first.rating.id and again.rating.level == 1
    assert count() == 1


def test_replacement_keeps_the_earlier_submission_as_a_revision(window):
    now = utcnow()
    interval = timedelta(minutes=30)
    give_rating(
        window, 2, "key-first-1", channel="qr", now=now, device="d1", replace_within=interval
    )
    receipt = give_rating(
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
    receipt = give_rating(window, 5, "key-offline", channel="kiosk", now=now, tapped_at=tapped)
    db.session.commit()
    assert receipt.rating.created_at == tapped and receipt.rating.received_at == now
    assert receipt.rating.staff_id == staff.id


@pytest.mark.parametrize("level", [0, 6, "5", None, True, 2.0])
def test_invalid_levels_raise_and_write_nothing(window, level):
    with pytest.raises(RatingError) as raised:
        give_rating(window, level, "key-bad-level", channel="qr", now=utcnow())
    assert raised.value.field == "level"
    db.session.commit()
    assert count() == 0


@pytest.mark.parametrize(
    "levels",
    [["４"], ["٤"], [" 4"], ["4 "], ["04"], ["+4"], ["4", "4"], ["4", "1"], [], [""], ["4\x00"]],
)
def test_a_form_level_is_exactly_one_ascii_digit_from_1_to_5(levels):
    with pytest.raises(RatingError) as raised:
        Tap.from_form({"level": levels, "key": ["key-form-0001"]})
    assert raised.value.field == "level"
    assert Tap.from_form({"level": ["4"], "key": ["key-form-0001"]}) == Tap(4, "key-form-0001")


@pytest.mark.parametrize(
    "key", ["short", "x" * 65, "key with space", "ключ-ключ-ключ", "abcdefgh\n"]
)
def test_a_key_is_8_to_64_ascii_letters_digits_dashes_or_underscores(key):
    with pytest.raises(RatingError) as raised:
        Tap.of(3, key)
    assert raised.value.field == "key"


def test_an_unknown_channel_is_refused(window):
    with pytest.raises(RatingError):
        Submission(window, Tap(3, "key-channel-1"), "fax", utcnow())


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
                submission = Submission(target, Tap(2, "key-race-0001"), "pad", utcnow())
                ratings.record_rating(submission, now=utcnow())
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

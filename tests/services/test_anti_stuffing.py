"""Ballot stuffing rules: shared limits, and the flags that quarantine instead of refusing."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.services import anti_stuffing, invitations, rating_review, ratings
from kiosk.services.submission import DeviceLimit, Submission, Tap
from tests.conftest import hall_time

T0 = hall_time(2026, 11, 10, 10, 0)  # a Tuesday, 10:00 in the hall; a whole minute


def rate(window, *, at=T0, device=None, staff_session=False, verified=False, level=5, key=None):  # type: ignore[no-untyped-def]
    """Submit one rating as the write paths do: recorded with a request to screen it."""
    submission = Submission(
        window,
        Tap(level, key or uuid.uuid4().hex),
        "qr",
        at,
        device=device,
        staff_session=staff_session,
        verified=verified,
        replace_within=timedelta(minutes=30),
        screen=True,
    )
    receipt = ratings.record_rating(submission, now=at)
    db.session.commit()
    return receipt.rating


def verdict_for(window, *, now, **request):  # type: ignore[no-untyped-def]
    """Screen one new submission on its own and return the verdict."""
    submission = Submission(window, Tap(5, uuid.uuid4().hex), "kiosk", now, **request)
    return anti_stuffing.screen(submission, now)


def test_ratings_beyond_the_window_limit_are_kept_flagged_and_quarantined(app, window):
    app.config["STUFFING_WINDOW_LIMIT"] = 3
    stored = [rate(window, at=T0 + timedelta(seconds=n)) for n in range(5)]
    assert [r.status for r in stored] == ["counted"] * 3 + ["quarantined"] * 2
    assert [r.flags for r in stored] == [[]] * 3 + [["burst"]] * 2


def test_the_window_limit_starts_again_in_the_next_window_of_time(app, window):
    app.config["STUFFING_WINDOW_LIMIT"] = 2
    first = [rate(window, at=T0 + timedelta(seconds=n)) for n in range(3)]
    later = rate(window, at=T0 + timedelta(seconds=61))
    assert [r.status for r in first] == ["counted", "counted", "quarantined"]
    assert later.status == "counted"


def test_the_hall_limit_covers_all_its_windows(app, window, make_window):
    app.config["STUFFING_HALL_LIMIT"] = 4
    others = [make_window(number=10 + n) for n in range(5)]
    stored = [rate(w, at=T0 + timedelta(seconds=n)) for n, w in enumerate(others)]
    stored.append(rate(window, at=T0 + timedelta(seconds=10)))
    assert [r.status for r in stored] == ["counted"] * 4 + ["quarantined"] * 2
    assert all(r.flags == ["burst"] for r in stored[4:])


def test_one_device_is_limited_across_windows(app, make_window):
    app.config["STUFFING_DEVICE_LIMIT"] = 2
    windows = [make_window(number=10 + n) for n in range(4)]
    stored = [rate(windows[n], at=T0 + timedelta(seconds=n), device="phone-1") for n in range(3)]
    other_phone = rate(windows[3], at=T0 + timedelta(seconds=5), device="phone-2")
    assert [r.status for r in stored] == ["counted", "counted", "quarantined"]
    assert other_phone.status == "counted"


def test_a_device_of_its_own_limit_uses_it(window):
    verdicts = [
        verdict_for(
            window, now=T0, device="kiosk-1", device_limit=DeviceLimit(limit=1, seconds=3600)
        ).flags
        for _ in range(2)
    ]
    assert verdicts == [(), ("burst",)]


def test_a_retry_of_a_stored_key_is_not_counted(app, window):
    app.config["STUFFING_WINDOW_LIMIT"] = 2
    first = rate(window)
    again = rate(window, key=first.idempotency_key)
    assert again.id == first.id and again.flags == []
    assert rate(window).status == "counted"  # the retry used none of the limit
    assert rate(window).status == "quarantined"
    assert db.session.scalar(select(func.count(Rating.id))) == 3


def test_re_taps_from_one_phone_cannot_quarantine_the_next_residents_rating(app, window):
    # One phone taps the window's QR again and again: each tap only replaces its own rating.
    # They count against that phone's own limit, not the window's or the hall's, so the next
    # resident's rating at the window counts.
    app.config.update(STUFFING_WINDOW_LIMIT=5, STUFFING_HALL_LIMIT=5, STUFFING_DEVICE_LIMIT=100)
    for n in range(70):
        rate(window, at=T0 + timedelta(seconds=n % 59), device="one-phone", level=1 + n % 5)
    assert db.session.scalar(select(func.count(Rating.id))) == 1  # one phone, one rating
    genuine = rate(window, at=T0 + timedelta(seconds=59), device="another-phone")
    assert genuine.status == "counted" and genuine.flags == []


def test_re_taps_still_count_against_the_phones_own_limit(app, make_window):
    app.config["STUFFING_DEVICE_LIMIT"] = 3
    first, second = make_window(number=20), make_window(number=21)
    for n in range(4):
        rate(first, at=T0 + timedelta(seconds=n), device="one-phone")
    # Four taps from the phone this minute: a new rating from it elsewhere is a burst.
    assert rate(second, at=T0 + timedelta(seconds=5), device="one-phone").flags == ["burst"]


def test_ratings_with_a_staff_session_or_from_a_staff_device_are_flagged(app, window):
    assert rate(window, staff_session=True).flags == ["staff_device"]
    anti_stuffing.mark_staff_device("clerk-phone", T0)
    later = T0 + timedelta(days=app.config["STAFF_DEVICE_MEMORY_DAYS"])
    assert rate(window, at=later, device="clerk-phone").flags == ["staff_device"]
    assert rate(window, at=later, device="resident-phone").flags == []


def test_a_staff_device_is_forgotten_after_twice_the_memory(app, window):
    anti_stuffing.mark_staff_device("clerk-phone", T0)
    days = app.config["STAFF_DEVICE_MEMORY_DAYS"]
    assert anti_stuffing.is_staff_device("clerk-phone", T0 + timedelta(days=days))
    assert not anti_stuffing.is_staff_device("clerk-phone", T0 + timedelta(days=2 * days + 1))


@pytest.mark.parametrize(
    ("hours", "local_hour", "flagged"),
    [
        ("08:30-17:30", 10, False),
        ("08:30-17:30", 8, True),
        ("08:30-17:30", 17, False),
        ("08:30-17:30", 18, True),
        ("08:30-17:30", 3, True),
        ("00:00-24:00", 23, False),
    ],
)
def test_ratings_outside_opening_hours_are_flagged(app, window, hours, local_hour, flagged):
    app.config["STUFFING_FLAG_OFF_HOURS"] = True
    app.config["OPENING_HOURS"] = hours
    rating = rate(window, at=hall_time(2026, 11, 10, local_hour, 0))
    assert (rating.flags == ["off_hours"]) is flagged
    assert (rating.status == "quarantined") is flagged


def test_the_opening_hours_are_read_through_the_settings_page_override(app, window, hall):
    from kiosk.services import settings

    app.config["STUFFING_FLAG_OFF_HOURS"] = True
    settings.save_settings({"OPENING_HOURS": "11:00-12:00"}, actor=None, hall=hall)
    assert rate(window, at=hall_time(2026, 11, 10, 10, 0)).flags == ["off_hours"]


def test_more_unverified_ratings_than_services_invited_are_flagged(app, window, staff):
    app.config["STUFFING_SERVICES_ALLOWANCE"] = 1
    invitations.sign_in(staff, window, now=T0 - timedelta(hours=1))
    for _ in range(2):
        invitations.mint_invitation(staff, now=T0 - timedelta(minutes=30))
    db.session.commit()
    stored = [rate(window, at=T0 + timedelta(minutes=n)) for n in range(4)]
    assert [r.flags for r in stored] == [[], [], [], ["exceeds_services"]]
    tomorrow = rate(window, at=T0 + timedelta(days=1))  # no invitations that day
    assert tomorrow.flags == []


def test_a_window_without_invitations_is_never_over_its_services(window):
    stored = [rate(window, at=T0 + timedelta(minutes=n)) for n in range(10)]
    assert all(r.status == "counted" for r in stored)


def test_verified_ratings_are_not_compared_with_services(app, window):
    app.config["STUFFING_SERVICES_ALLOWANCE"] = 0
    assert not anti_stuffing.exceeds_services(window, T0)
    assert rate(window, verified=True).flags == []


def test_a_clerk_answering_their_own_invitation_signed_in_is_quarantined(window, staff):
    invitations.sign_in(staff, window, now=T0 - timedelta(minutes=5))
    invitation = invitations.mint_invitation(staff, now=T0)
    receipt = invitations.rate_invitation(
        invitation, Tap(5, uuid.uuid4().hex), channel="qr", now=T0, staff_session=True
    )
    db.session.commit()
    assert receipt.rating.verified and receipt.rating.status == "quarantined"
    assert receipt.rating.flags == ["staff_device"]


def test_every_flag_is_explained_in_chinese_by_the_review_page():
    assert set(rating_review.FLAG_EXPLANATIONS) == set(anti_stuffing.FLAGS)
    for flag in anti_stuffing.FLAGS:
        explanation = rating_review.explain_flag(flag)
        assert flag not in explanation and any("\u4e00" <= ch <= "\u9fff" for ch in explanation)

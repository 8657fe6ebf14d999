"""Board tallies: whatever happens to ratings, the counters equal a full recount."""

import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Rating, RatingLogEntry, RatingRevision, RatingTally
from kiosk.services import board_cache, ratings
from tests.helpers import give_rating

# 18:00 in Shanghai on 31 December: two days of minutes cross a local midnight (16:00 UTC), a
# UTC midnight and the end of a month, a quarter and a year, in both clocks.
BASE = datetime(2025, 12, 31, 10, 0)
STATUSES = ("counted", "quarantined", "excluded")

rate_ops = st.tuples(
    st.just("rate"),
    st.integers(0, 1),  # which window
    st.integers(1, 5),  # level
    st.integers(0, 2 * 24 * 60),  # minutes after BASE
    st.sampled_from([None, "phone-a", "phone-b"]),  # same phone again → replacement
    st.sampled_from(STATUSES),  # as recorded (suspicious ratings arrive quarantined)
)
status_ops = st.tuples(st.just("status"), st.integers(0, 40), st.sampled_from(STATUSES))


def tallies() -> Counter:
    """Return the stored counters, leaving out rows that went back to zero."""
    rows = db.session.execute(
        select(
            RatingTally.hall_id,
            RatingTally.grain,
            RatingTally.period,
            RatingTally.subject,
            RatingTally.subject_id,
            RatingTally.level,
            RatingTally.count,
        )
    )
    return Counter({tuple(row[:6]): row[6] for row in rows if row[6]})


def recount() -> Counter:
    """Count the counted ratings one by one, in Python, by hall-local day, month, quarter, year;
    and the quarantined ones by window and day, apart ("held")."""
    expected: Counter = Counter()
    for rating in db.session.scalars(select(Rating).where(Rating.status == "quarantined")):
        day = clock.to_local(rating.created_at).date()
        expected[(rating.hall_id, "day", day, "held", rating.window_id, rating.level)] += 1
    for rating in db.session.scalars(select(Rating).where(Rating.status == "counted")):
        day = clock.to_local(rating.created_at).date()
        subjects = [("window", rating.window_id)]
        if rating.staff_id is not None:
            subjects.append(("staff", rating.staff_id))
        for grain, period in (
            ("day", day),
            ("month", day.replace(day=1)),
            ("quarter", day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)),
            ("year", day.replace(month=1, day=1)),
        ):
            for subject, subject_id in subjects:
                expected[(rating.hall_id, grain, period, subject, subject_id, rating.level)] += 1
    return expected


def reset() -> None:
    db.session.execute(delete(RatingLogEntry))
    db.session.execute(delete(RatingRevision))
    db.session.execute(delete(Rating))
    db.session.execute(delete(RatingTally))
    db.session.commit()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(st.one_of(rate_ops, status_ops), min_size=1, max_size=16))
def test_tallies_equal_a_full_recount_after_ratings_replacements_and_status_changes(
    make_window, staff, put_on_duty, ops
):
    reset()
    windows = [make_window(), make_window()] if not hasattr(make_window, "made") else None
    if windows is not None:
        make_window.made = windows  # the factory's windows outlive one example
        # Someone is on duty at the first window for the first day only: ratings after that,
        # and all at the second window, belong to no one.
        put_on_duty(staff, windows[0], starts_at=BASE, ends_at=BASE + timedelta(days=1))
    windows = make_window.made
    recorded: list[Rating] = []
    for number, op in enumerate(ops):
        if op[0] == "rate":
            _, which, level, minutes, device, status = op
            at = BASE + timedelta(minutes=minutes)
            receipt = give_rating(
                windows[which],
                level,
                f"prop-key-{number:04d}",
                channel="qr",
                now=at,
                device=device,
                replace_within=timedelta(minutes=30) if device else None,
                status=status,
            )
            recorded.append(receipt.rating)
        elif recorded:
            _, index, status = op
            ratings.change_ratings_status([recorded[index % len(recorded)]], status)
    db.session.commit()

    assert tallies() == recount()
    board_cache.rebuild()
    db.session.commit()
    assert tallies() == recount()


def test_quarantine_takes_a_rating_out_and_release_puts_it_back(window, staff, put_on_duty):
    put_on_duty(staff, window)
    now = clock.now()
    receipt = give_rating(window, 1, "quarantine-1", channel="qr", now=now)
    db.session.commit()
    day = clock.to_local(now).date()
    key = (window.hall_id, "day", day, "staff", staff.id, 1)
    assert tallies()[key] == 1
    ratings.change_ratings_status([receipt.rating], "quarantined", flag="burst")
    db.session.commit()
    assert tallies()[key] == 0
    ratings.change_ratings_status([receipt.rating], "counted")
    db.session.commit()
    assert tallies()[key] == 1 and tallies() == recount()


def test_rebuild_counts_local_days_right_across_daylight_saving_time(app, window):
    # Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026. 22:30 UTC is still the
    # 28th locally before the change (23:30) but already the 30th after it (00:30): one fixed
    # offset gets one of the two wrong.
    app.config["HALL_TIMEZONE"] = "Europe/Berlin"
    moments = [
        datetime(2026, 3, 28, 22, 30),
        datetime(2026, 3, 28, 23, 30),
        datetime(2026, 3, 29, 0, 59),
        datetime(2026, 3, 29, 1, 0),
        datetime(2026, 3, 29, 21, 59),
        datetime(2026, 3, 29, 22, 30),
        datetime(2026, 3, 31, 22, 30),  # 1 April locally: next month
    ]
    for number, at in enumerate(moments):
        give_rating(window, 4, f"dst-key-{number:03d}", channel="kiosk", now=at)
    db.session.commit()
    incremental = tallies()
    assert incremental == recount()
    board_cache.rebuild(window.hall_id)
    db.session.commit()
    assert tallies() == incremental
    days = Counter({k[2].isoformat(): n for k, n in incremental.items() if k[1] == "day"})
    assert days == {"2026-03-28": 1, "2026-03-29": 4, "2026-03-30": 1, "2026-04-01": 1}


def test_offset_segments_split_at_each_change_of_utc_offset():
    zone = ZoneInfo("Europe/Berlin")
    segments = list(board_cache.offset_segments(datetime(2026, 3, 1), datetime(2026, 11, 1), zone))
    assert [(start, end, offset.total_seconds() / 3600) for start, end, offset in segments] == [
        (datetime(2026, 3, 1), datetime(2026, 3, 29, 1, 0), 1),
        (datetime(2026, 3, 29, 1, 0), datetime(2026, 10, 25, 1, 0), 2),
        (datetime(2026, 10, 25, 1, 0), datetime(2026, 11, 1), 1),
    ]
    shanghai = list(
        board_cache.offset_segments(
            datetime(2025, 1, 1), datetime(2026, 1, 1), ZoneInfo("Asia/Shanghai")
        )
    )
    assert len(shanghai) == 1 and shanghai[0][2] == timedelta(hours=8)


def test_concurrent_ratings_lose_no_increment(app, window):
    # Eight submits of the same level at the same window hit the same tally rows at once: the
    # upsert must add every one (a read-then-write counter would lose some on PostgreSQL).
    window_id = window.id
    db.session.commit()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def submit(number: int) -> None:
        try:
            with app.test_request_context(method="POST"):
                barrier.wait()
                target = db.session.get(type(window), window_id)
                give_rating(target, 4, f"race-key-{number:04d}", channel="pad", now=BASE)
                db.session.commit()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.commit()
    day = clock.to_local(BASE).date()
    assert tallies()[(window.hall_id, "day", day, "window", window_id, 4)] == 8
    assert tallies() == recount()


def test_a_held_rating_counts_apart_under_its_window_and_the_recount_agrees(
    window, staff, put_on_duty
):
    put_on_duty(staff, window)
    now = clock.now()
    receipt = give_rating(window, 2, "held-key-1", channel="qr", now=now)
    db.session.commit()
    day = clock.to_local(now).date()
    held = (window.hall_id, "day", day, "held", window.id, 2)
    ratings.change_ratings_status([receipt.rating], "quarantined", flag="burst")
    db.session.commit()
    assert tallies()[held] == 1 and tallies() == recount()
    ratings.change_ratings_status([receipt.rating], "counted")
    db.session.commit()
    assert tallies()[held] == 0 and tallies() == recount()
    ratings.change_ratings_status([receipt.rating], "excluded")
    db.session.commit()
    assert tallies()[held] == 0 and tallies() == recount()

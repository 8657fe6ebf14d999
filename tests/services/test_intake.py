"""The phone rating intake: taps acknowledged at once, recorded in batches, each exactly once."""

import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import (
    RateLimitCounter,
    Rating,
    RatingIntake,
    RatingLogEntry,
    RatingRevision,
    RatingTally,
)
from kiosk.services import anti_stuffing, intake, rating_log
from tests.helpers import rate
from tests.services.test_board_cache import recount, tallies

# 09:00 in Shanghai (opening hours 08:30-17:30): taps run past closing time, so some are
# flagged off_hours; limits are low, so bursts happen; phone "c" signed in to the staff area.
BASE = datetime(2026, 11, 23, 1, 0)
taps = st.lists(
    st.tuples(
        st.integers(0, 1),  # which window
        st.integers(1, 5),  # level
        st.integers(0, 40),  # minutes after the previous tap
        st.sampled_from([None, "phone-a", "phone-b", "phone-c"]),
        st.booleans(),  # a staff session in the browser
    ),
    min_size=1,
    max_size=25,
)


def _outcome(now: datetime) -> dict:
    """What recording produced, independent of ids: per key, the rating and its history.

    Limit counters are compared while their window lasts (expired ones are swept now and then).
    """
    by_id = {r.id: r for r in db.session.scalars(select(Rating))}
    revisions = {
        rev.idempotency_key: (rev.level, by_id[rev.rating_id].idempotency_key)
        for rev in db.session.scalars(select(RatingRevision))
    }
    log = [
        (entry.event, by_id[entry.rating_id].idempotency_key)
        for entry in db.session.scalars(select(RatingLogEntry).order_by(RatingLogEntry.id))
    ]
    counters = Counter(
        {
            (row.key, row.window_start): row.count
            for row in db.session.scalars(select(RateLimitCounter))
            if not row.key.startswith("staff-device:") and row.expires_at >= now
        }
    )
    return {
        "ratings": {
            r.idempotency_key: (
                r.window_id,
                r.staff_id,
                r.level,
                r.status,
                tuple(r.flags),
                r.created_at,
                r.device_hash,
            )
            for r in by_id.values()
        },
        "revisions": revisions,
        "log": log,
        "tallies": tallies(),
        "counters": counters,
    }


def _reset() -> None:
    for model in (RatingLogEntry, RatingRevision, Rating, RatingTally, RatingIntake):
        db.session.execute(delete(model))
    db.session.execute(delete(RateLimitCounter).where(~RateLimitCounter.key.like("staff-%")))
    db.session.commit()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=taps)
def test_a_batch_records_exactly_what_one_tap_at_a_time_would(
    app, make_window, make_staff, put_on_duty, sequence
):
    app.config.update(
        STUFFING_DEVICE_LIMIT=2,
        STUFFING_DEVICE_SECONDS=600,
        STUFFING_WINDOW_LIMIT=4,
        STUFFING_WINDOW_SECONDS=3600,
        SAME_DEVICE_INTERVAL_MINUTES=30,
    )
    if not hasattr(make_window, "made"):  # the factory's windows outlive one example
        windows = make_window.made = [make_window(), make_window()]
        clerk, other = make_staff(), make_staff()
        # The first window changes hands after an hour; the second has no one on duty.
        put_on_duty(clerk, windows[0], starts_at=BASE, ends_at=BASE + timedelta(hours=1))
        put_on_duty(other, windows[0], starts_at=BASE + timedelta(hours=1), ends_at=None)
        anti_stuffing.mark_staff_device("phone-c", BASE)
        db.session.commit()
    windows = make_window.made

    moments, at = [], BASE
    for _, _, minutes, _, _ in sequence:
        at += timedelta(minutes=minutes)
        moments.append(at)

    def accept_all(drain_each: bool) -> None:
        for number, ((which, level, _, device, staff), moment) in enumerate(
            zip(sequence, moments, strict=True)
        ):
            intake.accept(
                windows[which].qr_token,
                level,
                f"tap-{number:04d}",
                device=device,
                staff_session=staff,
                now=moment,
            )
            if drain_each:
                intake.drain(moment)
        if not drain_each:
            assert intake.drain(moments[-1]) == len(sequence)
        db.session.commit()

    _reset()
    accept_all(drain_each=True)
    one_at_a_time = _outcome(moments[-1])
    _reset()
    accept_all(drain_each=False)
    batched = _outcome(moments[-1])

    assert batched == one_at_a_time
    assert len(batched["ratings"]) + len(batched["revisions"]) == len(sequence)
    assert batched["tallies"] == recount()
    assert rating_log.verify()[1] == []


def test_a_batch_with_no_clerk_no_device_and_flags_is_stored_field_for_field(window):
    # PostgreSQL inserts a batch as one array per column: a column that is empty (NULL) in
    # every row, and flags (JSON lists), must come back exactly as recorded one at a time.
    now = clock.now()
    for number in range(3):
        assert intake.accept(
            window.qr_token,
            number + 1,
            f"nobody-on-duty-{number}",
            device=None,
            staff_session=number != 1,
            now=now,
        )
    db.session.commit()
    assert intake.record_waiting() == 3
    stored = db.session.execute(
        select(
            Rating.idempotency_key,
            Rating.level,
            Rating.staff_id,
            Rating.device_hash,
            Rating.status,
            Rating.flags,
            Rating.created_at,
        ).order_by(Rating.id)
    ).all()
    assert [tuple(row) for row in stored] == [
        ("nobody-on-duty-0", 1, None, None, "quarantined", ["staff_device"], now),
        ("nobody-on-duty-1", 2, None, None, "counted", [], now),
        ("nobody-on-duty-2", 3, None, None, "quarantined", ["staff_device"], now),
    ]
    assert rating_log.verify()[1] == []


def test_a_replayed_tap_is_stored_once_whether_waiting_or_recorded(window):
    now = clock.now()
    assert intake.accept(
        window.qr_token, 4, "replayed-tap-1", device=None, staff_session=False, now=now
    )
    assert not intake.accept(
        window.qr_token, 1, "replayed-tap-1", device=None, staff_session=False, now=now
    )
    db.session.commit()
    assert intake.waiting("replayed-tap-1")
    assert intake.record_waiting() == 1
    assert not intake.accept(
        window.qr_token, 1, "replayed-tap-1", device=None, staff_session=False, now=now
    )
    assert intake.known_key("replayed-tap-1")
    assert db.session.scalars(select(Rating.level)).all() == [4]


def test_a_tap_for_an_unknown_or_inactive_window_is_not_stored(window):
    now = clock.now()
    assert not intake.accept(
        "no-such-token", 5, "orphan-tap-1", device=None, staff_session=False, now=now
    )
    window.active = False
    db.session.commit()
    assert not intake.accept(
        window.qr_token, 5, "orphan-tap-2", device=None, staff_session=False, now=now
    )
    assert db.session.scalar(select(func.count()).select_from(RatingIntake)) == 0


def test_in_a_busy_moment_taps_wait_and_are_recorded_together(app, client, window):
    # INTAKE_DRAIN_INTERVAL = 60 s on a clock the test moves: the first tap waits; the tap
    # made a minute later finds it overdue and records both, in one transaction.
    now = [BASE]
    app.config.update(INTAKE_DRAIN_INTERVAL=60, CLOCK=lambda: now[0])
    intake.postpone_checks(0)
    assert rate(client, window.qr_token, 5, key="busy-tap-0001").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    assert intake.waiting("busy-tap-0001")
    now[0] = BASE + timedelta(seconds=61)
    intake.postpone_checks(0)  # the worker's wait is over too
    another_phone = app.test_client()
    assert rate(another_phone, window.qr_token, 3, key="busy-tap-0002").status_code == 303
    assert sorted(db.session.scalars(select(Rating.idempotency_key))) == [
        "busy-tap-0001",
        "busy-tap-0002",
    ]
    logged_at = db.session.scalars(select(RatingLogEntry.logged_at)).all()
    assert len(logged_at) == 2 and len(set(logged_at)) == 1  # written together


def test_the_thank_you_page_records_its_own_waiting_tap(app, client, window):
    app.config["INTAKE_DRAIN_INTERVAL"] = 3600
    intake.postpone_checks(0)
    response = rate(client, window.qr_token, 1, key="page-tap-0001")
    assert response.status_code == 303
    assert intake.waiting("page-tap-0001")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "哪里让您不满意" in page.get_data(as_text=True)  # the 差评 follow-up is offered
    rating = db.session.scalar(select(Rating))
    assert rating is not None and rating.level == 1 and not intake.waiting("page-tap-0001")


def test_the_sweeper_records_taps_nobody_came_back_for(app, client, window):
    # The tap is not due when its request asks (it waits 0.2 s to gather with others), and
    # nothing else comes: the sweeper records it.
    app.config.update(INTAKE_DRAIN_INTERVAL=0.2, INTAKE_SWEEP_SECONDS=0.1)
    try:
        assert rate(client, window.qr_token, 5, key="swept-tap-0001").status_code == 303
        db.session.commit()
        assert intake.waiting("swept-tap-0001")
        deadline = time.monotonic() + 10
        while intake.waiting("swept-tap-0001") and time.monotonic() < deadline:
            time.sleep(0.05)
            db.session.rollback()
        assert not intake.waiting("swept-tap-0001"), "the sweeper did not record the tap"
        assert db.session.scalars(select(Rating.idempotency_key)).all() == ["swept-tap-0001"]
    finally:
        intake.stop_sweeper(app)


def test_concurrent_drains_record_each_tap_once(app, window):
    now = clock.now()
    for number in range(120):
        intake.accept(
            window.qr_token, 1 + number % 5, f"race-tap-{number:04d}", device=None,
            staff_session=False, now=now + timedelta(seconds=number),
        )  # fmt: skip
    db.session.commit()
    errors: list[BaseException] = []

    def drain() -> None:
        with app.app_context():
            try:
                intake.record_waiting()
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    keys = db.session.scalars(select(Rating.idempotency_key)).all()
    assert len(keys) == len(set(keys)) == 120
    assert db.session.scalar(select(func.count()).select_from(RatingLogEntry)) == 120
    assert rating_log.verify()[1] == []
    assert tallies() == recount()


def test_a_drain_for_due_taps_leaves_fresh_ones_to_gather(window):
    # Workers that found the taps due together queue for the lock; the ones after the first
    # find only fresh taps and leave them for the next batch.
    intake.accept(window.qr_token, 5, "fresh-tap-0001", device=None, staff_session=False, now=BASE)
    db.session.commit()
    due_after = timedelta(seconds=0.05)
    assert intake.drain(BASE + timedelta(seconds=0.01), due_after=due_after) == 0
    assert intake.waiting("fresh-tap-0001")
    assert intake.drain(BASE + timedelta(seconds=0.06), due_after=due_after) == 1
    db.session.commit()
    assert not intake.waiting("fresh-tap-0001")


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_due_drain_does_not_queue_behind_one_under_way(window):
    # PostgreSQL: a worker that finds the taps due while another worker records them answers
    # its resident at once; the drain under way records what waits. (SQLite has one writer
    # at a time: there every write waits for the drain, and so does this one.)
    intake.accept(window.qr_token, 5, "queued-tap-0001", device=None, staff_session=False, now=BASE)
    db.session.commit()
    due_after, later = timedelta(seconds=0.05), BASE + timedelta(seconds=1)
    with db.engine.connect() as other_worker:
        other_worker.execute(
            text("SELECT pg_advisory_xact_lock(:id)"), {"id": intake._ADVISORY_LOCK_ID}
        )
        db.session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a regression fails, not hangs
        assert intake.drain(later, due_after=due_after) == 0
        db.session.rollback()
        assert intake.waiting("queued-tap-0001")
        other_worker.rollback()
    assert intake.drain(later, due_after=due_after) == 1
    db.session.commit()
    assert not intake.waiting("queued-tap-0001")


def test_the_workers_of_a_host_share_when_to_ask_next(tmp_path):
    path = str(tmp_path / "instance" / "intake-next-check")
    one_worker, another = intake._NextCheck(path), intake._NextCheck(path)
    one_worker.set(time.monotonic() + 30)
    assert another.get() == one_worker.get() > time.monotonic()


def test_a_schedule_left_from_before_a_restart_of_the_machine_is_ignored(tmp_path):
    path = tmp_path / "intake-next-check"
    booted_an_hour_earlier = time.time() - time.monotonic() - 3600
    path.write_bytes(intake._NextCheck._LAYOUT.pack(booted_an_hour_earlier, 1e12))
    assert intake._NextCheck(str(path)).get() < time.monotonic()


def test_taps_recorded_long_ago_are_deleted_and_a_replay_still_records_nothing(app, client, window):
    # Kept a week (INTAKE_KEEP_DAYS): a tap recorded 8 days ago goes, one recorded yesterday
    # and one never recorded (a long outage) stay; the old tap's rating and its key remain.
    def tap(key: str, at: datetime, record: bool) -> None:
        intake.accept(window.qr_token, 4, key, device=None, staff_session=False, now=at)
        if record:
            intake.drain(at)
        db.session.commit()

    tap("old-tap-000001", BASE - timedelta(days=8), record=True)
    tap("recent-tap-001", BASE - timedelta(days=1), record=True)
    tap("stuck-tap-0001", BASE - timedelta(days=9), record=False)
    app.config.update(INTAKE_KEEP_DAYS=7, CLOCK=lambda: BASE)
    assert intake.sweep_once() == 1  # the stuck tap is recorded now, then the old one pruned
    remaining = db.session.scalars(select(RatingIntake.idempotency_key)).all()
    assert sorted(remaining) == ["recent-tap-001", "stuck-tap-0001"]

    assert rate(client, window.qr_token, 4, key="old-tap-000001").status_code == 303  # replayed
    keys = db.session.scalars(select(Rating.idempotency_key)).all()
    assert sorted(keys) == ["old-tap-000001", "recent-tap-001", "stuck-tap-0001"]
    assert rating_log.verify()[1] == []

"""The board's standings, totals and ticker, computed by hand from the default scheme."""

from datetime import date, timedelta

import pytest

from kiosk.extensions import db
from kiosk.models import Complaint
from kiosk.services import board, ratings
from tests.board_helpers import NOW, seed_board
from tests.helpers import give_rating


@pytest.fixture
def seeded(make_window, make_staff, put_on_duty):
    return seed_board(make_window, make_staff, put_on_duty)


def test_staff_are_ranked_by_smoothed_index_and_too_few_ratings_are_listed_apart(seeded):
    result = board.standings(seeded.hall, "today", NOW)
    # Hall mean: (12×100 + 8×100 + 2×80 + 3×100) / 25 = 98.4 points.
    assert result.hall_mean == 98.4
    ranked = [
        (e.rank, e.name, e.staff_no, e.window_number, e.index.smoothed) for e in result.ranked
    ]
    assert ranked == [
        (1, "王芳", "XF001", 1, 99.27),  # (10×98.4 + 1200) / 22
        (2, "李强", "XF002", 2, 97.2),  # (10×98.4 + 960) / 20
    ]
    # 评价数不足 (fewer than 10): not ranked, most ratings first, even with a perfect mean.
    assert [(e.rank, e.name, e.index.count) for e in result.insufficient] == [
        (None, "张敏", 3),
        (None, "赵丽", 0),
    ]


def test_quarantined_ratings_do_not_count_until_released(seeded):
    first = seeded.staff[0]
    suspicious = [
        ratings.find_rating_by_key(f"seed-0-{n:03d}") for n in range(3)
    ]  # 12 → 9: too few
    for rating in suspicious:
        ratings.change_ratings_status([rating], "quarantined", flag="burst")
    db.session.commit()
    result = board.standings(seeded.hall, "month", NOW)
    assert [e.name for e in result.ranked] == ["李强"]
    assert first.id in {e.subject_id for e in result.insufficient}
    assert board.today_totals(seeded.hall, NOW).ratings == 22

    for rating in suspicious:
        ratings.change_ratings_status([rating], "counted")
    db.session.commit()
    assert [e.name for e in board.standings(seeded.hall, "month", NOW).ranked] == ["王芳", "李强"]


def test_windows_view_ranks_windows(seeded):
    result = board.standings(seeded.hall, "windows", NOW)
    assert [(e.rank, e.window_number, e.name) for e in result.ranked] == [
        (1, 1, "综合受理"),
        (2, 2, "社保医保"),
    ]
    assert [e.window_number for e in result.insufficient] == [3]


def test_periods_cover_today_the_month_the_quarter_and_the_year():
    today = date(2026, 5, 12)
    assert board.view_periods("today", today) == ("day", [today], today, today)
    assert board.view_periods("month", today) == (
        "month",
        [date(2026, 5, 1)],
        date(2026, 5, 1),
        today,
    )
    assert board.view_periods("quarter", today)[:3] == (
        "quarter",
        [date(2026, 4, 1)],
        date(2026, 4, 1),
    )
    assert board.view_periods("year", today)[:3] == ("year", [date(2026, 1, 1)], date(2026, 1, 1))
    assert board.view_periods("windows", today)[:2] == ("month", [date(2026, 5, 1)])


def test_ratings_of_other_days_stay_out_of_today(seeded):
    window = seeded.windows[2]
    give_rating(window, 1, "yesterday-1", channel="qr", now=NOW - timedelta(days=1))
    db.session.commit()
    today = board.today_totals(seeded.hall, NOW)
    assert (today.ratings, today.bad) == (25, 0)
    assert today.satisfaction_rate == 1.0
    month = board.standings(seeded.hall, "windows", NOW)
    assert sum(e.index.count for e in month.ranked + month.insufficient) == 26


def _complaint(seeded, **fields):
    complaint = Complaint(hall_id=seeded.hall.id, text="不该出现在屏幕上", **fields)
    db.session.add(complaint)
    return complaint


def test_overdue_counts_open_complaints_past_their_current_stage_deadline(seeded):
    past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    _complaint(seeded, status="new", verify_due_at=past)  # overdue
    _complaint(seeded, status="new", verify_due_at=future)
    _complaint(seeded, status="new")  # no deadline yet: not overdue
    _complaint(seeded, status="rectifying", verify_due_at=past, rectify_due_at=past)  # overdue
    _complaint(seeded, status="rectifying", verify_due_at=past, rectify_due_at=future)
    _complaint(seeded, status="rectified", followup_due_at=past)  # overdue
    _complaint(seeded, status="invalid", verify_due_at=past)  # waits only for closing
    # Closed today: one on time, one after its last deadline; one closed yesterday.
    _complaint(seeded, status="closed", followup_due_at=NOW, closed_at=NOW - timedelta(hours=2))
    _complaint(seeded, status="closed", followup_due_at=past - timedelta(hours=2), closed_at=past)
    _complaint(seeded, status="closed", closed_at=NOW - timedelta(days=1))
    db.session.commit()
    figures = board.complaints_today(seeded.hall, NOW)
    assert (figures.overdue, figures.closed, figures.closed_on_time) == (3, 2, 1)


def test_ticker_shows_the_latest_counted_ratings_by_window_and_level_only(seeded):
    quarantined = give_rating(
        seeded.windows[2], 2, "late-quarantined", channel="qr", now=NOW, status="quarantined"
    )
    db.session.commit()
    items = board.ticker(seeded.hall, NOW)
    assert quarantined.rating.created_at == NOW
    assert [(i.window_number, i.level) for i in items] == [(1, 5), (2, 5), (3, 5), (1, 5)]
    assert all(set(vars(i)) == {"window_number", "level", "at"} for i in items)


def test_month_star_is_the_month_leader(seeded):
    snap = board.snapshot(seeded.hall, "today", NOW)
    assert [e.name for e in snap.stars] == ["王芳"]


def test_todays_held_ratings_are_counted_apart_from_the_totals(seeded):
    held = [ratings.find_rating_by_key(f"seed-1-{n:03d}") for n in range(2)]
    for rating in held:
        ratings.change_ratings_status([rating], "quarantined", flag="off_hours")
    give_rating(seeded.windows[2], 1, "held-bad-key", channel="qr", now=NOW, status="quarantined")
    db.session.commit()
    today = board.snapshot(seeded.hall, "today", NOW).today
    assert (today.ratings, today.held.total, today.held.bad) == (23, 3, 1)


def test_the_week_trend_reads_seven_days_of_tallies(seeded):
    # Two days ago: one 满意 and one 不满意 (50 %); today: the seeded 25, all 4 or 5 (100 %).
    for n, level in enumerate((4, 2)):
        give_rating(
            seeded.windows[0], level, f"week-key-{n}", channel="qr", now=NOW - timedelta(days=2)
        )
    db.session.commit()
    week = board.week_trend(seeded.hall, NOW)
    assert [d.day for d in week] == [date(2026, 5, 6) + timedelta(days=n) for n in range(7)]
    assert [d.counts.total for d in week] == [0, 0, 0, 0, 2, 0, 25]
    assert [d.satisfaction_rate for d in week][4:] == [0.5, None, 1.0]
    assert [d.bar_tenths for d in week][4:] == [0, 0, 10]


def test_complaints_closed_this_month_and_on_time(seeded):
    _complaint(seeded, status="closed", followup_due_at=NOW, closed_at=NOW - timedelta(days=3))
    late = NOW - timedelta(days=4)
    _complaint(seeded, status="closed", followup_due_at=late, closed_at=NOW - timedelta(days=2))
    _complaint(seeded, status="closed", closed_at=NOW - timedelta(days=20))  # April
    db.session.commit()
    month = board.complaints_month_to_date(seeded.hall, NOW)
    assert (month.closed, month.closed_on_time, month.on_time_rate) == (2, 1, 0.5)


def test_month_star_follows_the_schemes_rule_and_passes_over_a_valid_complaint(seeded):
    wang, li = seeded.staff[0], seeded.staff[1]
    # Verified as valid this month: 王芳 leads the month but cannot be its 服务之星.
    _complaint(seeded, staff_id=wang.id, is_valid=True, severity="minor", created_at=NOW)
    # One that was found not valid costs 李强 nothing.
    _complaint(seeded, staff_id=li.id, is_valid=False, created_at=NOW)
    db.session.commit()
    snap = board.snapshot(seeded.hall, "today", NOW)
    assert snap.standings.ranked[0].name == "王芳"
    assert [e.name for e in snap.stars] == ["李强"]

"""Dashboard figures: daily satisfaction by hall-local day, period figures, weakest windows."""

from datetime import date, timedelta

import pytest

from kiosk.extensions import db
from kiosk.services import dashboard
from tests.conftest import hall_time
from tests.helpers import give_rating

keys = iter(range(10**6))


def add(window, level, at, status="counted"):
    give_rating(window, level, f"dash-{next(keys):06d}", channel="qr", now=at, status=status)


def test_daily_index_groups_by_hall_local_day_and_counts_only_counted(window, make_window, hall):
    other = make_window()
    # 19 Nov: 5 and 4 → (100 + 80) / 2 = 90. A 00:30 Beijing rating on 20 Nov is still
    # 19 Nov in UTC, so it must land on the 20th: 1 and 3 → (0 + 60) / 2 = 30.
    add(window, 5, hall_time(2026, 11, 19, 9))
    add(other, 4, hall_time(2026, 11, 19, 15))
    add(window, 1, hall_time(2026, 11, 20, 0, 30))
    add(window, 3, hall_time(2026, 11, 20, 11))
    add(window, 1, hall_time(2026, 11, 20, 12), status="quarantined")  # does not count
    db.session.commit()
    series = dashboard.daily_index(hall.id, date(2026, 11, 21), days=4)
    assert series == [
        (date(2026, 11, 18), None, 0),
        (date(2026, 11, 19), 90.0, 2),
        (date(2026, 11, 20), 30.0, 2),
        (date(2026, 11, 21), None, 0),
    ]
    only_other = dashboard.daily_index(hall.id, date(2026, 11, 21), days=4, window_id=other.id)
    assert [v for _d, v, _n in only_other] == [None, 80.0, None, None]


def test_period_figures_and_the_weakest_windows(window, make_window, staff, put_on_duty, hall):
    second, third = make_window(number=7), make_window(number=8)
    now = hall_time(2026, 11, 20, 16)
    put_on_duty(staff, window, starts_at=now - timedelta(hours=8), ends_at=now)
    add(window, 2, now - timedelta(hours=2))  # today, 20 points, 差评
    add(window, 5, now - timedelta(days=3))  # Tuesday this week and month, 100 points
    add(second, 4, now - timedelta(hours=1))  # today, 80
    add(third, 3, now - timedelta(days=10))  # earlier this month, last week: 60
    db.session.commit()
    figures = dashboard.summary(hall.id, now)
    assert (figures.today.count, figures.today.index, figures.today.bad) == (2, 50.0, 1)
    assert (figures.month.count, figures.month.index, figures.month.bad) == (4, 65.0, 1)
    assert figures.week_start == date(2026, 11, 16)
    mine = dashboard.summary(hall.id, now, staff_id=staff.id)
    assert (mine.today.count, mine.today.index, mine.month.count) == (1, 20.0, 1)
    lowest = dashboard.lowest_windows(hall.id, figures.week_start, date(2026, 11, 20))
    assert [(f.window.id, f.index, f.count) for f in lowest] == [
        (window.id, 60.0, 2),
        (second.id, 80.0, 1),
    ]


@pytest.mark.sqlite_only
def test_line_chart_skips_days_without_ratings_and_fits_the_axis():
    series = [
        (date(2026, 11, 1), 50.0, 2),
        (date(2026, 11, 2), 100.0, 1),
        (date(2026, 11, 3), None, 0),
        (date(2026, 11, 4), 75.0, 1),
    ]
    chart = dashboard.line_chart(series, width=354, height=128)
    # x spans 40..330 in three steps; the axis runs 40..100 (ten below the lowest, 50),
    # drawn from y=100 (bottom) to y=10 (top), 1.5 units a point.
    assert chart.segments == ["40.0,85.0 136.7,10.0 330.0,47.5"]
    assert [label for _y, label in chart.y_ticks] == [40, 60, 80, 100]  # 20 apart beyond 50
    assert len(chart.dots) == 3 and not chart.empty
    assert dashboard.line_chart([(date(2026, 11, 1), None, 0)]).empty
    low = dashboard.line_chart([(date(2026, 11, 1), 5.0, 1)])
    assert [label for _y, label in low.y_ticks] == [0, 20, 40, 60, 80, 100]


def test_held_ratings_are_counted_apart_and_the_alerts_say_how_many(window, hall):
    now = hall_time(2026, 11, 20, 16)
    add(window, 5, now - timedelta(hours=2))
    add(window, 1, now - timedelta(hours=1), status="quarantined")
    db.session.commit()
    figures = dashboard.summary(hall.id, now)
    assert (figures.today.count, figures.today.bad) == (1, 0)
    assert (figures.today.held, figures.today.held_bad) == (1, 1)
    alerts = dashboard.alerts(hall.id, now)
    assert (alerts.bad_today, alerts.bad_today_held) == (1, 1)

"""Complaint deadlines in Chinese working days: weekends, public holidays, make-up workdays.

Dates are the State Council's 2026 arrangements as shipped in chinese_calendar: National Day
1–7 October off with Saturday 10 October a make-up workday; Spring Festival 15–23 February
off with Saturday 14 February and Saturday 28 February make-up workdays.
"""

from datetime import date

import pytest

from kiosk.services.workdays import add_working_days, due_at, is_working_day
from tests.conftest import hall_time

pytestmark = pytest.mark.sqlite_only  # pure date arithmetic: no database involved


def test_an_ordinary_friday_plus_one_is_monday(ctx):
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_national_day_holiday_is_skipped(ctx):
    # Received Wednesday 30 September: 1–7 October are off (3–4 a weekend as well).
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_the_make_up_saturday_counts_as_a_working_day(ctx):
    # Verified Thursday 8 October: Fri 9, Sat 10 (调休 workday), Mon 12, Tue 13, Wed 14.
    assert add_working_days(date(2026, 10, 8), 5) == date(2026, 10, 14)
    assert is_working_day(date(2026, 10, 10)) and not is_working_day(date(2026, 10, 11))


def test_spring_festival_make_up_saturday_then_the_long_holiday(ctx):
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday, 调休
    # From that Saturday: Sunday 15 and 16–23 February are off; Tuesday 24 is next.
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_a_datetime_start_uses_its_date(ctx):
    from datetime import datetime

    assert add_working_days(datetime(2026, 9, 30, 23, 59), 1) == date(2026, 10, 8)


def test_zero_days_is_the_same_day(ctx):
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_negative_days_are_refused(ctx):
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 3), -1)


def test_extra_local_holidays_are_skipped(app, ctx):
    app.config["EXTRA_HOLIDAYS"] = ("2026-11-23", "not a date")
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)


def test_years_without_calendar_data_fall_back_to_weekdays(ctx):
    assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday → Monday


def test_due_moment_is_the_end_of_the_last_working_day_in_hall_time(ctx):
    # Received 16:00 on 30 September (Beijing time): due at 24:00 on 8 October, Beijing time.
    assert due_at(hall_time(2026, 9, 30, 16), 1) == hall_time(2026, 10, 9, 0)


def test_the_local_day_counts_not_the_utc_day(ctx):
    # 07:00 Monday in Beijing is still Sunday in UTC; the hall's Monday is what counts.
    received = hall_time(2026, 11, 23, 7)
    assert received.day == 22  # Sunday, UTC
    assert due_at(received, 1) == hall_time(2026, 11, 25, 0)  # end of Tuesday 24th

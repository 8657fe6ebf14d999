"""Chinese working days for complaint deadlines.

A working day is one the State Council calendar (the ``chinese_calendar`` package) marks as a
workday — weekends off, public holidays off, make-up workdays (调休) on — and that is not in the
EXTRA_HOLIDAYS setting of the hall (local closures, ISO dates; each hall has its own, see
kiosk.services.settings; hall=None reads only the configured ones). Years the package has no
data for fall back to Monday–Friday.

The due rule, as in the counting of periods in Chinese administrative practice (the day on
which a period starts is not counted): a deadline of N working days for something that happened
on day D ends at the end (24:00, hall-local time) of the N-th working day after D. Received on
a Friday with a 1-day deadline: due at the end of the next Monday, or of the make-up Saturday
if that Saturday is a workday. N = 0 means the end of day D itself.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from kiosk import clock
from kiosk.services.settings import HallRef, setting

# Longest run of days off the calendar has ever had (Spring Festival plus weekends) is
# well under this; it stops a bad EXTRA_HOLIDAYS list from looping for ever.
_MAX_SCAN_DAYS = 3660


def extra_holidays(hall: HallRef = None) -> frozenset[date]:
    """Return the hall's EXTRA_HOLIDAYS setting as dates (bad entries are ignored)."""
    days = set()
    for value in setting("EXTRA_HOLIDAYS", hall=hall) or ():
        try:
            days.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            continue
    return frozenset(days)


def is_working_day(
    day: date, extra: frozenset[date] | None = None, *, hall: HallRef = None
) -> bool:
    """Return whether day is a working day in the hall (extra: its holidays, if read already)."""
    if day in (extra if extra is not None else extra_holidays(hall)):
        return False
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the calendar package has no data for yet
        return day.weekday() < 5


def add_working_days(start: date | datetime, n: int, *, hall: HallRef = None) -> date:
    """Return the n-th working day after start's date (start itself for n = 0).

    start is a hall-local date, or a hall-local datetime whose date is taken.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start.date() if isinstance(start, datetime) else start
    extra = extra_holidays(hall)
    counted = 0
    for _ in range(_MAX_SCAN_DAYS):
        if counted == n:
            return day
        day += timedelta(days=1)
        if is_working_day(day, extra):
            counted += 1
    raise ValueError("no working days found; check EXTRA_HOLIDAYS")


def due_at(start_utc: datetime, n: int, *, hall: HallRef = None) -> datetime:
    """Return the naive-UTC deadline n working days after start_utc (end of that local day)."""
    local_day = clock.to_local(start_utc).date()
    last = add_working_days(local_day, n, hall=hall)
    end_local = datetime.combine(last + timedelta(days=1), datetime.min.time(), clock.hall_zone())
    return end_local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

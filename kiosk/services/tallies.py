"""Reading the rating tallies: level counts per window or staff member, per period or day.

kiosk.services.board_cache keeps RatingTally rows in step with every change to a rating: per
hall, grain (day, month, quarter, year) and hall-local period, how many counted ratings each
window and each staff member got at each level, and per window and day how many wait in
quarantine (subject "held"). A count read here costs the rows of the subjects and periods
asked for, whatever the number of ratings.

What a tally holds, exactly: ratings of status "counted" (or "quarantined", for "held"), by
the hall-local day of ``created_at``; a window's rows count every rating given at it, a staff
member's rows only those credited to them. The windows' rows together are the whole hall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement

import scoring
from kiosk.extensions import db
from kiosk.models import RatingTally
from kiosk.services.board_cache import period_starts

# {period start: {subject id: counts}}
PeriodCounts = dict[date, dict[int, scoring.LevelCounts]]


def _pivoted(conditions: Iterable[ColumnElement[bool]]) -> Select[date, int, int, int]:
    return (
        select(
            RatingTally.period,
            RatingTally.subject_id,
            RatingTally.level,
            func.sum(RatingTally.count),
        )
        .where(*conditions)
        .group_by(RatingTally.period, RatingTally.subject_id, RatingTally.level)
    )


def _read(conditions: list[ColumnElement[bool]]) -> PeriodCounts:
    levels: dict[date, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 5))
    for period, subject_id, level, count in db.session.execute(_pivoted(conditions)):
        day = period if isinstance(period, date) else date.fromisoformat(str(period))
        levels[day][int(subject_id)][int(level) - 1] += int(count or 0)
    return {
        day: {
            subject_id: scoring.LevelCounts((c[0], c[1], c[2], c[3], c[4]))
            for subject_id, c in by_subject.items()
            if any(c)  # a rating released or excluded leaves its counters at 0
        }
        for day, by_subject in levels.items()
    }


def _scope(
    hall_id: int, grain: str, subject: str, subject_id: int | None
) -> list[ColumnElement[bool]]:
    conditions = [
        RatingTally.hall_id == hall_id,
        RatingTally.grain == grain,
        RatingTally.subject == subject,
    ]
    if subject_id is not None:
        conditions.append(RatingTally.subject_id == subject_id)
    return conditions


def by_period(
    hall_id: int,
    grain: str,
    starts: Sequence[date],
    subject: str,
    subject_id: int | None = None,
) -> PeriodCounts:
    """Return each period's counts per subject (window, staff or held) at one grain.

    starts are the periods' first days (a day, or the first of a month, quarter or year);
    subject_id, if given, keeps one window or staff member.
    """
    conditions = _scope(hall_id, grain, subject, subject_id)
    conditions.append(RatingTally.period.in_(list(starts)))
    return _read(conditions)


def by_day(
    hall_id: int, first: date, last: date, subject: str, subject_id: int | None = None
) -> PeriodCounts:
    """Return each hall-local day's counts per subject, from first to last (inclusive)."""
    conditions = _scope(hall_id, "day", subject, subject_id)
    conditions += [RatingTally.period >= first, RatingTally.period <= last]
    return _read(conditions)


def hall_by_day(hall_id: int, first: date, last: date) -> dict[date, scoring.LevelCounts]:
    """Return the whole hall's counts of each hall-local day from first to last (inclusive).

    The windows' rows are added up in the query: a row per day and level, whatever the
    number of windows.
    """
    query = (
        select(RatingTally.period, RatingTally.level, func.sum(RatingTally.count))
        .where(
            *_scope(hall_id, "day", "window", None),
            RatingTally.period >= first,
            RatingTally.period <= last,
        )
        .group_by(RatingTally.period, RatingTally.level)
    )
    levels: dict[date, list[int]] = defaultdict(lambda: [0] * 5)
    for period, level, count in db.session.execute(query):
        day = period if isinstance(period, date) else date.fromisoformat(str(period))
        levels[day][int(level) - 1] += int(count or 0)
    return {day: scoring.LevelCounts((c[0], c[1], c[2], c[3], c[4])) for day, c in levels.items()}


def over_days(
    hall_id: int, first: date, last: date, subject: str, subject_id: int | None = None
) -> dict[int, scoring.LevelCounts]:
    """Return the counts per subject of the hall-local days first to last (inclusive).

    Where the days are exactly a month, quarter or year, that period's own rows are read
    instead of a row per day (held ratings are counted by the day only).
    """
    for grain, start in period_starts(first) if subject != "held" else ():
        if grain != "day" and start == first and _period_end(grain, start) == last:
            return by_period(hall_id, grain, [start], subject, subject_id).get(start, {})
    return per_subject(by_day(hall_id, first, last, subject, subject_id).values())


def _period_end(grain: str, start: date) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def per_subject(
    periods: Iterable[dict[int, scoring.LevelCounts]],
) -> dict[int, scoring.LevelCounts]:
    """Add up several periods' counts, subject by subject."""
    totals: dict[int, scoring.LevelCounts] = {}
    for counts in periods:
        for subject_id, c in counts.items():
            totals[subject_id] = totals.get(subject_id, scoring.LevelCounts()) + c
    return totals


def total(counts: Iterable[scoring.LevelCounts]) -> scoring.LevelCounts:
    """Add up counts (e.g. every window's, for the whole hall)."""
    return sum(counts, scoring.LevelCounts())

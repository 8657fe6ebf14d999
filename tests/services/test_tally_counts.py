"""Counts read from the rating tallies equal the same counts taken from the rating rows.

Ratings are generated through the recording service (so the tallies are kept as in use) over
two years' months and quarters, several windows, staff and no one on duty, near hall-local
midnight, and in every state a rating can reach: counted, quarantined, released, excluded,
replaced by a later tap from the same phone. Each tally-based figure is then compared with a
plain count of the rows, taken in Python by the hall-local day of each rating.
"""

import random
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Hall, Rating, RatingRevision, Staff, Window
from kiosk.services import dashboard, rating_review, ratings, tallies
from kiosk.services.evaluation_inputs import hall_level_counts, level_counts, trend_counts
from kiosk.services.periods import Period
from kiosk.services.submission import Submission, Tap
from tests.conftest import hall_time

FIRST_DAY = date(2025, 11, 20)
DAYS = 140  # to 9 April 2026: two years, three quarters, six months


@pytest.fixture
def rated(
    hall: Hall,
    make_hall: Callable[..., Hall],
    make_window: Callable[..., Window],
    make_staff: Callable[..., Staff],
) -> tuple[list[Window], list[Staff]]:
    """Record a few hundred ratings in every state; return the hall's windows and staff."""
    windows = [make_window() for _ in range(3)]
    people = [make_staff() for _ in range(3)]
    elsewhere = make_hall()
    other = Window(hall=elsewhere, number=1, name="别处")
    db.session.add(other)
    db.session.commit()
    rng = random.Random(28)
    for n in range(180):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        # Early and late local hours: 00:10 Beijing is still the day before in UTC.
        hour, minute = rng.choice([(0, 10), (7, 59), (12, 0), (23, 50)])
        at = hall_time(day.year, day.month, day.day, hour, minute)
        window = other if n % 17 == 0 else rng.choice(windows)
        served_by = rng.choice([*people, None]) if window is not other else None
        device = f"phone-{rng.randrange(40)}"
        receipt = ratings.record_rating(
            Submission(
                window,
                Tap.of(rng.randint(1, 5), f"tally-{n:04d}"),
                "qr",
                at,
                device=device,
                replace_within=timedelta(hours=1),
                served_by=served_by,
            ),
            now=at,
        )
        fate = rng.random()
        if fate < 0.15:
            ratings.change_ratings_status([receipt.rating], "quarantined", flag="burst")
        elif fate < 0.25:  # quarantined, then released: it counts
            ratings.change_ratings_status([receipt.rating], "quarantined", flag="burst")
            ratings.change_ratings_status([receipt.rating], "counted")
        elif fate < 0.32:
            ratings.change_ratings_status([receipt.rating], "excluded")
        elif fate < 0.40:  # the same phone taps again within the hour: the rating is replaced
            later = at + timedelta(minutes=rng.choice([5, 15, 45]))
            ratings.record_rating(
                Submission(
                    window,
                    Tap.of(rng.randint(1, 5), f"tally-{n:04d}-again"),
                    "qr",
                    later,
                    device=device,
                    replace_within=timedelta(hours=1),
                    served_by=served_by,
                ),
                now=later,
            )
    db.session.commit()
    return windows, people


def _rows(hall: Hall, status: str = "counted") -> list[Rating]:
    return list(
        db.session.scalars(select(Rating).where(Rating.hall_id == hall.id, Rating.status == status))
    )


def _day(rating: Rating) -> date:
    return clock.to_local(rating.created_at).date()


def _counts(rows: Iterable[Rating]) -> scoring.LevelCounts:
    return scoring.LevelCounts.from_levels(rating.level for rating in rows)


def _by(rows: Iterable[Rating], key: Callable[[Rating], Any]) -> dict[Any, scoring.LevelCounts]:
    groups: dict[Any, list[Rating]] = {}
    for rating in rows:
        groups.setdefault(key(rating), []).append(rating)
    return {k: _counts(v) for k, v in groups.items()}


PERIODS = [
    *(Period(2025, "month", m) for m in (11, 12)),
    *(Period(2026, "month", m) for m in (1, 2, 3, 4)),
    Period(2025, "quarter", 4),
    Period(2026, "quarter", 1),
    Period(2026, "quarter", 2),
    Period(2025, "year", 1),
    Period(2026, "year", 1),
]


def _check_every_state_is_reached(hall: Hall) -> None:
    statuses = Counter(r.status for r in db.session.scalars(select(Rating)))
    assert set(statuses) == {"counted", "quarantined", "excluded"}
    assert sum(statuses.values()) > 100
    released = [r for r in _rows(hall) if "burst" in r.flags]
    assert released, "some ratings were released from quarantine"
    assert any(r.staff_id is None for r in _rows(hall))
    # A replacing tap keeps the first rating's row, with the later tap's key, level and time.
    replaced = db.session.scalars(select(Rating).where(Rating.idempotency_key.like("%-again")))
    assert len(replaced.all()) > 5
    assert db.session.scalars(select(RatingRevision)).first() is not None


def test_evaluation_counts_and_the_trend_from_tallies_equal_the_rows(rated, hall):
    _windows, people = rated
    one = people[0].id
    for period in PERIODS:
        counted = [r for r in _rows(hall) if period.start <= _day(r) < period.end]
        by_staff = _by((r for r in counted if r.staff_id is not None), lambda r: r.staff_id)
        assert level_counts(hall, period) == by_staff, period
        assert hall_level_counts(hall, period) == _counts(counted), period
        assert level_counts(hall, period, one) == {k: v for k, v in by_staff.items() if k == one}
    # What the inputs counted before the tallies: rows inside the period's UTC bounds.
    for period in PERIODS:
        start, end = period.bounds(clock.hall_zone())
        rows = [r for r in _rows(hall) if start <= r.created_at < end]
        assert hall_level_counts(hall, period) == _counts(rows)
    _check_trend(hall, people)


def _check_trend(hall: Hall, people: list[Staff]) -> None:
    months = [Period(2025, "month", 9)]
    while len(months) < 12:
        months.append(months[-1].next())
    counted = _rows(hall)
    for person in people:
        trend = trend_counts(hall, person.id, months)
        for month in months:
            inside = [r for r in counted if month.start <= _day(r) < month.end]
            mine = _counts(r for r in inside if r.staff_id == person.id)
            assert trend[month] == (mine, _counts(inside))


RANGES = [
    (date(2025, 12, 15), date(2026, 1, 20)),  # across a month, a quarter and a year
    (date(2026, 1, 1), date(2026, 1, 31)),  # exactly a month: the month's own tallies
    (date(2026, 1, 1), date(2026, 3, 31)),  # exactly a quarter
    (date(2026, 2, 3), date(2026, 2, 3)),  # one day
]


def test_a_range_of_days_equals_the_rows(rated, hall):
    for first, last in RANGES:
        counted = [r for r in _rows(hall) if first <= _day(r) <= last]
        assert tallies.over_days(hall.id, first, last, "window") == _by(
            counted, lambda r: r.window_id
        )
        assert tallies.over_days(hall.id, first, last, "staff") == _by(
            (r for r in counted if r.staff_id is not None), lambda r: r.staff_id
        )
        held = [r for r in _rows(hall, "quarantined") if first <= _day(r) <= last]
        assert tallies.over_days(hall.id, first, last, "held") == _by(held, lambda r: r.window_id)


def _figures(
    rows: list[Rating], first: date, last: date, staff_id: int | None
) -> scoring.LevelCounts:
    return _counts(
        r for r in rows if first <= _day(r) <= last and (staff_id is None or r.staff_id == staff_id)
    )


def test_dashboard_figures_chart_and_weakest_windows_equal_the_rows(rated, hall):
    _windows, people = rated
    counted, held = _rows(hall), _rows(hall, "quarantined")
    for first, last in [*RANGES, (date(2026, 2, 9), date(2026, 2, 9))]:
        for staff_id in (None, people[1].id):
            figures = dashboard.period_figures(hall.id, first, last, staff_id=staff_id)
            c, h = _figures(counted, first, last, staff_id), _figures(held, first, last, staff_id)
            assert (figures.count, figures.bad, figures.held, figures.held_bad) == (
                c.total,
                c.bad,
                h.total,
                h.bad,
            )
            assert figures.index == dashboard.raw_mean(c)
    _check_chart(hall, *rated)
    _check_weakest_windows(hall)


def _check_chart(hall: Hall, windows: list[Window], people: list[Staff]) -> None:
    today = date(2026, 3, 20)
    counted = [r for r in _rows(hall) if today - timedelta(days=89) <= _day(r) <= today]
    scopes: list[tuple[dict[str, int], Callable[[Rating], bool]]] = [
        ({}, lambda r: True),
        ({"window_id": windows[1].id}, lambda r: r.window_id == windows[1].id),
        ({"staff_id": people[2].id}, lambda r: r.staff_id == people[2].id),
    ]
    for scope, keep in scopes:
        per_day = _by((r for r in counted if keep(r)), _day)
        series = dashboard.daily_index(hall.id, today, **scope)
        assert len(series) == 90
        for day, index, count in series:
            counts = per_day.get(day, scoring.LevelCounts())
            assert (index, count) == (dashboard.raw_mean(counts), counts.total), day


def _check_weakest_windows(hall: Hall) -> None:
    first, last = date(2026, 2, 2), date(2026, 2, 22)
    counted = [r for r in _rows(hall) if first <= _day(r) <= last]
    per_window = _by(counted, lambda r: r.window_id)
    lowest = dashboard.lowest_windows(hall.id, first, last, limit=10)
    assert {f.window.id: (f.count, f.bad) for f in lowest} == {
        w: (c.total, c.bad) for w, c in per_window.items()
    }
    assert [f.index for f in lowest] == sorted(f.index for f in lowest if f.index is not None)


def test_the_quarantine_counts_equal_the_rows(rated, hall):
    _check_every_state_is_reached(hall)
    held = _rows(hall, "quarantined")
    assert rating_review.quarantined_count(hall.id) == len(held)
    queue = rating_review.quarantined(hall.id)
    assert [r.id for r in queue] == [r.id for r in sorted(held, key=lambda r: (r.created_at, r.id))]
    start, end = datetime(2026, 1, 1), datetime(2026, 2, 1)
    assert rating_review.quarantined_levels(hall.id, start, end) == _counts(
        r for r in held if start <= r.created_at < end
    )

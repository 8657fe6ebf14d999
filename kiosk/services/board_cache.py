"""Derived counters of ratings, kept in step by every change to a rating.

Every counted rating adds one to each RatingTally row of its window and, when someone was on
duty, of its staff member, at its level, for each period its hall-local day belongs to: the day,
the month, the quarter and the year. Any board view then reads one period: a few hundred rows;
the dashboards and the evaluation read them too (kiosk.services.tallies).
A quarantined rating counts for nobody; it adds one only to its window's "held" row of its day,
so that the board can say how many of today's ratings wait for review.

kiosk.services.ratings adds up deltas() of every change in a transaction and apply_deltas()
writes them in the same transaction, with an atomic INSERT … ON CONFLICT DO UPDATE count =
count + delta, so concurrent writers on PostgreSQL never lose an increment (SQLite serialises
writers anyway). rebuild() recounts from the ratings themselves; the two must always agree
(tests/services/test_board_cache.py).
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, cast, delete, func, select, text

from kiosk import clock
from kiosk.database import dialect_insert, table_of
from kiosk.extensions import db
from kiosk.models import Rating, RatingTally

# (hall_id, grain, period, subject, subject_id, level)
TallyKey = tuple[int, str, date, str, int, int]


@dataclass(frozen=True)
class RatingFacts:
    """What the counters need to know about a rating, as it was before or after a change."""

    hall_id: int
    window_id: int
    staff_id: int | None
    level: int
    status: str
    created_at: datetime

    @classmethod
    def of(cls, rating: Rating) -> "RatingFacts":
        return cls(
            rating.hall_id,
            rating.window_id,
            rating.staff_id,
            rating.level,
            rating.status,
            rating.created_at,
        )


def month_start(day: date) -> date:
    """Return the first day of day's month."""
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    """Return the first day of day's quarter."""
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def period_starts(day: date) -> tuple[tuple[str, date], ...]:
    """Return (grain, first day of the period) of each grain that a local day belongs to."""
    return (
        ("day", day),
        ("month", month_start(day)),
        ("quarter", quarter_start(day)),
        ("year", date(day.year, 1, 1)),
    )


def _keys(
    hall_id: int, window_id: int, staff_id: int | None, level: int, day: date
) -> list[TallyKey]:
    subjects = [("window", window_id)]
    if staff_id is not None:
        subjects.append(("staff", staff_id))
    return [
        (hall_id, grain, period, subject, subject_id, level)
        for grain, period in period_starts(day)
        for subject, subject_id in subjects
    ]


def _held_key(hall_id: int, window_id: int, level: int, day: date) -> TallyKey:
    # A quarantined rating counts for no one, but the board says how many wait for review:
    # subject "held", by window, for its day only.
    return (hall_id, "day", day, "held", window_id, level)


def _contribution(facts: RatingFacts | None) -> list[TallyKey]:
    if facts is None or facts.status not in ("counted", "quarantined"):
        return []  # excluded ratings do not count
    day = clock.to_local(facts.created_at).date()
    if facts.status == "quarantined":
        return [_held_key(facts.hall_id, facts.window_id, facts.level, day)]
    return _keys(facts.hall_id, facts.window_id, facts.staff_id, facts.level, day)


def deltas(before: RatingFacts | None, after: RatingFacts | None) -> Counter[TallyKey]:
    """Return how moving a rating from before to after changes each counter."""
    changes: Counter[TallyKey] = Counter()
    for key in _contribution(before):
        changes[key] -= 1
    for key in _contribution(after):
        changes[key] += 1
    return changes


def apply_deltas(changes: Counter[TallyKey]) -> None:
    """Add the changes of one or many ratings to the counters, in one statement."""
    nonzero = {key: delta for key, delta in changes.items() if delta}
    if nonzero:
        _upsert(nonzero)


def _upsert_statement() -> Any:  # an INSERT ... ON CONFLICT in the dialect of the moment
    # Executed with a list of rows (executemany), so SQLAlchemy compiles it once: a multi-row
    # VALUES statement is compiled anew on every call, and that was the most expensive step of
    # a rating POST.
    table = table_of(RatingTally)
    return dialect_insert(
        table,
        lambda insert: insert.on_conflict_do_update(
            index_elements=["hall_id", "grain", "period", "subject", "subject_id", "level"],
            set_={"count": table.c.count + insert.excluded["count"]},
        ),
    )


def _upsert(changes: dict[TallyKey, int]) -> None:
    # Sorted, so that concurrent writers on PostgreSQL lock the counter rows in the same order.
    rows = [
        {
            "hall_id": hall_id,
            "grain": grain,
            "period": period,
            "subject": subject,
            "subject_id": subject_id,
            "level": level,
            "count": delta,
        }
        for (hall_id, grain, period, subject, subject_id, level), delta in sorted(changes.items())
    ]
    db.session.execute(_upsert_statement(), rows)


def rebuild(hall_id: int | None = None) -> int:
    """Recount the tallies of one hall (or of all halls) from the ratings; return the rows written.

    Counting happens in SQL, grouped by window, staff, level and hall-local day; a hall-local
    day is the UTC time shifted by the zone's offset, taken per stretch of constant offset so a
    zone with daylight saving time is counted right too.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # Writers' upserts wait until the recount commits, and the recount waits for writers
        # already under way, so no rating is counted twice or missed.
        db.session.execute(text("LOCK TABLE rating_tally IN EXCLUSIVE MODE"))
    cleared = delete(RatingTally)
    if hall_id is not None:
        cleared = cleared.where(RatingTally.hall_id == hall_id)
    db.session.execute(cleared)

    scope: list[ColumnElement[bool]] = [Rating.status.in_(("counted", "quarantined"))]
    if hall_id is not None:
        scope.append(Rating.hall_id == hall_id)
    first, last = db.session.execute(
        select(func.min(Rating.created_at), func.max(Rating.created_at)).where(*scope)
    ).one()
    if first is None:
        return 0
    counts: Counter[TallyKey] = Counter()
    for start, end, offset in offset_segments(
        first, last + timedelta(seconds=1), clock.hall_zone()
    ):
        day = _local_day(offset).label("day")
        grouped = (
            select(
                Rating.hall_id,
                Rating.window_id,
                Rating.staff_id,
                Rating.level,
                Rating.status,
                day,
                func.count(),
            )
            .where(*scope, Rating.created_at >= start, Rating.created_at < end)
            .group_by(
                Rating.hall_id, Rating.window_id, Rating.staff_id, Rating.level, Rating.status, day
            )
        )
        for hall, window_id, staff_id, level, status, local_day, n in db.session.execute(grouped):
            on = _as_date(local_day)
            if status == "quarantined":
                counts[_held_key(hall, window_id, level, on)] += n
                continue
            for key in _keys(hall, window_id, staff_id, level, on):
                counts[key] += n
    rows = [
        {
            "hall_id": hall,
            "grain": grain,
            "period": period,
            "subject": subject,
            "subject_id": subject_id,
            "level": level,
            "count": n,
        }
        for (hall, grain, period, subject, subject_id, level), n in counts.items()
    ]
    for chunk in _chunks(rows, 5000):
        db.session.execute(table_of(RatingTally).insert(), chunk)
    return len(rows)


def _local_day(offset: timedelta) -> ColumnElement[Any]:
    if db.session.get_bind().dialect.name == "sqlite":
        minutes = int(offset.total_seconds() // 60)
        return func.date(Rating.created_at, f"{minutes:+d} minutes")
    return cast(Rating.created_at + offset, Date)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for at in range(0, len(rows), size):
        yield rows[at : at + size]


def offset_segments(
    start: datetime, end: datetime, zone: ZoneInfo
) -> Iterable[tuple[datetime, datetime, timedelta]]:
    """Split [start, end) (naive UTC) into stretches over which zone keeps one UTC offset.

    Walks day by day and finds each change of offset to the minute by bisection, so a year costs
    a few hundred offset look-ups.
    """

    def offset_at(moment: datetime) -> timedelta:
        return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).utcoffset() or timedelta()

    segment_start, current = start, offset_at(start)
    probe = start
    while probe < end:
        step = min(probe + timedelta(days=1), end)
        if offset_at(step) != current:
            low, high = probe, step  # offset_at(low) == current != offset_at(high)
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset_at(middle) == current:
                    low = middle
                else:
                    high = middle
            change = high.replace(second=0, microsecond=0)
            if offset_at(change) == current:
                change += timedelta(minutes=1)
            yield segment_start, change, current
            segment_start, current = change, offset_at(change)
            probe = change
        else:
            probe = step
    yield segment_start, end, current

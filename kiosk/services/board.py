"""The hall board and the monthly public disclosure, read from the rating tallies.

Everything here reads RatingTally rows (a few per staff member and window and period), never
the ratings themselves, so the cost grows with staff and windows, not with ratings. The ranking
is the scoring package's (rank_satisfaction: smoothed index, then raw mean, then count; exact
ties share a rank); staff below the scheme's min_ratings are listed apart as 评价数不足.

Ratings held for review (quarantined) count for no one; the "held" tallies of the day say how
many there are (Totals.held). The lower panel shows the last seven days' 满意率 from the day
tallies and this month's complaints closed on time.

Complaint figures, as decided for the board:
- handled on time (按时办结), today: complaints closed today whose closed_at is no later than the
  deadline of their last stage that has one (followup_due_at, else rectify_due_at, else
  verify_due_at; none set counts as on time);
- overdue (超期): complaints not closed whose current stage's deadline has passed: 待核实 →
  verify_due_at, 核实有效/整改中 → rectify_due_at, 已整改 → followup_due_at. A stage without a
  deadline (None) is not overdue; 核实无效 and 已回访 wait only for closing and are not overdue.
"""

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Complaint, Duty, Hall, Rating, RatingTally, Staff, Window
from kiosk.services import monthly_star
from kiosk.services.board_cache import month_start, period_starts
from kiosk.services.complaints import overdue_count as complaints_overdue
from kiosk.services.complaints_on_time import closed_since
from kiosk.services.evaluation import current_scheme

VIEWS = ("today", "month", "quarter", "year", "windows")
# The order the hall TV cycles through (BOARD_ROTATE_SECONDS per view).
ROTATION = ("today", "month", "quarter", "windows")
PERIODS = ("today", "month", "quarter", "year")


def scheme() -> scoring.Scheme:
    """Return the scoring scheme the board ranks with: the one evaluations use."""
    return current_scheme()


@dataclass(frozen=True)
class BoardEntry:
    """One line of the board: a staff member (or a window, in the windows view)."""

    kind: str  # staff | window
    subject_id: int
    rank: int | None  # None: 评价数不足, not ranked
    name: str
    staff_no: str | None
    window_number: int | None  # staff: the window they work at today, if any
    index: scoring.SatisfactionIndex

    @property
    def half_stars(self) -> int:
        """Return the smoothed index as half stars, 0..10 (20 points a star)."""
        return int(self.index.smoothed / 10 + 0.5)


@dataclass(frozen=True)
class BoardStandings:
    view: str
    first_day: date
    last_day: date
    ranked: tuple[BoardEntry, ...]
    insufficient: tuple[BoardEntry, ...]
    hall_mean: float
    min_ratings: int
    prior_weight: float


@dataclass(frozen=True)
class Totals:
    """A period's figures for the whole hall (all ratings, with or without staff on duty)."""

    counts: scoring.LevelCounts
    # Ratings held for review (quarantined): not in counts until a supervisor releases them.
    held: scoring.LevelCounts = field(default_factory=scoring.LevelCounts)

    @property
    def ratings(self) -> int:
        return self.counts.total

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: share of 非常满意 and 满意 (levels 4–5), 0..1; None without ratings."""
        return self.counts.good / self.counts.total if self.counts.total else None

    @property
    def bad(self) -> int:
        """差评: levels 1–2."""
        return self.counts.bad


@dataclass(frozen=True)
class ComplaintToday:
    closed: int
    closed_on_time: int
    overdue: int


@dataclass(frozen=True)
class TrendDay:
    """One hall-local day of the week's trend: its counted ratings."""

    day: date
    counts: scoring.LevelCounts

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 of the day (levels 4–5 of all counted), 0..1; None without ratings."""
        return self.counts.good / self.counts.total if self.counts.total else None

    @property
    def bar_tenths(self) -> int:
        """Return the bar's height in tenths (0..10): 满意率 from 50 % (empty) to 100 % (full).

        Rates below 50 % show an empty bar; the figure above the bar says the rate itself.
        """
        rate = self.satisfaction_rate or 0.0
        return max(0, min(10, round((rate - 0.5) * 20)))


@dataclass(frozen=True)
class ComplaintMonthToDate:
    """Complaints closed this month so far, and how many of them inside their deadlines."""

    closed: int
    closed_on_time: int

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class TickerItem:
    """A recent rating, as the TV may show it: a window and a level, nothing personal."""

    window_number: int
    level: int
    at: datetime  # naive UTC


@dataclass(frozen=True)
class BoardSnapshot:
    """Everything the board fragment shows at one moment."""

    hall: Hall
    now: datetime
    standings: BoardStandings
    today: Totals
    complaints: ComplaintToday
    stars: tuple[BoardEntry, ...]  # 本月服务之星: the scheme's monthly_star rule, month so far
    ticker: tuple[TickerItem, ...]
    week: tuple[TrendDay, ...]  # the last seven days, oldest first, today last
    month_complaints: ComplaintMonthToDate


def local_today(now: datetime) -> date:
    """Return the hall-local date at now (naive UTC)."""
    return clock.to_local(now).date()


def local_midnight(day: date) -> datetime:
    """Return the naive UTC moment the hall-local day begins."""
    local = datetime.combine(day, time(0), tzinfo=clock.hall_zone())
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def add_months(first: date, months: int) -> date:
    """Return the first day of the month months after first's month."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def view_periods(view: str, today: date) -> tuple[str, list[date], date, date]:
    """Return (grain, tally periods, first day, last day) a view covers up to today."""
    grain = {"today": "day", "windows": "month"}.get(view, view)
    starts = dict(period_starts(today))
    if grain not in starts:
        raise ValueError(f"unknown board view {view!r}")
    return grain, [starts[grain]], starts[grain], today


@functools.cache
def _tally_query() -> Select[*tuple[Any, ...]]:
    """Build the tally query once: composing it costs more than running it on SQLite."""
    # One row per subject with its five level counts, pivoted in SQL: a few hundred index
    # entries read, a hundred rows returned, whatever the number of ratings.
    by_level = [
        func.sum(case((RatingTally.level == level, RatingTally.count), else_=0))
        for level in (1, 2, 3, 4, 5)
    ]
    return (
        select(RatingTally.subject, RatingTally.subject_id, *by_level)
        .where(
            RatingTally.hall_id == bindparam("hall_id"),
            RatingTally.grain == bindparam("grain"),
            RatingTally.period.in_(bindparam("periods", expanding=True)),
            RatingTally.subject.in_(bindparam("subjects", expanding=True)),
        )
        .group_by(RatingTally.subject, RatingTally.subject_id)
    )


def _tallies(
    hall_id: int, grain: str, periods: Sequence[date], subjects: Iterable[str]
) -> dict[tuple[str, int], scoring.LevelCounts]:
    rows = db.session.execute(
        _tally_query(),
        {"hall_id": hall_id, "grain": grain, "periods": list(periods), "subjects": list(subjects)},
    )
    return {
        (subject, subject_id): scoring.LevelCounts((int(l1), int(l2), int(l3), int(l4), int(l5)))
        for subject, subject_id, l1, l2, l3, l4, l5 in rows
    }


def _hall_counts(tallies: dict[tuple[str, int], scoring.LevelCounts]) -> scoring.LevelCounts:
    # Every rating counts under its window, so the windows together are the whole hall.
    counts = [c for (subject, _id), c in tallies.items() if subject == "window"]
    return sum(counts, scoring.LevelCounts())


def _windows_today(hall_id: int, now: datetime) -> dict[int, int]:
    """Return staff id → number of the window of their last duty today (going on or ended).

    Staff without a duty today are absent: the board shows no window for them.
    """
    day_start = local_midnight(local_today(now))
    rows = db.session.execute(
        select(Duty.staff_id, Window.number)
        .join(Window, Duty.window_id == Window.id)
        .where(
            Window.hall_id == hall_id,
            Duty.starts_at >= day_start - timedelta(days=1),
            Duty.starts_at <= now,
            or_(Duty.ends_at.is_(None), Duty.ends_at > day_start),
        )
        .order_by(Duty.starts_at)
    )
    return {staff_id: number for staff_id, number in rows}  # the latest duty wins


def _rank(
    kind: str,
    subjects: dict[int, tuple[str, str | None, int | None]],
    counts: dict[int, scoring.LevelCounts],
    hall_mean: float,
) -> tuple[tuple[BoardEntry, ...], tuple[BoardEntry, ...]]:
    ranked = scoring.rank_satisfaction(
        {str(sid): counts.get(sid, scoring.LevelCounts()) for sid in subjects},
        scheme(),
        hall_mean,
    )

    def entry(standing: scoring.Standing) -> BoardEntry:
        sid = int(standing.subject_id)
        name, staff_no, window_number = subjects[sid]
        return BoardEntry(kind, sid, standing.rank, name, staff_no, window_number, standing.index)

    return (
        tuple(entry(s) for s in ranked.ranked),
        tuple(entry(s) for s in ranked.insufficient),
    )


class _Subjects:
    """The hall's staff, windows and tallies, each read once per board snapshot."""

    def __init__(self, hall_id: int, now: datetime) -> None:
        self.hall_id = hall_id
        self.now = now
        self._tallies: dict[tuple[str, date], dict[tuple[str, int], scoring.LevelCounts]] = {}
        self._staff: list[tuple[int, str, str, bool]] | None = None
        self._windows: list[tuple[int, str, int, bool]] | None = None
        self._on_duty: dict[int, int] | None = None

    def tallies(self, grain: str, period: date) -> dict[tuple[str, int], scoring.LevelCounts]:
        """Return every subject's level counts for one period (the month view and the windows
        view and the month star share one read)."""
        key = (grain, period)
        if key not in self._tallies:
            self._tallies[key] = _tallies(
                self.hall_id, grain, [period], ("window", "staff", "held")
            )
        return self._tallies[key]

    def staff(self, rated: Iterable[int]) -> dict[int, tuple[str, str | None, int | None]]:
        """Return active staff and anyone rated: id → (name, 工号, window number today)."""
        if self._staff is None:
            self._staff = [
                (sid, name, staff_no, active)
                for sid, name, staff_no, active in db.session.execute(
                    select(Staff.id, Staff.name, Staff.staff_no, Staff.active).where(
                        Staff.hall_id == self.hall_id
                    )
                )
            ]
            self._on_duty = _windows_today(self.hall_id, self.now)
        on_duty = self._on_duty or {}
        wanted = set(rated)
        return {
            sid: (name, staff_no, on_duty.get(sid))
            for sid, name, staff_no, active in self._staff
            if active or sid in wanted
        }

    def windows(self, rated: Iterable[int]) -> dict[int, tuple[str, str | None, int | None]]:
        """Return active windows and any rated: id → (name, None, number)."""
        if self._windows is None:
            self._windows = [
                (wid, name, number, active)
                for wid, name, number, active in db.session.execute(
                    select(Window.id, Window.name, Window.number, Window.active)
                    .where(Window.hall_id == self.hall_id)
                    .order_by(Window.number)
                )
            ]
        wanted = set(rated)
        return {
            wid: (name, None, number)
            for wid, name, number, active in self._windows
            if active or wid in wanted
        }


def standings(hall: Hall, view: str, now: datetime) -> BoardStandings:
    """Rank the hall's staff (or its windows, for view "windows") for a board view at now.

    Views: today, month, quarter, year (staff) and windows (windows, this month). Lists every
    active staff member or window, and anyone else with counted ratings in the period.
    """
    return _standings(hall, view, _Subjects(hall.id, now))


def _standings(hall: Hall, view: str, known: _Subjects) -> BoardStandings:
    if view not in VIEWS:
        raise ValueError(f"unknown board view {view!r}")
    grain, periods, first, last = view_periods(view, local_today(known.now))
    tallies = known.tallies(grain, periods[0])
    mean = scoring.hall_mean([_hall_counts(tallies)], scheme())
    kind = "window" if view == "windows" else "staff"
    counts = {sid: c for (subject, sid), c in tallies.items() if subject == kind}
    subjects = known.windows(counts) if kind == "window" else known.staff(counts)
    ranked, insufficient = _rank(kind, subjects, counts, mean)
    return BoardStandings(
        view, first, last, ranked, insufficient, mean, scheme().min_ratings, scheme().prior_weight
    )


def today_totals(hall: Hall, now: datetime) -> Totals:
    """Return today's figures for the whole hall."""
    return _today_totals(_Subjects(hall.id, now))


def _today_totals(known: _Subjects) -> Totals:
    tallies = known.tallies("day", local_today(known.now))
    held = [c for (subject, _id), c in tallies.items() if subject == "held"]
    return Totals(_hall_counts(tallies), sum(held, scoring.LevelCounts()))


@functools.cache
def _trend_query() -> Select[*tuple[Any, ...]]:
    # Seven days' window tallies summed per day and level: at most 7 × 5 rows returned, read
    # from (windows × 7 × 5) index entries, whatever the number of ratings.
    return (
        select(RatingTally.period, RatingTally.level, func.sum(RatingTally.count))
        .where(
            RatingTally.hall_id == bindparam("hall_id"),
            RatingTally.grain == "day",
            RatingTally.period.in_(bindparam("periods", expanding=True)),
            RatingTally.subject == "window",
        )
        .group_by(RatingTally.period, RatingTally.level)
    )


def week_trend(hall: Hall, now: datetime, days: int = 7) -> tuple[TrendDay, ...]:
    """Return the counted ratings of each of the last days (today last), from the tallies."""
    today = local_today(now)
    wanted = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    levels: dict[date, list[int]] = {day: [0] * 5 for day in wanted}
    for period, level, count in db.session.execute(
        _trend_query(), {"hall_id": hall.id, "periods": wanted}
    ):
        day = period if isinstance(period, date) else date.fromisoformat(str(period))
        levels[day][int(level) - 1] += int(count or 0)
    return tuple(
        TrendDay(day, scoring.LevelCounts((c[0], c[1], c[2], c[3], c[4])))
        for day, c in levels.items()
    )


def complaints_today(hall: Hall, now: datetime) -> ComplaintToday:
    """Return complaints closed today (and how many on time) and how many are overdue now."""
    closed, on_time = closed_since(hall, local_midnight(local_today(now)), now)
    return ComplaintToday(closed, on_time, overdue_count(hall, now))


def complaints_month_to_date(hall: Hall, now: datetime) -> ComplaintMonthToDate:
    """Return this month's closed complaints and how many closed on time (as complaints_today)."""
    closed, on_time = closed_since(hall, local_midnight(month_start(local_today(now))), now)
    return ComplaintMonthToDate(closed, on_time)


def overdue_count(hall: Hall, now: datetime) -> int:
    """Return how many of the hall's open complaints are past their current stage's deadline."""
    return complaints_overdue(hall.id, now)


def ticker(hall: Hall, now: datetime, limit: int = 4) -> tuple[TickerItem, ...]:
    """Return today's latest counted ratings as (window number, level, time): nothing personal."""
    rows = db.session.execute(
        select(Window.number, Rating.level, Rating.created_at)
        .join(Window, Rating.window_id == Window.id)
        .where(
            Rating.hall_id == hall.id,
            Rating.created_at >= local_midnight(local_today(now)),
            Rating.created_at <= now,
            Rating.status == "counted",
        )
        .order_by(Rating.created_at.desc())
        .limit(limit)
    )
    return tuple(TickerItem(number, level, at) for number, level, at in rows)


def snapshot(hall: Hall, view: str, now: datetime) -> BoardSnapshot:
    """Return everything the board fragment shows for a view at now."""
    known = _Subjects(hall.id, now)
    shown = _standings(hall, view, known)
    month = shown if view == "month" else _standings(hall, "month", known)
    # 本月服务之星: whom the scheme's [monthly_star] rule chooses for the month so far.
    chosen = monthly_star.chosen_ids(hall, now)
    stars = tuple(e for e in (*month.ranked, *month.insufficient) if e.subject_id in chosen)[:3]
    return BoardSnapshot(
        hall=hall,
        now=now,
        standings=shown,
        today=_today_totals(known),
        complaints=complaints_today(hall, now),
        stars=stars,
        ticker=ticker(hall, now),
        week=week_trend(hall, now),
        month_complaints=complaints_month_to_date(hall, now),
    )


def rotation_view(moment: datetime, rotate_seconds: int) -> str:
    """Return the view of the rotation due at moment: every TV shows the same one."""
    seconds = (moment - datetime(1970, 1, 1)).total_seconds()
    slot = int(seconds // max(rotate_seconds, 1))
    return ROTATION[slot % len(ROTATION)]


def find_hall(slug: str | None) -> Hall | None:
    """Return the hall with slug, or the first hall when slug is None."""
    query = select(Hall).order_by(Hall.id).limit(1)
    if slug is not None:
        query = select(Hall).where(Hall.slug == slug)
    return db.session.scalar(query)


# The monthly public disclosure (评价结果及整改情况公开).


@dataclass(frozen=True)
class ComplaintMonth:
    """Complaints filed in a month and how far they got; counts only, nothing about anyone."""

    filed: int
    valid: int
    rectified: int
    rectified_on_time: int
    followed_up: int
    followed_up_on_time: int


@dataclass(frozen=True)
class MonthDisclosure:
    hall: Hall
    month: date
    totals: Totals
    complaints: ComplaintMonth
    windows: BoardStandings
    months: tuple[date, ...]  # months that can be chosen, newest first


def disclosure(hall: Hall, month: date, now: datetime) -> MonthDisclosure:
    """Return a month's public results: ratings by level, 差评 and their handling, windows."""
    month = month_start(month)
    tallies = _tallies(hall.id, "month", [month], ("window",))
    totals = Totals(_hall_counts(tallies))
    mean = scoring.hall_mean([totals.counts], scheme())
    counts = {sid: c for (_subject, sid), c in tallies.items()}
    subjects = _Subjects(hall.id, now).windows(counts)
    ranked, insufficient = _rank("window", subjects, counts, mean)
    last_day = min(add_months(month, 1) - timedelta(days=1), local_today(now))
    windows = BoardStandings(
        "windows",
        month,
        last_day,
        ranked,
        insufficient,
        mean,
        scheme().min_ratings,
        scheme().prior_weight,
    )
    return MonthDisclosure(
        hall=hall,
        month=month,
        totals=totals,
        complaints=_complaint_month(hall, month),
        windows=windows,
        months=_disclosure_months(hall, now),
    )


def _complaint_month(hall: Hall, month: date) -> ComplaintMonth:
    def on_time(
        done: InstrumentedAttribute[datetime | None], due: InstrumentedAttribute[datetime | None]
    ) -> ColumnElement[int]:
        return func.sum(
            case((and_(done.is_not(None), or_(due.is_(None), done <= due)), 1), else_=0)
        )

    def done(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[int]:
        return func.sum(case((column.is_not(None), 1), else_=0))

    row = db.session.execute(
        select(
            func.count(Complaint.id),
            func.sum(case((Complaint.is_valid.is_(True), 1), else_=0)),
            done(Complaint.rectified_at),
            on_time(Complaint.rectified_at, Complaint.rectify_due_at),
            done(Complaint.followed_up_at),
            on_time(Complaint.followed_up_at, Complaint.followup_due_at),
        ).where(
            Complaint.hall_id == hall.id,
            Complaint.created_at >= local_midnight(month),
            Complaint.created_at < local_midnight(add_months(month, 1)),
        )
    ).one()
    return ComplaintMonth(*(int(value or 0) for value in row))


def _disclosure_months(hall: Hall, now: datetime, count: int = 12) -> tuple[date, ...]:
    this_month = month_start(local_today(now))
    return tuple(add_months(this_month, -back) for back in range(count))

"""Figures for the supervisors' and the staff's dashboards.

Counts come from the rating tallies (kiosk.services.tallies: counted ratings per window or
staff member, per level and hall-local day or month); the satisfaction arithmetic is the
scoring package's (raw mean of level points, 5→100 … 1→0, counted ratings only).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Complaint, Rating, Window
from kiosk.services import rating_review, tallies
from kiosk.services.complaints import awaiting_verification_count, overdue_count
from scoring import LevelCounts, default_scheme, satisfaction_index

CHART_DAYS = 90


def _utc(local: datetime) -> datetime:
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_midnight(day: date) -> datetime:
    """Return the naive-UTC start of hall-local day."""
    return _utc(datetime.combine(day, datetime.min.time(), clock.hall_zone()))


def recent_ratings(staff_id: int, *, limit: int = 20) -> list[Rating]:
    """Return the staff member's latest counted ratings, newest first."""
    return list(
        db.session.scalars(
            select(Rating)
            .where(Rating.staff_id == staff_id, Rating.status == "counted")
            .order_by(Rating.created_at.desc())
            .limit(limit)
        )
    )


def raw_mean(counts: LevelCounts) -> float | None:
    """Return the mean level points (0–100) of counts, None without ratings."""
    if counts.total == 0:
        return None
    return satisfaction_index(counts, 60, default_scheme()).raw_mean


def bad_rate(counts: LevelCounts) -> float | None:
    """Return the share of 差评 (levels 1–2) in counts, 0..1, None without ratings."""
    if counts.total == 0:
        return None
    return satisfaction_index(counts, 60, default_scheme()).bad_rate


@dataclass(frozen=True)
class PeriodFigures:
    count: int
    index: float | None  # raw mean of points, 0–100
    bad: int  # 差评 (levels 1–2)
    # Held for review (quarantined): in none of the figures above until released.
    held: int = 0
    held_bad: int = 0


def period_figures(
    hall_id: int, first: date, last: date, *, staff_id: int | None = None
) -> PeriodFigures:
    """Return counted ratings, satisfaction and 差评 of the hall-local days first to last, and
    apart from them the ratings held for review (the hall's, or one staff member's)."""
    if staff_id:
        counted = tallies.over_days(hall_id, first, last, "staff", staff_id).get(
            staff_id, LevelCounts()
        )
        # Held tallies are per window: a staff member's held ratings are counted from the
        # rows, which the quarantine index narrows to the hall's held ones.
        held = rating_review.quarantined_levels(
            hall_id, local_midnight(first), local_midnight(last + timedelta(days=1)), staff_id
        )
    else:
        counted = tallies.total(tallies.over_days(hall_id, first, last, "window").values())
        held = tallies.total(tallies.over_days(hall_id, first, last, "held").values())
    return PeriodFigures(counted.total, raw_mean(counted), counted.bad, held.total, held.bad)


def daily_index(
    hall_id: int,
    today: date,
    *,
    days: int = CHART_DAYS,
    window_id: int | None = None,
    staff_id: int | None = None,
) -> list[tuple[date, float | None, int]]:
    """Return (local day, satisfaction index or None, ratings) for each of the last days."""
    first = today - timedelta(days=days - 1)
    if window_id or staff_id:
        subject, subject_id = ("window", window_id) if window_id else ("staff", staff_id)
        one = tallies.by_day(hall_id, first, today, subject, subject_id)
        per_day = {day: tallies.total(counts.values()) for day, counts in one.items()}
    else:
        per_day = tallies.hall_by_day(hall_id, first, today)
    series = []
    for i in range(days):
        day = first + timedelta(days=i)
        counts = per_day.get(day, LevelCounts())
        series.append((day, raw_mean(counts), counts.total))
    return series


@dataclass(frozen=True)
class WindowFigures:
    window: Window
    count: int
    index: float | None
    bad: int


def lowest_windows(hall_id: int, first: date, last: date, limit: int = 5) -> list[WindowFigures]:
    """Return the windows with the lowest satisfaction on the hall-local days first to last
    (rated ones only).

    Ties: fewer ratings first would be arbitrary; the lower window number comes first.
    """
    per_window = tallies.over_days(hall_id, first, last, "window")
    windows = {
        w.id: w for w in db.session.scalars(select(Window).where(Window.id.in_(list(per_window))))
    }
    figures = [
        WindowFigures(windows[window_id], counts.total, raw_mean(counts), counts.bad)
        for window_id, counts in per_window.items()
    ]
    figures.sort(key=lambda f: (f.index if f.index is not None else 101, f.window.number))
    return figures[:limit]


@dataclass(frozen=True)
class Summary:
    today: PeriodFigures
    month: PeriodFigures
    overdue: int
    week_start: date


def summary(hall_id: int, now: datetime, *, staff_id: int | None = None) -> Summary:
    """Return today's and this month's figures and overdue complaints (hall, or one staff)."""
    local_today = clock.to_local(now).date()
    month_start = local_today.replace(day=1)
    return Summary(
        today=period_figures(hall_id, local_today, local_today, staff_id=staff_id),
        month=period_figures(hall_id, month_start, local_today, staff_id=staff_id),
        overdue=overdue_count(hall_id, now, staff_id=staff_id),
        week_start=local_today - timedelta(days=local_today.weekday()),
    )


@dataclass(frozen=True)
class Alerts:
    new_complaints: list[Complaint]
    bad_ratings: list[Rating]
    new_count: int
    bad_today: int  # every 差评 received today, whatever its status
    bad_today_held: int = 0  # of which held for review (quarantined), not yet counted

    @property
    def badge(self) -> int:
        return self.new_count + self.bad_today


def alerts(hall_id: int, now: datetime, limit: int = 8) -> Alerts:
    """Return complaints awaiting verification and today's 差评, newest first."""
    day_start = local_midnight(clock.to_local(now).date())
    new = select(Complaint).where(Complaint.hall_id == hall_id, Complaint.status == "new")
    bad = select(Rating).where(
        Rating.hall_id == hall_id, Rating.level <= 2, Rating.created_at >= day_start
    )
    return Alerts(
        new_complaints=list(
            db.session.scalars(new.order_by(Complaint.created_at.desc()).limit(limit))
        ),
        bad_ratings=list(db.session.scalars(bad.order_by(Rating.created_at.desc()).limit(limit))),
        new_count=awaiting_verification_count(hall_id),
        bad_today=db.session.scalar(select(func.count()).select_from(bad.subquery())) or 0,
        bad_today_held=db.session.scalar(
            select(func.count()).select_from(bad.where(Rating.status == "quarantined").subquery())
        )
        or 0,
    )


# --- the chart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """Geometry of a server-rendered SVG line chart (viewBox units)."""

    width: int
    height: int
    segments: list[str]  # polyline point lists; a day without ratings breaks the line
    dots: list[tuple[float, float, str]]  # x, y, tooltip
    y_ticks: list[tuple[float, int]]  # y, label
    x_ticks: list[tuple[float, str]]  # x, label
    left: int
    right: int
    top: int
    bottom: int
    empty: bool


def line_chart(
    series: list[tuple[date, float | None, int]],
    width: int = 720,
    height: int = 240,
    *,
    months: bool = False,
) -> Chart:
    """Lay out series (day, index 0–100 or None, ratings) as an SVG line chart.

    Days without ratings (weekends, holidays) get no dot and the line runs on to the next
    rated day. The y axis ends at 100 and starts at the ten below the lowest value (at most
    80, at least 0), so day-to-day changes stay visible without hiding how high they are.
    With months, each point is a month (its first day) and every third month is labelled,
    counted back from the last, so the latest month always has its label.
    """
    tick_format, tip_format = ("%Y-%m", "%Y-%m") if months else ("%m-%d", "%Y-%m-%d")
    left, right, top, bottom = 40, width - 24, 10, height - 28
    n = max(len(series) - 1, 1)
    values = [v for _d, v, _c in series if v is not None]
    floor = max(0, min(80, int(min(values, default=0) // 10) * 10 - 10))
    step = 10 if 100 - floor <= 50 else 20

    def x(i: int) -> float:
        return round(left + (right - left) * i / n, 1)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * (value - floor) / (100 - floor), 1)

    points = []
    dots = []
    for i, (day, value, count) in enumerate(series):
        if value is None:
            continue
        points.append(f"{x(i)},{y(value)}")
        dots.append((x(i), y(value), f"{day.strftime(tip_format)}  {value:.1f}  ({count})"))
    x_ticks = [
        (x(i), day.strftime(tick_format))
        for i, (day, _v, _c) in enumerate(series)
        if ((len(series) - 1 - i) % 3 == 0 if months else i % 15 == 0 or i == len(series) - 1)
    ]
    return Chart(
        width=width,
        height=height,
        segments=[" ".join(points)] if points else [],
        dots=dots,
        y_ticks=[(y(v), v) for v in range(floor, 101, step)],
        x_ticks=x_ticks,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        empty=not dots,
    )

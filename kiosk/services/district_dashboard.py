"""The district dashboard: a street office's stations side by side, and each one's trend.

Every figure is one the product already computes for a single hall, counted the same way:

- ratings, satisfaction and 差评率 from the rating tallies (kiosk.services.tallies), never from
  the ratings themselves, so the page costs rows per station, window and period, whatever the
  number of ratings; satisfaction is the hall dashboard's (kiosk.services.dashboard.raw_mean,
  the raw mean of level points, 0–100) and 差评率 too (dashboard.bad_rate: levels 1–2 of all
  counted ratings, as the scoring package rounds it);
- complaints handled on time: of those closed in the range, the share closed by the deadline of
  their last stage (the board's 按时办结, kiosk.services.complaints_on_time.closed_since);
- overdue complaints: open now past their current stage's deadline (working days,
  kiosk.services.complaints.overdue_count).

A range is "so far": each ends today (hall-local). This month, quarter and year are read from
that period's own tally rows, which hold nothing after today since a rating is stamped when it
arrives (the board reads them the same way); the last 30 days from the day rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import scoring
from kiosk import clock
from kiosk.models import District, Hall
from kiosk.services import board, tallies
from kiosk.services.board_cache import period_starts
from kiosk.services.complaints import overdue_count
from kiosk.services.complaints_on_time import closed_since
from kiosk.services.dashboard import Chart, bad_rate, line_chart, raw_mean

# The ranges a dashboard may show, in the order offered; the first is the default.
RANGES = ("month", "30d", "quarter", "year")
DEFAULT_RANGE = RANGES[0]
TREND_MONTHS = 12


@dataclass(frozen=True)
class DateRange:
    """Hall-local days first to last (inclusive); grain names the tally period it is, if any."""

    key: str
    first: date
    last: date
    grain: str | None  # "month", "quarter" or "year" so far; None: read day by day


def date_range(key: str, today: date) -> DateRange:
    """Return the range key names, ending today; ValueError for a key not in RANGES."""
    if key not in RANGES:
        raise ValueError(f"unknown dashboard range {key!r}")
    if key == "30d":
        return DateRange(key, today - timedelta(days=29), today, None)
    starts = dict(period_starts(today))
    return DateRange(key, starts[key], today, key)


@dataclass(frozen=True)
class RoundScore:
    """A station's result in an assessment round (rounds come with issue #27's later points)."""

    score: float
    grade: str


@dataclass(frozen=True)
class StationFigures:
    """One station's line of the dashboard; None where there is nothing to divide."""

    hall: Hall
    counts: scoring.LevelCounts
    index: float | None  # raw mean of level points, 0–100
    bad_rate: float | None  # 差评 (levels 1–2) of all counted ratings, 0..1
    closed: int  # complaints closed in the range
    closed_on_time: int
    overdue: int  # open now, past the current stage's deadline
    trend: Chart  # satisfaction per month, the last TREND_MONTHS months
    last_round: RoundScore | None = None  # no station rounds exist yet

    @property
    def ratings(self) -> int:
        return self.counts.total

    @property
    def on_time_rate(self) -> float | None:
        """Share of the closed complaints closed on time, 0..1; None when none was closed."""
        return self.closed_on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class DistrictDashboard:
    district: District
    range: DateRange
    stations: list[StationFigures]


def range_counts(hall_id: int, span: DateRange) -> scoring.LevelCounts:
    """Return the hall's counted ratings of the range, from the tallies."""
    if span.grain is not None:
        per_period = tallies.by_period(hall_id, span.grain, [span.first], "window")
        return tallies.total(per_period.get(span.first, {}).values())
    return tallies.total(tallies.hall_by_day(hall_id, span.first, span.last).values())


def monthly_index(
    hall_id: int, today: date, months: int = TREND_MONTHS
) -> list[tuple[date, float | None, int]]:
    """Return (first day of month, satisfaction or None, ratings) for each of the last months."""
    this_month = today.replace(day=1)
    starts = [board.add_months(this_month, back) for back in range(1 - months, 1)]
    per_month = tallies.by_period(hall_id, "month", starts, "window")
    series = []
    for start in starts:
        counts = tallies.total(per_month.get(start, {}).values())
        series.append((start, raw_mean(counts), counts.total))
    return series


def station_figures(hall: Hall, span: DateRange, now: datetime) -> StationFigures:
    """Return one station's figures over the range, its overdue complaints now and its trend."""
    counts = range_counts(hall.id, span)
    closed, on_time = closed_since(hall, board.local_midnight(span.first), now)
    return StationFigures(
        hall=hall,
        counts=counts,
        index=raw_mean(counts),
        bad_rate=bad_rate(counts),
        closed=closed,
        closed_on_time=on_time,
        overdue=overdue_count(hall.id, now),
        trend=line_chart(monthly_index(hall.id, span.last), width=360, height=140, months=True),
    )


def figures(district: District, key: str, now: datetime) -> DistrictDashboard:
    """Return the dashboard of the district's stations (by slug) over the range key names."""
    span = date_range(key, clock.to_local(now).date())
    return DistrictDashboard(
        district, span, [station_figures(hall, span, now) for hall in district.stations]
    )

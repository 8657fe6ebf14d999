"""Evaluation periods: hall-local months, quarters and years, their codes and their bounds.

Periods are hall-local: ``2026-11`` is 1 November 00:00 to 1 December 00:00 Asia/Shanghai.
A run of days that is no such period (a spot check's, say) is a :class:`Days`, read the same
way: ``start``, ``end`` and ``bounds()``; ``Span`` is either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from kiosk import clock
from kiosk.services.evaluation_error import EvaluationError


@dataclass(frozen=True, order=True)
class Period:
    """An evaluation period: a month (``2026-11``), quarter (``2026Q4``) or year (``2026``)."""

    year: int
    kind: str  # month / quarter / year
    number: int  # month 1..12, quarter 1..4, 1 for a year

    @property
    def code(self) -> str:
        """Return the period's code as used in URLs, files and the CLI."""
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        """Return the period in words (2026年11月, 2026年第4季度, 2026年度)."""
        if self.kind == "month":
            return _("%(year)s年%(month)s月", year=self.year, month=self.number)
        if self.kind == "quarter":
            return _("%(year)s年第%(q)s季度", year=self.year, q=self.number)
        return _("%(year)s年度", year=self.year)

    @property
    def start(self) -> date:
        """Return the first local day of the period."""
        if self.kind == "month":
            return date(self.year, self.number, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """Return the first local day after the period."""
        return self.next().start

    def next(self) -> Period:
        """Return the period that follows this one (same kind)."""
        last = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        if self.number < last:
            return Period(self.year, self.kind, self.number + 1)
        return Period(self.year + 1, self.kind, 1)

    def previous(self) -> Period:
        """Return the period before this one (same kind)."""
        last = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        if self.number > 1:
            return Period(self.year, self.kind, self.number - 1)
        return Period(self.year - 1, self.kind, last)

    def parts(self, kind: str) -> list[Period]:
        """Return the ``months`` or ``quarters`` this period is made of, in order.

        Raises ValueError for parts it is not made of (a month has none, a quarter no quarters).
        """
        if kind == "months" and self.kind in ("year", "quarter"):
            first, count = self.start.month, 12 if self.kind == "year" else 3
            return [Period(self.year, "month", first + i) for i in range(count)]
        if kind == "quarters" and self.kind == "year":
            return [Period(self.year, "quarter", number) for number in range(1, 5)]
        raise ValueError(f"{self.code} is not made of {kind}")

    def within(self) -> list[Period]:
        """Return every shorter period inside this one: a year's quarters and months."""
        inside = self.parts("quarters") if self.kind == "year" else []
        return inside + (self.parts("months") if self.kind != "month" else [])

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the naive UTC start (inclusive) and end (exclusive) of the period."""
        return _utc_bounds(self.start, self.end, zone)

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Days:
    """The hall-local days ``first`` to ``last`` (inclusive), read like a :class:`Period`."""

    first: date
    last: date

    @property
    def start(self) -> date:
        """Return the first local day."""
        return self.first

    @property
    def end(self) -> date:
        """Return the first local day after the days."""
        return self.last + timedelta(days=1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the naive UTC start (inclusive) and end (exclusive) of the days."""
        return _utc_bounds(self.start, self.end, zone)


Span = Period | Days


def _utc_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    def utc(day: date) -> datetime:
        local = datetime.combine(day, time(0), tzinfo=zone)
        return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    return utc(start), utc(end)


_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2})|[Qq]([1-4]))?$")


def parse_period(text: str) -> Period:
    """Return the period a code names, or raise EvaluationError saying what a code looks like."""
    value = (text or "").strip()
    match = _PERIOD.match(value)
    year = int(match.group(1)) if match else 0
    if match is None or not 2000 <= year <= 2100:
        raise EvaluationError(
            _(
                "期间“%(value)s”无法识别：请写作 2026-11（月）、2026Q4（季度）或 2026（年度）。",
                value=value[:20],
            )
        )
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise EvaluationError(_("期间“%(value)s”的月份应为 1–12。", value=value))
        return Period(year, "month", month)
    if match.group(3):
        return Period(year, "quarter", int(match.group(3)))
    return Period(year, "year", 1)


def current_period(now: datetime, kind: str = "month") -> Period:
    """Return the hall-local month (or quarter, year) containing ``now`` (naive UTC)."""
    today = clock.to_local(now).date()
    if kind == "quarter":
        return Period(today.year, "quarter", (today.month - 1) // 3 + 1)
    if kind == "year":
        return Period(today.year, "year", 1)
    return Period(today.year, "month", today.month)


def not_begun(period: Period, now: datetime) -> str | None:
    """Return why nothing can be entered for ``period`` yet, or None once it has begun.

    Assessments (by form or import) and adjustments are for a period that has started: a
    self-assessment submitted and locked for a month not yet worked is a slip of the period
    picker, not an assessment.
    """
    if period.start <= clock.to_local(now).date():
        return None
    return _(
        "%(period)s 尚未开始：%(day)s 起才能提交评价、登记加减分。",
        period=period.label,
        day=period.start.isoformat(),
    )


def not_ended(period: Period, now: datetime) -> str | None:
    """Return why ``period`` cannot be finalised yet, or None once it has ended.

    Finalising cannot be undone, and ratings still count until the period's last day is over.
    """
    if period.end <= clock.to_local(now).date():
        return None
    return _(
        "%(period)s 尚未结束：%(day)s 起才能定稿。", period=period.label, day=period.end.isoformat()
    )

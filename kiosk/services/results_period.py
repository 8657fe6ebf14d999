"""The evaluation period a person lands on first: the latest one that has results."""

from datetime import datetime

from sqlalchemy import select, union

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Adjustment, Assessment, EvaluationSnapshot
from kiosk.services.evaluation_error import EvaluationError
from kiosk.services.periods import Period, parse_period


def latest_period_with_results(hall_id: int, now: datetime) -> Period | None:
    """Return the hall's latest begun period with assessments, adjustments or finalised results.

    Months, quarters and years compete: the period ending last wins, and of periods ending
    together the shortest (2026-12 before 2026Q4 before 2026). None when the hall has none.
    """
    today = clock.to_local(now).date()
    codes = db.session.scalars(
        union(
            select(Assessment.period).where(Assessment.hall_id == hall_id),
            select(Adjustment.period).where(Adjustment.hall_id == hall_id),
            select(EvaluationSnapshot.period).where(EvaluationSnapshot.hall_id == hall_id),
        )
    )
    periods = []
    for code in codes:
        try:
            period = parse_period(code)
        except EvaluationError:
            continue  # not a code this version reads; nothing to open
        if period.start <= today:
            periods.append(period)
    return max(periods, key=lambda p: (p.end, p.start), default=None)

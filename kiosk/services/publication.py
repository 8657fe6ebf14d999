"""考核结果公示: what the hall's public page shows of its finalised evaluations.

Only finalised periods are published, and only from their snapshot: the names and grades the
period was finalised with (scores too when the scheme's ``[publication] scores`` says so), in
rank order, people without a grade (未评定, or no score) after them. Nothing else of a result
(sources, explanation, complaints, staff numbers) leaves the staff area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import EvaluationSnapshot, Hall
from kiosk.services import periods
from kiosk.services.evaluation import current_scheme, results_from_plain
from kiosk.services.periods import Period

#: How many finalised periods the public page links to, latest first.
LISTED = 12


@dataclass(frozen=True)
class PublishedPeriod:
    """A finalised period as the public page links to it."""

    period: Period
    finalised_at: datetime


@dataclass(frozen=True)
class PublishedRow:
    """One person as published: rank (None: not ranked), name, grade, score (None: hidden)."""

    rank: int | None
    name: str
    grade: str | None
    not_rated: bool  # 未评定: fewer sources than the scheme asks for
    score: float | None


@dataclass(frozen=True)
class Publication:
    """A finalised period's published results."""

    period: Period
    finalised_at: datetime
    scheme_name: str
    scheme_version: str
    shows_scores: bool
    rows: tuple[PublishedRow, ...]


def published_periods(hall: Hall, limit: int = LISTED) -> list[PublishedPeriod]:
    """Return the hall's finalised periods, latest finalised first."""
    rows = db.session.execute(
        select(EvaluationSnapshot.period, EvaluationSnapshot.finalised_at)
        .where(EvaluationSnapshot.hall_id == hall.id)
        .order_by(EvaluationSnapshot.finalised_at.desc(), EvaluationSnapshot.id.desc())
        .limit(limit)
    )
    return [PublishedPeriod(periods.parse_period(code), at) for code, at in rows]


def publication(hall: Hall, period: Period) -> Publication | None:
    """Return what is published of a period, or None if it is not finalised."""
    snapshot = db.session.scalar(
        select(EvaluationSnapshot).where(
            EvaluationSnapshot.hall_id == hall.id, EvaluationSnapshot.period == period.code
        )
    )
    if snapshot is None:
        return None
    shows_scores = current_scheme().publish_scores
    evaluation = results_from_plain(snapshot.results)
    ranked = [p for p in evaluation.people if p.result.rank is not None]
    others = sorted(
        (p for p in evaluation.people if p.result.rank is None), key=lambda p: p.staff_no
    )
    rows = tuple(
        PublishedRow(
            rank=person.result.rank,
            name=person.name,
            grade=person.result.grade,
            not_rated="too_few_sources" in person.result.flags,
            score=person.result.score if shows_scores else None,
        )
        for person in (*ranked, *others)
    )
    return Publication(
        period=period,
        finalised_at=snapshot.finalised_at,
        scheme_name=snapshot.scheme_name,
        scheme_version=snapshot.scheme_version,
        shows_scores=shows_scores,
        rows=rows,
    )

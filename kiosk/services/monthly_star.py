"""每月服务之星 (the month's 优秀): the scheme's rule applied to a month, and its records.

The board shows the rule's choice for the month so far; once a month has ended a supervisor
records it (once) with the reasons for everyone chosen and passed over; the hall's public page
lists the records. The rule is the scheme's ``[monthly_star]`` and the choosing is
``scoring.select_stars``; this module reads the month's figures for it from the rows: ratings
from the tallies, complaints verified as valid, and for ``rank_by = "score"`` the month's
evaluation (its snapshot once finalised).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Complaint, Hall, MonthlySelection, Staff, User
from kiosk.services import audit
from kiosk.services import evaluation as ev
from kiosk.services.evaluation_inputs import hall_level_counts, level_counts
from kiosk.services.periods import Period, current_period, not_ended
from scoring.explain import Phrase
from scoring.export import phrase_from_dict, phrase_to_dict

#: How many recorded months the public page lists, latest first.
LISTED = 12


class SelectionError(Exception):
    """A refused record; message is for the user, status the HTTP answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Verdict:
    """One staff member of the month and what the rule made of them."""

    staff: Staff
    verdict: scoring.StarVerdict


@dataclass(frozen=True)
class Proposal:
    """The rule's choice for a month: everyone considered, the chosen first."""

    period: Period
    rule: scoring.MonthlyStarRule
    verdicts: tuple[Verdict, ...]

    @property
    def chosen(self) -> tuple[Verdict, ...]:
        """Return the chosen, best place first."""
        return tuple(v for v in self.verdicts if v.verdict.chosen)


def valid_complaint_counts(hall: Hall, period: Period) -> dict[int, int]:
    """Return, per staff member, the period's complaints verified as valid (by created_at)."""
    start, end = period.bounds(clock.hall_zone())
    rows = db.session.execute(
        select(Complaint.staff_id, func.count(Complaint.id))
        .where(
            Complaint.hall_id == hall.id,
            Complaint.is_valid.is_(True),
            Complaint.staff_id.is_not(None),
            Complaint.created_at >= start,
            Complaint.created_at < end,
        )
        .group_by(Complaint.staff_id)
    )
    return {int(staff_id): int(count) for staff_id, count in rows if staff_id is not None}


def _values(
    hall: Hall, period: Period, rule: scoring.MonthlyStarRule, now: datetime
) -> tuple[dict[int, float | None], dict[int, int]]:
    """Return each staff member's measured value and number of ratings in the month."""
    scheme = ev.current_scheme()
    counts = level_counts(hall, period)
    ratings = {sid: c.total for sid, c in counts.items()}
    if rule.rank_by == "score":
        snapshot = ev.snapshot_for(hall, period)
        evaluation = (
            ev.results_from_plain(snapshot.results)
            if snapshot is not None
            else ev.live_results(hall, period, now)
        )
        return {p.staff_id: p.result.score for p in evaluation.people}, ratings
    mean = scoring.hall_mean([hall_level_counts(hall, period)], scheme)
    values: dict[int, float | None] = {
        sid: scoring.satisfaction_index(c, mean, scheme).smoothed
        for sid, c in counts.items()
        if c.total
    }
    return values, ratings


def proposal(hall: Hall, period: Period, now: datetime | None = None) -> Proposal:
    """Return the rule's choice for the month as the rows stand at now (default: the clock's).

    Everyone active, and anyone rated in the month, is considered.
    """
    now = now or clock.now()
    rule = ev.current_scheme().monthly_star
    values, ratings = _values(hall, period, rule, now)
    valid = valid_complaint_counts(hall, period)
    wanted = set(values) | set(ratings)
    staff = {
        s.id: s
        for s in db.session.scalars(
            select(Staff).where(
                Staff.hall_id == hall.id, Staff.active.is_(True) | Staff.id.in_(wanted)
            )
        )
    }
    candidates = [
        scoring.StarCandidate(str(sid), values.get(sid), ratings.get(sid, 0), valid.get(sid, 0))
        for sid in sorted(staff)
    ]
    verdicts = scoring.select_stars(candidates, rule)
    return Proposal(period, rule, tuple(Verdict(staff[int(v.staff_id)], v) for v in verdicts))


def selection_for(hall: Hall, period: Period) -> MonthlySelection | None:
    """Return the month's record, if it has been recorded."""
    return db.session.scalar(
        select(MonthlySelection).where(
            MonthlySelection.hall_id == hall.id, MonthlySelection.month == period.code
        )
    )


def _entry(item: Verdict) -> dict[str, Any]:
    verdict = item.verdict
    return {
        "staff_id": item.staff.id,
        "staff_no": item.staff.staff_no,
        "name": item.staff.name,
        "place": verdict.place,
        "reason": verdict.reason.render(),
        "phrase": phrase_to_dict(verdict.reason),
    }


def record(hall: Hall, period: Period, *, actor: User, now: datetime) -> MonthlySelection:
    """Record the month's 服务之星 as the rule chooses it now; audit it.

    Refused for a month not ended yet, one already recorded (also when two supervisors record
    at once: one row is kept, the other is told), and for a supervisor who is among the chosen
    (another supervisor records that month).
    """
    if period.kind != "month":
        raise SelectionError(_("每月服务之星按月评选。"), 404)
    if selection_for(hall, period) is not None:
        raise SelectionError(_("%(month)s 的服务之星已经评选。", month=period.label))
    ended = not_ended(period, now)
    if ended:
        raise SelectionError(ended)
    chosen = proposal(hall, period, now)
    if actor.staff_id is not None and any(v.staff.id == actor.staff_id for v in chosen.chosen):
        raise SelectionError(_("您本人在本月服务之星之列，请由其他负责人记录。"), 403)
    rule = chosen.rule
    row = MonthlySelection(
        hall_id=hall.id,
        month=period.code,
        scheme_version=ev.current_scheme().version,
        rule={
            "rank_by": rule.rank_by,
            "min_ratings": rule.min_ratings,
            "no_valid_complaint": rule.no_valid_complaint,
            "count": rule.count,
        },
        chosen=[_entry(v) for v in chosen.chosen],
        passed=[_entry(v) for v in chosen.verdicts if not v.verdict.chosen],
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:  # recorded meanwhile by someone else
        raise SelectionError(_("%(month)s 的服务之星已经评选。", month=period.label)) from error
    audit.record(
        "monthly_star.record",
        actor=actor,
        target_type="monthly_selection",
        target_id=row.id,
        hall_id=hall.id,
        detail={"month": period.code, "chosen": [e["staff_no"] for e in row.chosen]},
    )
    return row


def reason_of(entry: Mapping[str, Any]) -> Phrase | str:
    """Return a recorded entry's reason as a phrase to translate (the text if it has none)."""
    phrase = entry.get("phrase")
    return phrase_from_dict(phrase) if phrase else str(entry.get("reason", ""))


def published(hall: Hall, limit: int = LISTED) -> list[MonthlySelection]:
    """Return the hall's recorded months, latest month first."""
    return list(
        db.session.scalars(
            select(MonthlySelection)
            .where(MonthlySelection.hall_id == hall.id)
            .order_by(MonthlySelection.month.desc())
            .limit(limit)
        )
    )


def chosen_ids(hall: Hall, now: datetime) -> set[int]:
    """Return who the rule chooses for the current month so far (the board's 服务之星)."""
    month = current_period(now, "month")
    return {v.staff.id for v in proposal(hall, month, now).chosen}

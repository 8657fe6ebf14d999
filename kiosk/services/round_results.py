"""A station round's results: finalising them into a snapshot, and reading them back.

A district admin finalises an open round once: its live result (kiosk.services.round_scores)
is frozen as the round's snapshot, the round stops taking scores, and the ranking it holds is
what the stations API (``GET /api/v1/stations``) and ``flask stations evaluate`` give for the
round's period: the latest round of that period finalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import scoring
from kiosk.extensions import db
from kiosk.models import District, RoundScore, RoundSnapshot, StationRound, User
from kiosk.services import audit
from kiosk.services.round_scores import live_result
from kiosk.services.station_rounds import RoundError, require_admin


@dataclass(frozen=True)
class RoundReport:
    """A round's result: the snapshot's once finalised (with it), else live."""

    round: StationRound
    result: scoring.RoundResult
    snapshot: RoundSnapshot | None


def snapshot_of(round_: StationRound) -> RoundSnapshot | None:
    """Return the round's snapshot, if it has been finalised."""
    return db.session.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == round_.id))


def round_report(round_: StationRound) -> RoundReport:
    """Return the round's frozen result once finalised, else its live one."""
    snapshot = snapshot_of(round_)
    if snapshot is None:
        return RoundReport(round_, live_result(round_), None)
    return RoundReport(round_, scoring.round_from_dict(snapshot.results), snapshot)


def finalise_round(round_: StationRound, *, actor: User, now: datetime) -> RoundSnapshot:
    """Freeze the round's results (once) and close it to scoring; audit it.

    Only the district's admin finalises, an open round, once some member has scored.
    """
    require_admin(actor, round_.district_id)
    if round_.status != "open" or snapshot_of(round_) is not None:
        raise RoundError(_("这一轮考核已经定稿。"), 409)
    scored = db.session.scalar(
        select(RoundScore.id).where(RoundScore.round_id == round_.id).limit(1)
    )
    if scored is None:
        raise RoundError(_("考核组还没有任何评分，不能定稿。"), 409)
    result = live_result(round_)
    snapshot = RoundSnapshot(
        round_id=round_.id,
        results=scoring.round_to_dict(result),
        finalised_at=now,
        finalised_by_id=actor.id,
    )
    round_.status = "finalised"
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        "station_round.finalise",
        actor=actor,
        target_type="station_round",
        target_id=round_.id,
        hall_id=None,
        detail={
            "district": round_.district.slug,
            "scheme_version": result.scheme_version,
            "ranking": [[station.station_id, station.score] for station in result.results],
        },
    )
    return snapshot


def latest_finalised(district: District, period_code: str) -> RoundReport | None:
    """Return the district's round of the period finalised last, or None."""
    row = db.session.execute(
        select(StationRound, RoundSnapshot)
        .join(RoundSnapshot, RoundSnapshot.round_id == StationRound.id)
        .where(StationRound.district_id == district.id, StationRound.period == period_code)
        .order_by(RoundSnapshot.finalised_at.desc(), RoundSnapshot.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    round_, snapshot = row
    return RoundReport(round_, scoring.round_from_dict(snapshot.results), snapshot)


def period_report(district: District, period_code: str) -> RoundReport | None:
    """Return the period's latest finalised round, else its latest round still open (live)."""
    finalised = latest_finalised(district, period_code)
    if finalised is not None:
        return finalised
    open_round = db.session.scalar(
        select(StationRound)
        .where(
            StationRound.district_id == district.id,
            StationRound.period == period_code,
            StationRound.status == "open",
        )
        .order_by(StationRound.id.desc())
        .limit(1)
    )
    return None if open_round is None else round_report(open_round)


def ranking(report: RoundReport) -> list[dict[str, Any]]:
    """Return the stations as the API lists them: rank, hall slug, name, score, grade, and the
    bonus and deductions counted."""
    return [
        {
            "rank": station.rank,
            "hall": station.station_id,
            "name": station.name,
            "score": station.score,
            "grade": station.grade,
            "bonus": station.bonus_applied,
            "deductions": station.deduction_applied,
        }
        for station in report.result.results
    ]

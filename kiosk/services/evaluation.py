"""Staff evaluation (考核): the scheme in force and a period's results, live or finalised.

A period's results are computed by ``scoring`` from the inputs ``evaluation_inputs`` reads from
the rows; finalising freezes them as the period's snapshot. Periods are in ``periods``,
assessments in ``assessments`` (their import in ``assessment_import``) and the adjustments
ledger in ``adjustments``.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import EvaluationSnapshot, Hall, Staff, User
from kiosk.services import audit
from kiosk.services.evaluation_error import EvaluationError, refuse
from kiosk.services.evaluation_inputs import hall_level_counts, level_counts, period_inputs
from kiosk.services.periods import Period, not_ended
from kiosk.services.settings import setting


def current_scheme() -> scoring.Scheme:
    """Return the scheme in force: SCORING_SCHEME_PATH's TOML file, else the default scheme."""
    path = setting("SCORING_SCHEME_PATH")
    if not path:
        return scoring.default_scheme()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as error:
        raise EvaluationError(_("考核方案文件无法读取：%(path)s", path=path)) from error
    return _load_scheme(path, stamp)


@functools.lru_cache(maxsize=4)
def _load_scheme(path: str, _stamp: int) -> scoring.Scheme:
    # Keyed by modification time: an edited file is read again, an unchanged one only once.
    return scoring.load_scheme(path)


def live_results(hall: Hall, period: Period) -> dict[str, Any]:
    """Evaluate the period from today's rows: scoring.result_to_dict plus staff_no and name.

    Top-level keys added: ``period`` (code) and ``hall`` (slug).
    """
    scheme = current_scheme()
    data = period_inputs(hall, period, scheme)
    try:
        result = scoring.evaluate_period(data.inputs, scheme, data.hall_mean)
    except ValueError as error:  # a stored assessment no longer fits the scheme's rubric
        raise EvaluationError(_("考核数据与考核方案不符：%(error)s", error=str(error))) from error
    plain = scoring.result_to_dict(result)
    people = []
    for row in plain["results"]:
        person = data.staff[int(row["staff_id"])]
        people.append({"staff_no": person.staff_no, "name": person.name, **row})
    plain["results"] = people
    # A JSON round trip so live results compare equal to a stored snapshot's.
    round_tripped: dict[str, Any] = json.loads(
        json.dumps(
            {"period": period.code, "hall": hall.slug, **plain},
            ensure_ascii=False,
        )
    )
    return round_tripped


@dataclass
class Report:
    """The results a period's pages, exports and the CLI show.

    For a finalised period ``data`` is the snapshot and ``live_differs`` says whether today's
    rows would give different results; otherwise ``data`` is live.
    """

    period: Period
    data: dict[str, Any]
    snapshot: EvaluationSnapshot | None = None
    live_differs: bool = False
    by_staff: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_staff = {int(row["staff_id"]): row for row in self.data["results"]}

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Return the people's results, best rank first."""
        return list(self.data["results"])

    def row_for(self, staff_id: int) -> dict[str, Any] | None:
        """Return one person's result, or None if they are not in this period's results."""
        return self.by_staff.get(staff_id)


def snapshot_for(hall: Hall, period: Period) -> EvaluationSnapshot | None:
    """Return the finalised snapshot of a period, if any."""
    return db.session.scalar(
        select(EvaluationSnapshot).where(
            EvaluationSnapshot.hall_id == hall.id, EvaluationSnapshot.period == period.code
        )
    )


def period_report(hall: Hall, period: Period) -> Report:
    """Return the period's results: the snapshot if finalised (noting live changes), else live."""
    live = live_results(hall, period)
    snapshot = snapshot_for(hall, period)
    if snapshot is None:
        return Report(period, live)
    frozen = snapshot.results
    differs = _as_recorded(frozen) != _as_recorded(live)
    return Report(period, frozen, snapshot=snapshot, live_differs=differs)


def _as_recorded(data: dict[str, Any]) -> dict[str, Any]:
    """Return results without the explanation's phrases, for comparing with any snapshot.

    Snapshots taken before explanation lines and applied adjustments carried their phrase
    (scoring.explain) hold the text only; the words are the same, so they must not count as a
    change.
    """
    results = [
        {
            **row,
            "explanation": [{**line, "phrase": None} for line in row["explanation"]],
            "adjustments": [{**entry, "phrase": None} for entry in row["adjustments"]],
        }
        for row in data["results"]
    ]
    return {**data, "results": results}


def finalise_period(
    hall: Hall, period: Period, *, actor: User, now: datetime
) -> EvaluationSnapshot:
    """Freeze the period's live results as its snapshot (once); audit it."""
    if snapshot_for(hall, period) is not None:
        raise EvaluationError(_("%(period)s 已经定稿。", period=period.label))
    refuse(not_ended(period, now))
    live = live_results(hall, period)
    snapshot = EvaluationSnapshot(
        hall_id=hall.id,
        period=period.code,
        scheme_name=live["scheme"]["name"],
        scheme_version=live["scheme"]["version"],
        results=live,
        finalised_at=now,
        finalised_by_id=actor.id,
    )
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        "evaluation.finalise",
        actor=actor,
        target_type="evaluation_snapshot",
        target_id=snapshot.id,
        hall_id=hall.id,
        detail={
            "period": period.code,
            "scheme_version": snapshot.scheme_version,
            "people": len(live["results"]),
        },
    )
    return snapshot


@dataclass(frozen=True)
class TrendPoint:
    """A person's satisfaction index in one period (``smoothed`` None: no ratings)."""

    period: Period
    smoothed: float | None
    count: int
    finalised: bool


def satisfaction_trend(
    hall: Hall, staff: Staff, period: Period, count: int = 12
) -> list[TrendPoint]:
    """Return the person's smoothed satisfaction index over the ``count`` periods up to ``period``.

    Finalised periods show their frozen value; others are computed from today's rows.
    """
    scheme = current_scheme()
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    periods.reverse()
    snapshots = {
        s.period: s
        for s in db.session.scalars(
            select(EvaluationSnapshot).where(
                EvaluationSnapshot.hall_id == hall.id,
                EvaluationSnapshot.period.in_([p.code for p in periods]),
            )
        )
    }
    zone = clock.hall_zone()
    points = []
    for each in periods:
        snapshot = snapshots.get(each.code)
        row = None
        if snapshot is not None:
            row = next(
                (r for r in snapshot.results["results"] if int(r["staff_id"]) == staff.id), None
            )
        if row is not None:
            sat = row["satisfaction"]
            smoothed = sat["smoothed"] if sat["count"] else None
            points.append(TrendPoint(each, smoothed, sat["count"], True))
            continue
        start, end = each.bounds(zone)
        mine = level_counts(hall, start, end, staff.id).get(staff.id, scoring.LevelCounts())
        if mine.total == 0:
            points.append(TrendPoint(each, None, 0, False))
            continue
        mean = scoring.hall_mean([hall_level_counts(hall, start, end)], scheme)
        index = scoring.satisfaction_index(mine, mean, scheme)
        points.append(TrendPoint(each, index.smoothed, index.count, False))
    return points

"""What a station round's scoring returns: each station's result and how it was reached.

Frozen dataclasses; :func:`scoring.evaluate_round` builds them, :mod:`scoring.station_export`
turns them into plain data and back (a finalised round's stored snapshot). Points are rounded
half up to two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scoring.results import ExplanationLine

ItemMethod = Literal["members", "auto", "unscored", "no_data"]

STATION_TIE_RULE = "按最终得分排名，同分者名次并列，其后名次顺延"


@dataclass(frozen=True)
class ItemScore:
    """A checklist node's points for one station.

    For a leaf, ``method`` says how its points came: ``members`` (combined from ``given``, the
    members' points highest first, less ``dropped``), ``auto`` (from ``metric``'s
    ``metric_value``), ``unscored`` (nobody scored it: 0) or ``no_data`` (an auto item whose
    metric is missing: 0). A parent's points are the sum of its children's (``method`` None).
    """

    code: str
    label: str
    max_points: float
    points: float
    is_leaf: bool
    method: ItemMethod | None = None
    given: tuple[float, ...] = ()
    dropped: tuple[float, ...] = ()
    metric: str | None = None
    metric_value: float | None = None


@dataclass(frozen=True)
class AppliedEntry:
    """A bonus claim or deduction as applied: ``claimed`` points and the ``points`` counted.

    ``points`` is 0 for a claim that a higher claim for the same matter replaced
    (``superseded``); caps are separate lines of the explanation, not cut from entries.
    """

    category: str
    category_label: str
    matter: str
    claimed: float
    points: float
    note: str
    superseded: bool = False
    severity: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class StationResult:
    """One station's result in the round.

    ``score`` = ``base`` + ``bonus_applied`` − ``deduction_applied`` (floored at 0);
    ``bonus_claimed``/``deduction_claimed`` are the sums before caps. ``rank`` is 1-based
    competition ranking on the score (ties share a rank: 1, 2, 2, 4). ``flags`` (sorted):
    ``unscored:<item>``, ``no_data:<item>``, ``bonus_capped``, ``bonus_category_capped:<cat>``,
    ``bonus_superseded``, ``deduction_superseded``, ``deductions_capped``,
    ``deductions_pending``, ``floored``.
    The ``points`` of the explanation's lines add up to the score.
    """

    station_id: str
    name: str
    score: float
    base: float
    bonus_claimed: float
    bonus_applied: float
    deduction_claimed: float
    deduction_applied: float
    grade: str
    grade_code: str
    rank: int
    items: tuple[ItemScore, ...]
    bonuses: tuple[AppliedEntry, ...]
    deductions: tuple[AppliedEntry, ...]
    flags: tuple[str, ...]
    explanation: tuple[ExplanationLine, ...]

    def item(self, code: str) -> ItemScore:
        """Return the score of the checklist node with this dotted code, or raise ``KeyError``."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)


@dataclass(frozen=True)
class RoundResult:
    """All stations' results of a round, best rank first (then by station id)."""

    scheme_name: str
    scheme_version: str
    results: tuple[StationResult, ...]
    tie_rule: str = STATION_TIE_RULE

    def result_for(self, station_id: str) -> StationResult:
        """Return the result of one station, or raise ``KeyError``."""
        for result in self.results:
            if result.station_id == station_id:
                return result
        raise KeyError(station_id)


__all__ = [
    "STATION_TIE_RULE",
    "AppliedEntry",
    "ItemMethod",
    "ItemScore",
    "RoundResult",
    "StationResult",
]

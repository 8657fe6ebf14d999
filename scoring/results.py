"""What a period's evaluation returns: each staff member's result and how it was reached.

Frozen dataclasses; :func:`scoring.evaluate_period` builds them, :mod:`scoring.export` turns
them into plain data and back (a finalised period's stored snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from scoring.explain import Phrase
from scoring.inputs import PartScore
from scoring.satisfaction import SatisfactionIndex

AppliedKind = Literal["bonus", "bonus_cap", "category_cap", "complaint", "deduction"]

TIE_RULE = (
    "同分时依次比较：居民满意度指数（平滑后）高者在前；负责人评价高者在前；"
    "经核实投诉少者在前；居民评价数多者在前；仍相同则并列"
)


@dataclass(frozen=True)
class ExplanationLine:
    """One line of a result's explanation, in Chinese.

    ``points`` is the signed amount the line adds to the score (a source's contribution, a
    bonus, a deduction, the bonus cap, clipping) and ``None`` for lines that only inform or
    total; the ``points`` of all lines add up to the score. ``depth`` 1 marks a detail line
    under the line before it. ``phrase`` holds the same words as a template and its values,
    for a reader who translates them (scoring.explain); ``text`` is that phrase as written.
    """

    text: str
    points: float | None = None
    depth: int = 0
    phrase: Phrase | None = None

    @classmethod
    def of(cls, phrase: Phrase, points: Decimal | None = None, depth: int = 0) -> ExplanationLine:
        """Return the line that says phrase (in Chinese), adding points to the score."""
        return cls(phrase.render(), None if points is None else float(points), depth, phrase)


@dataclass(frozen=True)
class CriterionScore:
    """Average points an assessment source gave on one rubric node (0..max_points)."""

    code: str
    label: str
    max_points: float
    average: float
    is_leaf: bool


@dataclass(frozen=True)
class SourceScore:
    """One source of the base score.

    ``value`` is 0–100 (``None`` when missing); ``effective_weight`` is the nominal weight
    divided by the sum of the present sources' weights (0 when missing); ``contribution`` is
    value × effective weight, rounded. ``count`` is the number of assessments used (after
    trimming) or of ratings; ``dropped`` the peer totals removed by trimming.
    """

    code: str
    label: str
    present: bool
    nominal_weight: float
    effective_weight: float
    value: float | None
    contribution: float
    count: int
    criteria: tuple[CriterionScore, ...] = ()
    dropped: tuple[float, ...] = ()
    missing_reason: str | None = None


@dataclass(frozen=True)
class AppliedAdjustment:
    """A change to the base score as applied, with signed ``points``.

    ``kind`` ``bonus_cap`` is the (negative) amount cut off when the bonuses exceed the cap;
    ``category_cap`` the amount a category's cap cuts from its bonuses (negative) or
    deductions (positive);
    ``complaint`` is a verified complaint's deduction (``ref`` is the complaint id). For these
    two the package wrote the reason, and ``phrase`` holds it for translation (scoring.explain);
    a bonus's or deduction's reason is what someone typed.
    """

    kind: AppliedKind
    points: float
    reason: str
    approver: str | None = None
    ref: str | None = None
    phrase: Phrase | None = None


@dataclass(frozen=True)
class StaffResult:
    """One staff member's evaluation for the period.

    ``score`` (final) and ``base_score`` are rounded to two decimals; ``grade`` is the band's
    Chinese label (优秀/良好/合格/不合格) and ``grade_code`` its code; ``rank`` is 1-based
    competition ranking. The three are ``None`` only for an unscored person (no source, or too few).
    ``flags`` (sorted): ``missing:<source>``, ``insufficient_ratings``, ``peers_trimmed``,
    ``bonus_capped``, ``category_capped``, ``same_matter`` (an entry for a matter already
    counted at a higher amount), ``clipped``, ``veto``, ``quota_demoted``, ``unscored``,
    ``too_few_sources`` (未评定: fewer sources than the scheme's minimum), ``complaints_pending``
    (a verified complaint is 待定 while its appeal may change it).
    For a period built from its parts (a year from its quarters), ``parts`` are the parts'
    base scores it was built from and ``parts_value`` their mean (``None``: no part scored);
    otherwise ``parts`` is empty.
    """

    staff_id: str
    score: float | None
    base_score: float | None
    grade: str | None
    grade_code: str | None
    rank: int | None
    sources: tuple[SourceScore, ...]
    satisfaction: SatisfactionIndex
    adjustments: tuple[AppliedAdjustment, ...]
    bonus_total: float
    bonus_applied: float
    deduction_total: float
    flags: tuple[str, ...]
    explanation: tuple[ExplanationLine, ...]
    scheme_version: str
    parts: tuple[PartScore, ...] = ()
    parts_value: float | None = None

    def source(self, code: str) -> SourceScore:
        """Return the source with this code (``self``, ``supervisor``, ``residents``, ``peer``)."""
        for source in self.sources:
            if source.code == code:
                return source
        raise KeyError(code)


@dataclass(frozen=True)
class PeriodResult:
    """All staff results of a period, best rank first, then unscored staff.

    ``quota_seats`` is how many may be 优秀 under the quota (``None`` without a quota).
    """

    scheme_name: str
    scheme_version: str
    hall_mean: float
    ranked_count: int
    quota_seats: int | None
    results: tuple[StaffResult, ...]
    tie_rule: str = TIE_RULE

    def result_for(self, staff_id: str) -> StaffResult:
        """Return the result of one staff member, or raise ``KeyError``."""
        for result in self.results:
            if result.staff_id == staff_id:
                return result
        raise KeyError(staff_id)


__all__ = [
    "TIE_RULE",
    "AppliedAdjustment",
    "AppliedKind",
    "CriterionScore",
    "ExplanationLine",
    "PeriodResult",
    "SourceScore",
    "StaffResult",
]

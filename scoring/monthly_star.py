"""The month's 优秀 (服务之星): who the scheme's ``[monthly_star]`` rule chooses, and why.

Pure: candidates in, a verdict per candidate out, each with its reason as a :class:`Phrase`
(Chinese, translatable). Ranking: higher value first (the value as shown, two decimals), then
more ratings; candidates equal on both share a place, so a tie at the last seat chooses all of
them rather than letting a name decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scoring._numbers import dec, fmt, round2
from scoring.explain import Phrase
from scoring.scheme import STAR_MEASURES, MonthlyStarRule

#: What each measure is called in the reasons (written as phrases for the catalog's extraction).
MEASURE_LABELS = {
    "satisfaction": Phrase("居民满意度指数").template,
    "score": Phrase("月度考核得分").template,
}


@dataclass(frozen=True)
class StarCandidate:
    """A staff member of the month: the measured value (None: none this month), their number
    of ratings in the month and of complaints of the month verified as valid."""

    staff_id: str
    value: float | None
    ratings: int
    valid_complaints: int = 0


@dataclass(frozen=True)
class StarVerdict:
    """Whether a candidate is chosen, their place among those who qualify (None: does not
    qualify), and why, in words."""

    staff_id: str
    chosen: bool
    place: int | None
    reason: Phrase


def select_stars(
    candidates: Sequence[StarCandidate], rule: MonthlyStarRule
) -> tuple[StarVerdict, ...]:
    """Return a verdict for every candidate: the chosen first by place, then the others.

    Raises ``ValueError`` for a staff id listed twice or a measure the rule does not know.
    """
    if rule.rank_by not in STAR_MEASURES:
        raise ValueError(f"unknown measure {rule.rank_by!r}")
    ids = [c.staff_id for c in candidates]
    if len(ids) != len(set(ids)):
        raise ValueError("a candidate is listed twice")
    label = Phrase(MEASURE_LABELS[rule.rank_by])
    eligible: list[StarCandidate] = []
    refused: list[StarVerdict] = []
    for candidate in candidates:
        why = _refusal(candidate, rule, label)
        if why is None:
            eligible.append(candidate)
        else:
            refused.append(StarVerdict(candidate.staff_id, False, None, why))

    def key(candidate: StarCandidate) -> tuple[object, int]:
        assert candidate.value is not None  # noqa: S101 - refused above
        return (round2(candidate.value), candidate.ratings)

    ranked = sorted(eligible, key=lambda c: (key(c), c.staff_id), reverse=True)
    keys = [key(c) for c in ranked]
    verdicts: list[StarVerdict] = []
    for candidate, own in zip(ranked, keys, strict=True):
        place = 1 + sum(1 for other in keys if other > own)
        chosen = place <= rule.count
        values: dict[str, str | Phrase] = {
            "measure": label,
            "value": fmt(dec(candidate.value or 0)),
            "count": str(candidate.ratings),
            "place": str(place),
            "eligible": str(len(ranked)),
        }
        if chosen:
            reason = Phrase(
                "%(measure)s %(value)s，本月评价 %(count)s 条，"
                "在 %(eligible)s 名符合条件者中排第 %(place)s",
                values,
            )
        else:
            reason = Phrase(
                "%(measure)s %(value)s，在 %(eligible)s 名符合条件者中排第 %(place)s，"
                "未进入前 %(seats)s 名",
                {**values, "seats": str(rule.count)},
            )
        verdicts.append(StarVerdict(candidate.staff_id, chosen, place, reason))
    refused.sort(key=lambda v: v.staff_id)
    return (*sorted(verdicts, key=lambda v: (not v.chosen, v.place or 0)), *refused)


def _refusal(candidate: StarCandidate, rule: MonthlyStarRule, label: Phrase) -> Phrase | None:
    """Return why a candidate cannot be chosen, or None when they qualify."""
    if candidate.ratings < rule.min_ratings:
        return Phrase(
            "本月评价 %(count)s 条，少于 %(min)s 条",
            {"count": str(candidate.ratings), "min": str(rule.min_ratings)},
        )
    if rule.no_valid_complaint and candidate.valid_complaints:
        return Phrase(
            "本月有 %(count)s 件经核实的有效投诉", {"count": str(candidate.valid_complaints)}
        )
    if candidate.value is None:
        return Phrase("本月没有%(measure)s", {"measure": label})
    return None


__all__ = ["MEASURE_LABELS", "StarCandidate", "StarVerdict", "select_stars"]

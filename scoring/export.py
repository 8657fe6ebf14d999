"""A :class:`PeriodResult` as plain JSON-ready data, and back.

The plain form is what a finalised period stores and what ``flask evaluate --json`` prints:
dicts, lists, strings, numbers and ``None`` only, keys in the dataclasses' field order (the
form ``dataclasses.asdict`` gave, so snapshots stored with it read back unchanged). Each type is
written out field by field: results are converted once, at that boundary, without the generic
recursion and copying of ``asdict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.explain import Phrase, Phrases
from scoring.inputs import PartScore
from scoring.results import (
    AppliedAdjustment,
    CriterionScore,
    ExplanationLine,
    PeriodResult,
    SourceScore,
    StaffResult,
)
from scoring.satisfaction import SatisfactionIndex

Plain = dict[str, Any]


def result_to_dict(result: PeriodResult) -> Plain:
    """Return the period result as dicts, lists, strings, numbers and ``None`` only.

    Shape: ``{"scheme": {"name", "version"}, "hall_mean", "ranked_count", "quota_seats",
    "tie_rule", "results": [StaffResult fields …]}``; numbers keep their two-decimal rounding.
    """
    return {
        "scheme": {"name": result.scheme_name, "version": result.scheme_version},
        "hall_mean": result.hall_mean,
        "ranked_count": result.ranked_count,
        "quota_seats": result.quota_seats,
        "tie_rule": result.tie_rule,
        "results": [staff_to_dict(staff) for staff in result.results],
    }


def result_from_dict(data: Mapping[str, Any]) -> PeriodResult:
    """Return the period result a :func:`result_to_dict` form holds.

    Keys it does not know (a reader's additions, such as a person's name) are ignored; the
    ``phrase`` of lines and adjustments stored before they had one reads as ``None``.
    """
    return PeriodResult(
        scheme_name=data["scheme"]["name"],
        scheme_version=data["scheme"]["version"],
        hall_mean=data["hall_mean"],
        ranked_count=data["ranked_count"],
        quota_seats=data["quota_seats"],
        results=tuple(staff_from_dict(row) for row in data["results"]),
        tie_rule=data["tie_rule"],
    )


def staff_to_dict(staff: StaffResult) -> Plain:
    """Return one staff member's result in the plain form (see :func:`result_to_dict`)."""
    return {
        "staff_id": staff.staff_id,
        "score": staff.score,
        "base_score": staff.base_score,
        "grade": staff.grade,
        "grade_code": staff.grade_code,
        "rank": staff.rank,
        "sources": [_source_to_dict(source) for source in staff.sources],
        "satisfaction": _satisfaction_to_dict(staff.satisfaction),
        "adjustments": [_adjustment_to_dict(entry) for entry in staff.adjustments],
        "bonus_total": staff.bonus_total,
        "bonus_applied": staff.bonus_applied,
        "deduction_total": staff.deduction_total,
        "flags": list(staff.flags),
        "explanation": [line_to_dict(line) for line in staff.explanation],
        "scheme_version": staff.scheme_version,
        "parts": [
            {"period": part.period, "base": part.base, "finalised": part.finalised}
            for part in staff.parts
        ],
        "parts_value": staff.parts_value,
    }


def staff_from_dict(data: Mapping[str, Any]) -> StaffResult:
    """Return the staff result a :func:`staff_to_dict` form holds (unknown keys ignored)."""
    return StaffResult(
        staff_id=data["staff_id"],
        score=data["score"],
        base_score=data["base_score"],
        grade=data["grade"],
        grade_code=data["grade_code"],
        rank=data["rank"],
        sources=tuple(_source_from_dict(source) for source in data["sources"]),
        satisfaction=SatisfactionIndex(**data["satisfaction"]),
        adjustments=tuple(_adjustment_from_dict(entry) for entry in data["adjustments"]),
        bonus_total=data["bonus_total"],
        bonus_applied=data["bonus_applied"],
        deduction_total=data["deduction_total"],
        flags=tuple(data["flags"]),
        explanation=tuple(line_from_dict(line) for line in data["explanation"]),
        scheme_version=data["scheme_version"],
        # Stored before periods were built from their parts: none.
        parts=tuple(PartScore(**part) for part in data.get("parts", ())),
        parts_value=data.get("parts_value"),
    )


def phrase_to_dict(phrase: Phrase) -> Plain:
    """Return a phrase as ``{"template", "values"}``, values nested the same way."""
    return {
        "template": phrase.template,
        "values": {name: _value_to_plain(value) for name, value in phrase.values.items()},
    }


def phrase_from_dict(data: Mapping[str, Any]) -> Phrase:
    """Return the phrase a :func:`phrase_to_dict` form holds."""
    return Phrase(
        data["template"],
        {name: _value_from_plain(value) for name, value in data["values"].items()},
    )


def _value_to_plain(value: str | Phrase | Phrases) -> str | Plain:
    if isinstance(value, str):
        return value
    if isinstance(value, Phrases):
        return {
            "separator": value.separator,
            "items": [phrase_to_dict(item) for item in value.items],
        }
    return phrase_to_dict(value)


def _value_from_plain(value: str | Mapping[str, Any]) -> str | Phrase | Phrases:
    if isinstance(value, str):
        return value
    if "separator" in value:
        return Phrases(value["separator"], tuple(phrase_from_dict(i) for i in value["items"]))
    return phrase_from_dict(value)


def _optional_phrase(data: Mapping[str, Any]) -> Phrase | None:
    phrase = data.get("phrase")
    return None if phrase is None else phrase_from_dict(phrase)


def line_to_dict(line: ExplanationLine) -> Plain:
    """Return an explanation line as ``{"text", "points", "depth", "phrase"}``."""
    return {
        "text": line.text,
        "points": line.points,
        "depth": line.depth,
        "phrase": None if line.phrase is None else phrase_to_dict(line.phrase),
    }


def line_from_dict(data: Mapping[str, Any]) -> ExplanationLine:
    """Return the explanation line a :func:`line_to_dict` form holds."""
    return ExplanationLine(data["text"], data["points"], data["depth"], _optional_phrase(data))


def _adjustment_to_dict(entry: AppliedAdjustment) -> Plain:
    return {
        "kind": entry.kind,
        "points": entry.points,
        "reason": entry.reason,
        "approver": entry.approver,
        "ref": entry.ref,
        "phrase": None if entry.phrase is None else phrase_to_dict(entry.phrase),
    }


def _adjustment_from_dict(data: Mapping[str, Any]) -> AppliedAdjustment:
    return AppliedAdjustment(
        kind=data["kind"],
        points=data["points"],
        reason=data["reason"],
        approver=data["approver"],
        ref=data["ref"],
        phrase=_optional_phrase(data),
    )


def _source_to_dict(source: SourceScore) -> Plain:
    return {
        "code": source.code,
        "label": source.label,
        "present": source.present,
        "nominal_weight": source.nominal_weight,
        "effective_weight": source.effective_weight,
        "value": source.value,
        "contribution": source.contribution,
        "count": source.count,
        "criteria": [_criterion_to_dict(criterion) for criterion in source.criteria],
        "dropped": list(source.dropped),
        "missing_reason": source.missing_reason,
    }


def _source_from_dict(data: Mapping[str, Any]) -> SourceScore:
    return SourceScore(
        code=data["code"],
        label=data["label"],
        present=data["present"],
        nominal_weight=data["nominal_weight"],
        effective_weight=data["effective_weight"],
        value=data["value"],
        contribution=data["contribution"],
        count=data["count"],
        criteria=tuple(CriterionScore(**criterion) for criterion in data["criteria"]),
        dropped=tuple(data["dropped"]),
        missing_reason=data["missing_reason"],
    )


def _criterion_to_dict(criterion: CriterionScore) -> Plain:
    return {
        "code": criterion.code,
        "label": criterion.label,
        "max_points": criterion.max_points,
        "average": criterion.average,
        "is_leaf": criterion.is_leaf,
    }


def _satisfaction_to_dict(index: SatisfactionIndex) -> Plain:
    return {
        "count": index.count,
        "raw_mean": index.raw_mean,
        "smoothed": index.smoothed,
        "good_rate": index.good_rate,
        "bad_rate": index.bad_rate,
        "hall_mean": index.hall_mean,
        "prior_weight": index.prior_weight,
    }

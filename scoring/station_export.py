"""A :class:`RoundResult` as plain JSON-ready data, and back.

The plain form is what a finalised station round stores as its immutable snapshot: dicts,
lists, strings, numbers and ``None`` only, keys in the dataclasses' field order, phrases kept
as templates and values (:mod:`scoring.export`) so a stored round can be re-rendered, in
another language too, without scoring it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.export import Plain, line_from_dict, line_to_dict
from scoring.station_results import AppliedEntry, ItemScore, RoundResult, StationResult


def round_to_dict(result: RoundResult) -> Plain:
    """Return the round's result as plain data.

    Shape: ``{"scheme": {"name", "version"}, "tie_rule", "results": [StationResult fields …]}``.
    """
    return {
        "scheme": {"name": result.scheme_name, "version": result.scheme_version},
        "tie_rule": result.tie_rule,
        "results": [_station_to_dict(station) for station in result.results],
    }


def round_from_dict(data: Mapping[str, Any]) -> RoundResult:
    """Return the round result a :func:`round_to_dict` form holds (unknown keys ignored)."""
    return RoundResult(
        scheme_name=data["scheme"]["name"],
        scheme_version=data["scheme"]["version"],
        results=tuple(_station_from_dict(row) for row in data["results"]),
        tie_rule=data["tie_rule"],
    )


def _station_to_dict(station: StationResult) -> Plain:
    return {
        "station_id": station.station_id,
        "name": station.name,
        "score": station.score,
        "base": station.base,
        "bonus_claimed": station.bonus_claimed,
        "bonus_applied": station.bonus_applied,
        "deduction_claimed": station.deduction_claimed,
        "deduction_applied": station.deduction_applied,
        "grade": station.grade,
        "grade_code": station.grade_code,
        "rank": station.rank,
        "items": [_item_to_dict(item) for item in station.items],
        "bonuses": [_entry_to_dict(entry) for entry in station.bonuses],
        "deductions": [_entry_to_dict(entry) for entry in station.deductions],
        "flags": list(station.flags),
        "explanation": [line_to_dict(line) for line in station.explanation],
    }


def _station_from_dict(data: Mapping[str, Any]) -> StationResult:
    return StationResult(
        station_id=data["station_id"],
        name=data["name"],
        score=data["score"],
        base=data["base"],
        bonus_claimed=data["bonus_claimed"],
        bonus_applied=data["bonus_applied"],
        deduction_claimed=data["deduction_claimed"],
        deduction_applied=data["deduction_applied"],
        grade=data["grade"],
        grade_code=data["grade_code"],
        rank=data["rank"],
        items=tuple(_item_from_dict(item) for item in data["items"]),
        bonuses=tuple(_entry_from_dict(entry) for entry in data["bonuses"]),
        deductions=tuple(_entry_from_dict(entry) for entry in data["deductions"]),
        flags=tuple(data["flags"]),
        explanation=tuple(line_from_dict(line) for line in data["explanation"]),
    )


def _item_to_dict(item: ItemScore) -> Plain:
    return {
        "code": item.code,
        "label": item.label,
        "max_points": item.max_points,
        "points": item.points,
        "is_leaf": item.is_leaf,
        "method": item.method,
        "given": list(item.given),
        "dropped": list(item.dropped),
        "metric": item.metric,
        "metric_value": item.metric_value,
    }


def _item_from_dict(data: Mapping[str, Any]) -> ItemScore:
    return ItemScore(
        code=data["code"],
        label=data["label"],
        max_points=data["max_points"],
        points=data["points"],
        is_leaf=data["is_leaf"],
        method=data["method"],
        given=tuple(data["given"]),
        dropped=tuple(data["dropped"]),
        metric=data["metric"],
        metric_value=data["metric_value"],
    )


def _entry_to_dict(entry: AppliedEntry) -> Plain:
    return {
        "category": entry.category,
        "category_label": entry.category_label,
        "matter": entry.matter,
        "claimed": entry.claimed,
        "points": entry.points,
        "note": entry.note,
        "superseded": entry.superseded,
        "severity": entry.severity,
        "ref": entry.ref,
    }


def _entry_from_dict(data: Mapping[str, Any]) -> AppliedEntry:
    return AppliedEntry(
        category=data["category"],
        category_label=data["category_label"],
        matter=data["matter"],
        claimed=data["claimed"],
        points=data["points"],
        note=data["note"],
        superseded=data["superseded"],
        severity=data["severity"],
        ref=data["ref"],
    )


__all__ = ["round_from_dict", "round_to_dict"]

"""Turn a :class:`PeriodResult` into plain JSON-ready data (for ``flask evaluate --json``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from scoring.results import PeriodResult


def result_to_dict(result: PeriodResult) -> dict[str, Any]:
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
        "results": [_plain(asdict(staff)) for staff in result.results],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value

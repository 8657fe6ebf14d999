"""Pure scoring for the 好差评 hall: satisfaction indexes, the board, and staff evaluation.

Frozen dataclasses in, frozen dataclasses out. No Flask, no SQLAlchemy, no clock; the only file
read is a scheme file handed to :func:`load_scheme` (or the shipped default scheme).

Numbers: points, indexes and scores are on 0–100 (final scores on ``score.min``..``score.max``,
default 0..110); all returned values are rounded half up to two decimals (rates to four).
"""

from scoring.evaluate import evaluate_period
from scoring.export import result_from_dict, result_to_dict
from scoring.inputs import Adjustment, Assessment, ComplaintFinding, StaffInput
from scoring.results import (
    TIE_RULE,
    AppliedAdjustment,
    CriterionScore,
    ExplanationLine,
    PeriodResult,
    SourceScore,
    StaffResult,
)
from scoring.satisfaction import (
    LevelCounts,
    SatisfactionIndex,
    Standing,
    Standings,
    hall_mean,
    rank_satisfaction,
    satisfaction_index,
)
from scoring.scheme import (
    LEVEL_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    SOURCES,
    Criterion,
    GradeBand,
    Quota,
    Scheme,
    SchemeError,
    Veto,
    default_scheme,
    load_scheme,
    parse_scheme,
)
from scoring.station_scheme import (
    AutoFill,
    BonusCategory,
    DeductionCategory,
    StationScheme,
    load_station_scheme,
    parse_station_scheme,
    station_scheme,
)

__all__ = [
    "LEVEL_LABELS",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "SOURCES",
    "SOURCE_LABELS",
    "TIE_RULE",
    "Adjustment",
    "AppliedAdjustment",
    "Assessment",
    "AutoFill",
    "BonusCategory",
    "ComplaintFinding",
    "Criterion",
    "CriterionScore",
    "DeductionCategory",
    "ExplanationLine",
    "GradeBand",
    "LevelCounts",
    "PeriodResult",
    "Quota",
    "SatisfactionIndex",
    "Scheme",
    "SchemeError",
    "SourceScore",
    "StaffInput",
    "StaffResult",
    "Standing",
    "Standings",
    "StationScheme",
    "Veto",
    "default_scheme",
    "evaluate_period",
    "hall_mean",
    "load_scheme",
    "load_station_scheme",
    "parse_scheme",
    "parse_station_scheme",
    "rank_satisfaction",
    "result_from_dict",
    "result_to_dict",
    "satisfaction_index",
    "station_scheme",
]

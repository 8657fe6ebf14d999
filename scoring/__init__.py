"""Pure scoring for the 好差评 hall: satisfaction indexes, the board, staff evaluation, and the
street office's assessment of its stations (:func:`evaluate_round`).

Frozen dataclasses in, frozen dataclasses out. No Flask, no SQLAlchemy, no clock; the only files
read are a scheme file handed to :func:`load_scheme` or :func:`load_station_scheme` and the
shipped schemes (:func:`default_scheme`, :func:`station_scheme`).

Numbers: points, indexes and scores are on 0–100 (final scores on ``score.min``..``score.max``,
default 0..110); all returned values are rounded half up to two decimals (rates to four).
"""

from scoring.evaluate import evaluate_period
from scoring.export import result_from_dict, result_to_dict
from scoring.inputs import (
    PENDING_REASONS,
    Adjustment,
    Assessment,
    ComplaintFinding,
    PartScore,
    PendingReason,
    StaffInput,
)
from scoring.monthly_star import MEASURE_LABELS, StarCandidate, StarVerdict, select_stars
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
    AdjustmentCategory,
    AdjustmentLevel,
    Composition,
    Consequence,
    Criterion,
    GradeBand,
    MonthlyStarRule,
    Quota,
    Scheme,
    SchemeError,
    Veto,
    default_scheme,
    load_scheme,
    parse_scheme,
)
from scoring.station import evaluate_round
from scoring.station_export import round_from_dict, round_to_dict
from scoring.station_inputs import BonusClaim, Deduction, MemberScore, StationInput
from scoring.station_results import (
    STATION_TIE_RULE,
    AppliedEntry,
    ItemScore,
    RoundResult,
    StationResult,
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
    "MEASURE_LABELS",
    "PENDING_REASONS",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "SOURCES",
    "SOURCE_LABELS",
    "STATION_TIE_RULE",
    "TIE_RULE",
    "Adjustment",
    "AdjustmentCategory",
    "AdjustmentLevel",
    "AppliedAdjustment",
    "AppliedEntry",
    "Assessment",
    "AutoFill",
    "BonusCategory",
    "BonusClaim",
    "ComplaintFinding",
    "Composition",
    "Consequence",
    "Criterion",
    "CriterionScore",
    "Deduction",
    "DeductionCategory",
    "ExplanationLine",
    "GradeBand",
    "ItemScore",
    "LevelCounts",
    "MemberScore",
    "MonthlyStarRule",
    "PartScore",
    "PendingReason",
    "PeriodResult",
    "Quota",
    "RoundResult",
    "SatisfactionIndex",
    "Scheme",
    "SchemeError",
    "SourceScore",
    "StaffInput",
    "StaffResult",
    "Standing",
    "Standings",
    "StarCandidate",
    "StarVerdict",
    "StationInput",
    "StationResult",
    "StationScheme",
    "Veto",
    "default_scheme",
    "evaluate_period",
    "evaluate_round",
    "hall_mean",
    "load_scheme",
    "load_station_scheme",
    "parse_scheme",
    "parse_station_scheme",
    "rank_satisfaction",
    "result_from_dict",
    "result_to_dict",
    "round_from_dict",
    "round_to_dict",
    "satisfaction_index",
    "select_stars",
    "station_scheme",
]

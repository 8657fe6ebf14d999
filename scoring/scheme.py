"""The evaluation scheme (考核方案): a versioned TOML file, validated when it is loaded.

A scheme holds every rule and number of the evaluation: the rubric tree, assessor weights,
satisfaction level points and smoothing, peer trimming, bonus cap, complaint deductions, clipping
bounds, grade bands, the optional 优秀 quota and the optional veto. ``default_scheme.toml`` beside
this module is the centre's own scheme and documents each key.

Loading reads only the file it is given; an invalid scheme raises :class:`SchemeError` whose
message starts with the path of the bad entry, e.g. ``weights.self: must be between 0 and 1``.
"""

from __future__ import annotations

import functools
import itertools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from scoring._numbers import dec, floor_int, fmt_plain, total
from scoring._toml import SchemeError, Table

#: Evaluation sources, in the order they are reported.
SOURCES: tuple[str, ...] = ("self", "supervisor", "residents", "peer")
#: Chinese label of each source.
SOURCE_LABELS: Mapping[str, str] = MappingProxyType(
    {"self": "自评", "supervisor": "负责人评价", "residents": "居民满意度", "peer": "同事互评"}
)
#: Complaint severities, mildest first.
SEVERITIES: tuple[str, ...] = ("minor", "major", "severe")
#: Chinese label of each severity.
SEVERITY_LABELS: Mapping[str, str] = MappingProxyType(
    {"minor": "一般", "major": "较重", "severe": "严重"}
)
#: The five satisfaction levels and their 好差评 names.
LEVEL_LABELS: Mapping[int, str] = MappingProxyType(
    {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
)


@dataclass(frozen=True)
class Criterion:
    """A rubric node: ``code`` is the full dotted code (``quality.attitude``), points 0..max."""

    code: str
    label: str
    max_points: float
    children: tuple[Criterion, ...] = ()

    @property
    def is_leaf(self) -> bool:
        """Return whether assessors give points for this criterion directly."""
        return not self.children

    def leaves(self) -> tuple[Criterion, ...]:
        """Return the leaf criteria under (or equal to) this node, in rubric order."""
        if self.is_leaf:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.leaves())


@dataclass(frozen=True)
class GradeBand:
    """A grade: scores of at least ``min_score`` (and below the band above) get ``label``."""

    code: str
    label: str
    min_score: float


@dataclass(frozen=True)
class Consequence:
    """What follows from a grade (结果运用), for HR: the scheme's ``[[consequences]]``."""

    grade: str  # a grade code
    bonus_coefficient: float | None = None  # 绩效系数
    training: bool = False  # 培训
    commendation: bool = False  # 表彰
    talk: bool = False  # 诫勉谈话


@dataclass(frozen=True)
class AdjustmentLevel:
    """One level of an adjustment category (表彰·市级 4 分), by code."""

    code: str
    label: str
    points: float


@dataclass(frozen=True)
class AdjustmentCategory:
    """A bonus or deduction category of the scheme's ``[[adjustments.categories]]``.

    An entry of the category takes one of ``levels`` (each with its points) or, without
    levels, any points from ``min_points`` to ``max_points`` (equal for a fixed amount, e.g.
    媒体曝光 10). ``cap``: the category counts at most this much per period (None: no cap).
    """

    code: str
    label: str
    kind: str  # bonus / deduction
    levels: tuple[AdjustmentLevel, ...] = ()
    min_points: float = 0.0
    max_points: float = 0.0
    cap: float | None = None

    def level(self, code: str) -> AdjustmentLevel | None:
        """Return the level with this code, or None."""
        return next((level for level in self.levels if level.code == code), None)


#: The parts each composed period kind may be built from (``[composition.<kind>]``).
PARTS_OF: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"year": ("quarters", "months"), "quarter": ("months",)}
)


@dataclass(frozen=True)
class Composition:
    """How a year (or quarter) is built from its parts: the scheme's ``[composition.<kind>]``.

    Base score = mean of the parts' base scores × ``parts_weight`` + the period's own
    assessment (its ``own_sources`` only, weighted among themselves as in ``weights``) ×
    ``own_weight``; the two weights sum to 1. The period's bonuses, deductions and complaints
    are then applied once, as for any period.
    """

    period_kind: str  # "year" / "quarter"
    parts: str  # "quarters" / "months"
    parts_weight: float
    own_weight: float
    own_sources: tuple[str, ...]


#: What the monthly 优秀 (服务之星) may be ranked by: the smoothed satisfaction index of the
#: month so far, or the month's evaluation score.
STAR_MEASURES: tuple[str, ...] = ("satisfaction", "score")


@dataclass(frozen=True)
class MonthlyStarRule:
    """Who is the month's 优秀 (服务之星): the scheme's ``[monthly_star]``.

    The ``count`` best by ``rank_by`` among those with at least ``min_ratings`` ratings in the
    month and, when ``no_valid_complaint``, no complaint of the month verified as valid.
    """

    rank_by: str = "satisfaction"
    min_ratings: int = 10
    no_valid_complaint: bool = True
    count: int = 1


@dataclass(frozen=True)
class Quota:
    """At most ``max(minimum, floor(share × ranked staff))`` staff get the top grade."""

    share: float
    minimum: int

    def seats(self, ranked: int) -> int:
        """Return how many of ``ranked`` staff may get the top grade."""
        if ranked <= 0:
            return 0
        by_share = floor_int(dec(self.share) * ranked)
        return min(ranked, max(self.minimum, by_share))


@dataclass(frozen=True)
class Veto:
    """A verified complaint of one of ``severities`` gives the lowest grade (一票否决)."""

    severities: tuple[str, ...]


@dataclass(frozen=True)
class Scheme:
    """A validated evaluation scheme. Build one with :func:`load_scheme` or :func:`parse_scheme`.

    Points and scores are on a 0–100 scale; weights and shares are 0..1.
    """

    name: str
    version: str
    rubric: tuple[Criterion, ...]
    #: Nominal weight of each source in :data:`SOURCES`; they sum to 1.
    weights: Mapping[str, float]
    #: Points of levels 1..5 (index 0 is level 1); non-decreasing, level 5 is 100.
    level_points: tuple[float, float, float, float, float]
    #: Weight of the hall mean in the smoothed index, counted in ratings.
    prior_weight: float
    #: Fewer ratings than this: residents' source missing, not ranked on the board.
    min_ratings: int
    #: Hall mean used when there are no ratings at all.
    empty_hall_mean: float
    peer_trim: bool
    #: Trim the highest and lowest peer total from this many peers on.
    peer_trim_min_count: int
    bonus_cap: float
    #: Points deducted per verified complaint, by severity code.
    complaint_deductions: Mapping[str, float]
    score_min: float
    score_max: float
    #: Grade bands, highest first; the last band starts at or below ``score_min``.
    grades: tuple[GradeBand, ...]
    quota: Quota | None = None
    veto: Veto | None = None
    #: Fewer present sources than this: no score, grade or rank (未评定).
    min_sources: int = 1
    #: Whether the public results page shows scores beside names and grades.
    publish_scores: bool = False
    #: Working days after finalising during which a staff member may object (异议) once.
    objection_days: int = 5
    #: What follows from each grade, by grade code (grades without an entry: nothing).
    consequences: Mapping[str, Consequence] = field(default_factory=dict)
    #: How a year or quarter is built from its parts, by period kind (kinds without: alone).
    compositions: Mapping[str, Composition] = field(default_factory=dict)
    #: Who is each month's 优秀 (服务之星).
    monthly_star: MonthlyStarRule = field(default_factory=MonthlyStarRule)
    #: Typed bonuses and deductions (表彰 by level, 创新, 工作不力 …), in the file's order.
    adjustment_categories: tuple[AdjustmentCategory, ...] = ()
    _by_code: Mapping[str, Criterion] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", criteria_index(self.rubric))

    @property
    def leaves(self) -> tuple[Criterion, ...]:
        """Return every leaf criterion, in rubric order."""
        return tuple(leaf for top in self.rubric for leaf in top.leaves())

    def criterion(self, code: str) -> Criterion:
        """Return the rubric node with this dotted code, or raise ``KeyError``."""
        return self._by_code[code]

    def points_for_level(self, level: int) -> float:
        """Return the satisfaction points (0–100) of a level 1..5."""
        return self.level_points[level - 1]

    def adjustment_category(self, code: str) -> AdjustmentCategory | None:
        """Return the adjustment category with this code, or None."""
        return next((c for c in self.adjustment_categories if c.code == code), None)

    def grade_for(self, score: float) -> GradeBand:
        """Return the band of a score: the first band whose minimum the score reaches."""
        return band_for(self.grades, score)


def load_scheme(path: str | os.PathLike[str]) -> Scheme:
    """Read and validate a scheme TOML file; raise :class:`SchemeError` if it is invalid."""
    with open(path, "rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise SchemeError(f"{os.fspath(path)}: not valid TOML: {error}") from error
    return parse_scheme(data)


@functools.cache
def default_scheme() -> Scheme:
    """Return the centre's default scheme, shipped as ``scoring/default_scheme.toml``.

    Read once per process; the scheme is immutable, so sharing it is safe.
    """
    text = resources.files("scoring").joinpath("default_scheme.toml").read_text(encoding="utf-8")
    return parse_scheme(tomllib.loads(text))


def parse_scheme(data: Mapping[str, Any]) -> Scheme:
    """Validate a scheme given as parsed TOML (a mapping) and return it."""
    root = Table(data, "")
    name = root.text("name")
    version = root.text("version")

    score = root.table("score")
    score_min = score.number("min")
    score_max = score.number("max")
    if score_max <= score_min:
        raise SchemeError("score.max: must be greater than score.min")
    score.done()

    weights_table = root.table("weights")
    weights = {code: weights_table.number(code, low=0, high=1) for code in SOURCES}
    weights_table.done()
    weight_sum = total(dec(w) for w in weights.values())
    if weight_sum != 1:
        raise SchemeError(f"weights: must sum to 1 (they sum to {fmt_plain(weight_sum)})")

    satisfaction = root.table("satisfaction")
    prior_weight = satisfaction.number("prior_weight", low=0)
    min_ratings = satisfaction.integer("min_ratings", low=0)
    empty_hall_mean = satisfaction.number("empty_hall_mean", low=0, high=100)
    points_table = satisfaction.table("level_points")
    points = tuple(points_table.number(str(level), low=0, high=100) for level in range(1, 6))
    points_table.done()
    satisfaction.done()
    if any(lower > higher for lower, higher in itertools.pairwise(points)):
        raise SchemeError("satisfaction.level_points: must not decrease from level 1 to level 5")
    if points[4] != 100:
        raise SchemeError(
            "satisfaction.level_points.5: must be 100, so that 非常满意 never lowers an index"
        )

    peers = root.table("peers")
    peer_trim = peers.boolean("trim")
    peer_trim_min_count = peers.integer("min_count", low=3)
    peers.done()

    adjustments = root.table("adjustments")
    bonus_cap = adjustments.number("bonus_cap", low=0)
    deductions_table = adjustments.table("complaint_deductions")
    deductions = {code: deductions_table.number(code, low=0) for code in SEVERITIES}
    deductions_table.done()
    categories = _adjustment_categories(adjustments.array("categories", required=False))
    adjustments.done()

    grades = read_grades(root, score_min, score_max)

    quota_table = root.table("quota")
    quota_on = quota_table.boolean("enabled")
    quota = Quota(
        share=quota_table.number("share", low=0, high=1, low_open=True),
        minimum=quota_table.integer("minimum", low=0),
    )
    quota_table.done()

    veto_table = root.table("veto")
    veto_on = veto_table.boolean("enabled")
    severities = veto_table.strings("severities", allowed=SEVERITIES)
    veto_table.done()
    if veto_on and not severities:
        raise SchemeError("veto.severities: must name at least one severity when the veto is on")

    gates = root.table("gates", required=False)
    min_sources = gates.integer("min_sources", low=1, default=1)
    gates.done()
    if min_sources > len(SOURCES):
        message = f"must be at most {len(SOURCES)} (the number of sources)"
        raise gates.error("min_sources", message)

    publication = root.table("publication", required=False)
    publish_scores = publication.boolean("scores", default=False)
    publication.done()

    feedback = root.table("feedback", required=False)
    objection_days = feedback.integer("objection_days", low=1, default=5)
    feedback.done()

    consequences = _consequences(root.array("consequences", required=False), grades)
    compositions = _compositions(root.table("composition", required=False))

    star = root.table("monthly_star", required=False)
    monthly_star = MonthlyStarRule(
        rank_by=star.choice("rank_by", STAR_MEASURES) if star.has("rank_by") else "satisfaction",
        min_ratings=star.integer("min_ratings", low=0, default=min_ratings),
        no_valid_complaint=star.boolean("no_valid_complaint", default=True),
        count=star.integer("count", low=1, default=1),
    )
    star.done()

    rubric = _rubric(root.array("rubric"))
    root.done()

    return Scheme(
        name=name,
        version=version,
        rubric=rubric,
        weights=MappingProxyType(weights),
        level_points=(points[0], points[1], points[2], points[3], points[4]),
        prior_weight=prior_weight,
        min_ratings=min_ratings,
        empty_hall_mean=empty_hall_mean,
        peer_trim=peer_trim,
        peer_trim_min_count=peer_trim_min_count,
        bonus_cap=bonus_cap,
        complaint_deductions=MappingProxyType(deductions),
        score_min=score_min,
        score_max=score_max,
        grades=grades,
        quota=quota if quota_on else None,
        veto=Veto(tuple(s for s in SEVERITIES if s in severities)) if veto_on else None,
        min_sources=min_sources,
        publish_scores=publish_scores,
        objection_days=objection_days,
        consequences=consequences,
        compositions=MappingProxyType(compositions),
        monthly_star=monthly_star,
        adjustment_categories=categories,
    )


def read_grades(parent: Table, score_min: float, score_max: float) -> tuple[GradeBand, ...]:
    """Read ``parent``'s ``[[grades]]``: at least two bands, descending, the last ≤ score_min."""
    items = parent.array("grades")
    if len(items) < 2:
        raise parent.error("grades", "needs at least two bands")
    bands: list[GradeBand] = []
    for item in items:
        band = GradeBand(
            code=item.code("code"), label=item.text("label"), min_score=item.number("min")
        )
        item.done()
        if any(b.code == band.code for b in bands):
            raise item.error("code", f"duplicate grade code {band.code!r}")
        if bands and band.min_score >= bands[-1].min_score:
            raise item.error(
                "min",
                f"grade bands must be descending "
                f"({fmt_plain(dec(band.min_score))} is not below "
                f"{fmt_plain(dec(bands[-1].min_score))})",
            )
        bands.append(band)
    if bands[0].min_score > score_max:
        raise items[0].error("min", f"the top band starts above {fmt_plain(dec(score_max))}")
    if bands[-1].min_score > score_min:
        raise items[-1].error(
            "min",
            f"the last band must start at or below {fmt_plain(dec(score_min))} "
            "so that every score has a grade",
        )
    return tuple(bands)


def band_for(grades: tuple[GradeBand, ...], score: float) -> GradeBand:
    """Return the band of a score: the first (highest) band whose minimum the score reaches."""
    for band in grades:
        if score >= band.min_score:
            return band
    return grades[-1]


def criteria_index(tops: tuple[Criterion, ...]) -> Mapping[str, Criterion]:
    """Return every node of a criteria tree by its dotted code."""
    index: dict[str, Criterion] = {}

    def walk(node: Criterion) -> None:
        index[node.code] = node
        for child in node.children:
            walk(child)

    for top in tops:
        walk(top)
    return MappingProxyType(index)


def _rubric(items: list[Table]) -> tuple[Criterion, ...]:
    if not items:
        raise SchemeError("rubric: needs at least one criterion")
    nodes = _criteria(items, "")
    top_sum = total(dec(node.max_points) for node in nodes)
    if top_sum != 100:
        raise SchemeError(f"rubric: top-level max values sum to {fmt_plain(top_sum)}, not 100")
    return nodes


def _consequences(items: list[Table], grades: tuple[GradeBand, ...]) -> dict[str, Consequence]:
    codes = [band.code for band in grades]
    found: dict[str, Consequence] = {}
    for item in items:
        grade = item.text("grade")
        if grade not in codes:
            raise item.error("grade", f"unknown grade {grade!r} (grades: {', '.join(codes)})")
        if grade in found:
            raise item.error("grade", f"grade {grade!r} already has its consequences")
        coefficient = (
            item.number("bonus_coefficient", low=0, high=10)
            if "bonus_coefficient" in item.data
            else None
        )
        found[grade] = Consequence(
            grade=grade,
            bonus_coefficient=coefficient,
            training=item.boolean("training", default=False),
            commendation=item.boolean("commendation", default=False),
            talk=item.boolean("talk", default=False),
        )
        item.done()
    return found


def _adjustment_categories(items: list[Table]) -> tuple[AdjustmentCategory, ...]:
    found: list[AdjustmentCategory] = []
    for item in items:
        code = item.code("code")
        label = item.text("label")
        kind = item.choice("kind", ("bonus", "deduction"))
        cap = item.number("cap", low=0, low_open=True) if item.has("cap") else None
        levels: list[AdjustmentLevel] = []
        for entry in item.array("levels", required=False):
            level = AdjustmentLevel(
                entry.code("code"),
                entry.text("label"),
                entry.number("points", low=0, low_open=True),
            )
            entry.done()
            if any(known.code == level.code for known in levels):
                raise entry.error("code", f"duplicate level code {level.code!r}")
            levels.append(level)
        if levels:
            if item.has("points") or item.has("min") or item.has("max"):
                raise item.error("levels", "give levels, or points (or min and max), not both")
            low = high = 0.0
        elif item.has("points"):
            low = high = item.number("points", low=0, high=100, low_open=True)
        else:
            high = item.number("max", low=0, high=100, low_open=True)
            low = item.number("min", low=0, high=high, low_open=True) if item.has("min") else 0.01
        item.done()
        if any(known.code == code for known in found):
            raise item.error("code", f"duplicate category code {code!r}")
        found.append(AdjustmentCategory(code, label, kind, tuple(levels), low, high, cap))
    return tuple(found)


def _compositions(table: Table) -> dict[str, Composition]:
    found: dict[str, Composition] = {}
    for kind, allowed in PARTS_OF.items():
        if not table.has(kind):
            continue
        entry = table.table(kind)
        parts = entry.choice("parts", allowed)
        parts_weight = entry.number("parts_weight", low=0, high=1, low_open=True)
        own_weight = entry.number("own_weight", low=0, high=1)
        own_sources = (
            entry.strings("own_sources", allowed=SOURCES) if entry.has("own_sources") else SOURCES
        )
        entry.done()
        weight_sum = dec(parts_weight) + dec(own_weight)
        if weight_sum != 1:
            raise entry.error(
                "own_weight",
                f"parts_weight and own_weight must sum to 1 (they sum to {fmt_plain(weight_sum)})",
            )
        if own_weight > 0 and not own_sources:
            raise entry.error("own_sources", "must name at least one source when own_weight > 0")
        if len(set(own_sources)) != len(own_sources):
            raise entry.error("own_sources", "names a source twice")
        found[kind] = Composition(
            period_kind=kind,
            parts=parts,
            parts_weight=parts_weight,
            own_weight=own_weight,
            own_sources=tuple(code for code in SOURCES if code in own_sources),
        )
    table.done()
    return found


def _criteria(items: list[Table], prefix: str) -> tuple[Criterion, ...]:
    nodes: list[Criterion] = []
    for item in items:
        code = prefix + item.code("code")
        path = f"rubric.{code}"
        item.path = path
        label = item.text("label")
        max_points = item.number("max", low=0, low_open=True)
        children = _criteria(item.array("children", required=False), code + ".")
        item.done()
        if any(node.code == code for node in nodes):
            raise SchemeError(f"{path}: duplicate code")
        if children:
            child_sum = total(dec(child.max_points) for child in children)
            if child_sum != dec(max_points):
                raise SchemeError(
                    f"{path}: children sum to {fmt_plain(child_sum)} "
                    f"but max is {fmt_plain(dec(max_points))}"
                )
        nodes.append(Criterion(code, label, max_points, children))
    return tuple(nodes)


__all__ = [
    "LEVEL_LABELS",
    "PARTS_OF",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "SOURCES",
    "SOURCE_LABELS",
    "STAR_MEASURES",
    "AdjustmentCategory",
    "AdjustmentLevel",
    "Composition",
    "Consequence",
    "Criterion",
    "GradeBand",
    "MonthlyStarRule",
    "Quota",
    "Scheme",
    "SchemeError",
    "Veto",
    "band_for",
    "criteria_index",
    "default_scheme",
    "load_scheme",
    "parse_scheme",
    "read_grades",
]

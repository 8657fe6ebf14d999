"""Station schemes (便民服务站考核细则): a street office's points checklist, as a TOML file.

A station scheme holds the checklist tree (sections → items → optional sub-items, 100 points in
all), how the assessment group's members' scores on an item combine, which items are filled from
the product's own data and how, the bonus categories with their caps, the deduction categories
and the grade bands. ``station_2019.toml`` and ``station_workstation.toml`` beside this module are
the shipped schemes and document each key.

A malformed file is refused with a :class:`SchemeError` naming the file, the line and the rule,
e.g. ``station_2019.toml line 14: operation.records: children add up to 18, the item says 20``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Literal, cast

from scoring._numbers import dec, fmt_plain, total
from scoring._toml import SchemeError, Table, load_text, read_text
from scoring.scheme import (
    SEVERITIES,
    Criterion,
    GradeBand,
    band_for,
    criteria_index,
    read_grades,
)

Metric = Literal["satisfaction_index", "rating_volume", "complaints_on_time_share"]
MemberRole = Literal["district_assessor", "cross_staff", "resident_rep"]

#: The product's own figures an item can be filled from, with their ranges (None: no upper bound).
METRICS: Mapping[str, tuple[float, float | None]] = MappingProxyType(
    {
        "satisfaction_index": (0, 100),  # smoothed 好差评 satisfaction index, 0–100
        "rating_volume": (0, None),  # ratings received in the round's period
        "complaints_on_time_share": (0, 1),  # share of complaints closed inside their deadlines
    }
)
#: Chinese label of each metric.
METRIC_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "satisfaction_index": "满意度指数",
        "rating_volume": "评价量",
        "complaints_on_time_share": "投诉按时办结率",
    }
)
#: Who sits in an assessment group.
ROLES: tuple[str, ...] = ("district_assessor", "cross_staff", "resident_rep")
#: Chinese label of each role.
ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {"district_assessor": "街道考核人员", "cross_staff": "交叉考核人员", "resident_rep": "居民代表"}
)
#: Ways the members' scores on one item combine.
COMBINE_METHODS: tuple[str, ...] = ("mean",)
#: Ways a metric maps to an item's points.
MAPPINGS: tuple[str, ...] = ("linear",)
#: Shipped station schemes, by the name :func:`station_scheme` takes.
SHIPPED: Mapping[str, str] = MappingProxyType(
    {"2019": "station_2019.toml", "workstation": "station_workstation.toml"}
)
#: What the checklist's sections add up to.
BASE_TOTAL = 100


@dataclass(frozen=True)
class AutoFill:
    """An item filled from a metric: 0 points at ``zero_at``, full points at ``full_at``.

    Linear in between and flat outside (either threshold may be the higher one).
    """

    metric: Metric
    zero_at: float
    full_at: float

    def share(self, value: float) -> Decimal:
        """Return the share (0..1) of the item's points that ``value`` earns."""
        span = dec(self.full_at) - dec(self.zero_at)
        return min(max((dec(value) - dec(self.zero_at)) / span, Decimal(0)), Decimal(1))


@dataclass(frozen=True)
class BonusCategory:
    """A bonus category (创新加分): each matter earns ``min_points``..``max_points``.

    The category counts at most ``max_points`` in all.
    """

    code: str
    label: str
    min_points: float
    max_points: float


@dataclass(frozen=True)
class DeductionCategory:
    """A deduction category: a flat ``points`` per matter, or points by severity code."""

    code: str
    label: str
    points: float | None = None
    by_severity: Mapping[str, float] = field(default_factory=dict)

    @property
    def needs_severity(self) -> bool:
        """Return whether a deduction of this category must name its severity."""
        return self.points is None

    def points_for(self, severity: str | None) -> float:
        """Return the points one matter deducts (raise ``KeyError`` for a severity it lacks)."""
        if self.points is not None:
            return self.points
        return self.by_severity[severity or ""]


@dataclass(frozen=True)
class StationScheme:
    """A validated station scheme. Build one with :func:`load_station_scheme`.

    ``items`` is the checklist tree (its top level, the sections, adds up to 100 points);
    members give points per leaf item, except those in ``auto``, filled from a metric. ``roles``
    lists, for leaf items only some roles may score, the roles that may.
    """

    name: str
    version: str
    items: tuple[Criterion, ...]
    auto: Mapping[str, AutoFill]
    roles: Mapping[str, tuple[str, ...]]
    combine: str
    trim: bool
    #: Drop the one highest and one lowest score of an item scored by at least this many.
    trim_from: int
    bonus_cap: float
    bonus_categories: tuple[BonusCategory, ...]
    #: ``None``: deductions are not capped.
    deduction_cap: float | None
    deduction_categories: tuple[DeductionCategory, ...]
    #: Highest first; the last starts at 0.
    grades: tuple[GradeBand, ...]
    _by_code: Mapping[str, Criterion] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", criteria_index(self.items))

    @property
    def leaves(self) -> tuple[Criterion, ...]:
        """Return every leaf item, in checklist order."""
        return tuple(leaf for top in self.items for leaf in top.leaves())

    def item(self, code: str) -> Criterion:
        """Return the checklist node with this dotted code, or raise ``KeyError``."""
        return self._by_code[code]

    def bonus_category(self, code: str) -> BonusCategory:
        """Return the bonus category with this code, or raise ``KeyError``."""
        for category in self.bonus_categories:
            if category.code == code:
                return category
        raise KeyError(code)

    def deduction_category(self, code: str) -> DeductionCategory:
        """Return the deduction category with this code, or raise ``KeyError``."""
        for category in self.deduction_categories:
            if category.code == code:
                return category
        raise KeyError(code)

    def grade_for(self, score: float) -> GradeBand:
        """Return the band of a score: the first band whose minimum the score reaches."""
        return band_for(self.grades, score)


def load_station_scheme(path: str | os.PathLike[str]) -> StationScheme:
    """Read and validate a station scheme file; raise :class:`SchemeError` naming the line."""
    text, name = read_text(path)
    return parse_station_scheme(text, name)


@functools.cache
def station_scheme(name: str) -> StationScheme:
    """Return a shipped station scheme: ``"2019"`` or ``"workstation"`` (see :data:`SHIPPED`).

    Read once per process; the scheme is immutable, so sharing it is safe.
    """
    if name not in SHIPPED:
        raise KeyError(f"no shipped station scheme {name!r} (shipped: {', '.join(SHIPPED)})")
    file_name = SHIPPED[name]
    text = resources.files("scoring").joinpath(file_name).read_text(encoding="utf-8")
    return parse_station_scheme(text, file_name)


def parse_station_scheme(text: str, name: str = "station scheme") -> StationScheme:
    """Validate a station scheme given as TOML text; errors name ``name`` and the line."""
    data, source = load_text(text, name)
    root = Table(data, "", source=source)
    scheme_name = root.text("name")
    version = root.text("version")

    members = root.table("members")
    combine = members.choice("combine", COMBINE_METHODS)
    trim = members.boolean("trim")
    trim_from = members.integer("trim_from", low=3)
    members.done()

    bonus = root.table("bonus")
    bonus_cap = bonus.number("cap", low=0)
    bonus_categories = _bonus_categories(bonus, bonus_cap)
    bonus.done()

    deductions = root.table("deductions")
    deduction_cap = deductions.number("cap", low=0) if deductions.has("cap") else None
    deduction_categories = _deduction_categories(deductions)
    deductions.done()

    grades = read_grades(root, 0, BASE_TOTAL + bonus_cap)

    auto: dict[str, AutoFill] = {}
    roles: dict[str, tuple[str, ...]] = {}
    sections = root.array("sections")
    if not sections:
        raise root.error("sections", "needs at least one section")
    items = _items(sections, "", auto, roles, ())
    section_sum = total(dec(item.max_points) for item in items)
    if section_sum != BASE_TOTAL:
        raise root.error(
            "sections",
            f"the sections add up to {fmt_plain(section_sum)}, the checklist is out of "
            f"{BASE_TOTAL}",
        )
    root.done()

    return StationScheme(
        name=scheme_name,
        version=version,
        items=items,
        auto=MappingProxyType(auto),
        roles=MappingProxyType(roles),
        combine=combine,
        trim=trim,
        trim_from=trim_from,
        bonus_cap=bonus_cap,
        bonus_categories=bonus_categories,
        deduction_cap=deduction_cap,
        deduction_categories=deduction_categories,
        grades=grades,
    )


def _items(
    tables: list[Table],
    prefix: str,
    auto: dict[str, AutoFill],
    roles: dict[str, tuple[str, ...]],
    inherited: tuple[str, ...],
) -> tuple[Criterion, ...]:
    """Read one level of the checklist tree (the tables of one ``sections``/``items`` array)."""
    nodes: list[Criterion] = []
    for table in tables:
        code = prefix + table.code("code")
        table.path = code
        label = table.text("label")
        points = table.number("points", low=0, low_open=True)
        allowed = table.strings("roles", allowed=ROLES) if table.has("roles") else inherited
        if table.has("roles") and not allowed:
            raise table.error("roles", "must name at least one role (leave it out for all)")
        children = _items(table.array("items", required=False), code + ".", auto, roles, allowed)
        if table.has("auto"):
            if children:
                raise table.error("auto", "only a leaf item can be filled from data")
            if table.has("roles"):
                raise table.error("roles", "an item filled from data is not scored by members")
            auto[code] = _auto_fill(table.table("auto"))
        elif not children and allowed:
            roles[code] = allowed
        table.done()
        if any(node.code == code for node in nodes):
            raise table.error("code", f"duplicate code {code!r}")
        if children:
            child_sum = total(dec(child.max_points) for child in children)
            if child_sum != dec(points):
                raise table.error(
                    None,
                    line_of="points",
                    message=f"children add up to {fmt_plain(child_sum)}, "
                    f"the item says {fmt_plain(dec(points))}",
                )
        nodes.append(Criterion(code, label, points, children))
    return tuple(nodes)


def _auto_fill(table: Table) -> AutoFill:
    metric = table.choice("metric", tuple(METRICS))
    table.choice("map", MAPPINGS)
    low, high = METRICS[metric]
    zero_at = table.number("zero_at", low=low, high=high)
    full_at = table.number("full_at", low=low, high=high)
    table.done()
    if dec(zero_at) == dec(full_at):
        raise table.error("full_at", "must differ from zero_at")
    return AutoFill(cast(Metric, metric), zero_at, full_at)


def _bonus_categories(bonus: Table, cap: float) -> tuple[BonusCategory, ...]:
    categories: list[BonusCategory] = []
    for table in bonus.array("categories"):
        code = table.code("code")
        category = BonusCategory(
            code=code,
            label=table.text("label"),
            min_points=table.number("min", low=0, low_open=True),
            max_points=table.number("max", low=0, low_open=True),
        )
        table.done()
        if any(c.code == code for c in categories):
            raise table.error("code", f"duplicate bonus category {code!r}")
        if category.min_points > category.max_points:
            raise table.error(
                "min",
                f"{fmt_plain(dec(category.min_points))} is above the category's max "
                f"{fmt_plain(dec(category.max_points))}",
            )
        if category.max_points > cap:
            raise table.error(
                "max",
                f"{fmt_plain(dec(category.max_points))} is above the overall bonus cap "
                f"{fmt_plain(dec(cap))}",
            )
        categories.append(category)
    return tuple(categories)


def _deduction_categories(deductions: Table) -> tuple[DeductionCategory, ...]:
    categories: list[DeductionCategory] = []
    for table in deductions.array("categories"):
        code = table.code("code")
        label = table.text("label")
        flat, graded = table.has("points"), table.has("severities")
        if flat == graded:
            raise table.error(None, "needs either points or severities (exactly one)")
        if flat:
            category = DeductionCategory(code, label, points=table.number("points", low=0))
        else:
            by = table.table("severities")
            points = {s: by.number(s, low=0, low_open=True) for s in SEVERITIES if by.has(s)}
            by.done()
            if not points:
                raise by.error(None, f"needs at least one of {', '.join(SEVERITIES)}")
            category = DeductionCategory(code, label, by_severity=MappingProxyType(points))
        table.done()
        if any(c.code == code for c in categories):
            raise table.error("code", f"duplicate deduction category {code!r}")
        categories.append(category)
    return tuple(categories)


__all__ = [
    "BASE_TOTAL",
    "COMBINE_METHODS",
    "MAPPINGS",
    "METRICS",
    "METRIC_LABELS",
    "ROLES",
    "ROLE_LABELS",
    "SHIPPED",
    "AutoFill",
    "BonusCategory",
    "DeductionCategory",
    "MemberRole",
    "Metric",
    "SchemeError",
    "StationScheme",
    "load_station_scheme",
    "parse_station_scheme",
    "station_scheme",
]

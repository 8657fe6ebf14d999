"""A station round (服务站考核): combine the assessment group's scores, adjust, grade and rank.

For each station, under a :class:`~scoring.station_scheme.StationScheme`:

1. **Items.** A leaf item filled from data gets ``share × points`` from its metric (see
   :class:`~scoring.station_scheme.AutoFill`); a missing metric gives 0 (flag ``no_data:<item>``).
   Any other leaf item gets the mean of the members who scored it (blanks are left out); with
   at least ``members.trim_from`` of them (and ``members.trim`` on) the one highest and one lowest
   score are dropped first. An item nobody scored counts 0 (flag ``unscored:<item>``). Each
   item's points are rounded half up to two decimals; a parent is the sum of its children.
2. **Base** = the sum of the leaf items' rounded points (0–100).
3. **Bonus.** Claims for the same matter count once, at the highest claim (ties: the category
   listed first in the scheme); each category counts at most its ``max``; all together count
   at most ``bonus.cap``.
4. **Deductions.** Each matter deducts its category's points (by severity where the category
   says so), the same matter once at its highest; all together at most ``deductions.cap`` if
   the scheme has one. A deduction whose ground is not final (``Deduction.pending``, e.g. a
   complaint still open to appeal) is listed as 待定 and deducts nothing (flag
   ``deductions_pending``).
5. **Score** = base + bonus − deductions, floored at 0 (flag ``floored``); **grade** from the
   scheme's bands; **rank** among the round's stations on the score, ties sharing a rank.

Every point is a line of the explanation, and the lines' points add up to the score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from scoring._numbers import dec, fmt, fmt_pct, fmt_plain, mean, round2, round_rate, total
from scoring.evaluate import PENDING_WHY
from scoring.explain import Phrase, Phrases
from scoring.results import ExplanationLine
from scoring.scheme import SEVERITY_LABELS, Criterion, GradeBand
from scoring.station_inputs import BonusClaim, Deduction, MemberScore, StationInput
from scoring.station_results import (
    STATION_TIE_RULE,
    AppliedEntry,
    ItemMethod,
    ItemScore,
    RoundResult,
    StationResult,
)
from scoring.station_scheme import METRIC_LABELS, ROLE_LABELS, ROLES, StationScheme

_E = TypeVar("_E", BonusClaim, Deduction)
_Rank = tuple[Decimal | int | str, ...]
_Values = dict[str, str | Phrase | Phrases]


def evaluate_round(stations: Sequence[StationInput], scheme: StationScheme) -> RoundResult:
    """Score every station of a round under ``scheme`` and rank them.

    Raises ``ValueError`` naming the station and member for duplicate station ids, a member's
    score on an unknown item, an item filled from data, an item their role may not score, or
    outside 0..the item's points; and for a bonus or deduction that does not fit the scheme.
    Rank: higher score first; equal (rounded) scores share a rank and the next is skipped
    (1, 2, 2, 4); results of equal rank are listed by station id. Input order never matters.
    """
    ids = [station.station_id for station in stations]
    twice = sorted({sid for sid in ids if ids.count(sid) > 1})
    if twice:
        raise ValueError(f"stations listed twice: {', '.join(twice)}")
    drafts = [_Station(station, scheme) for station in stations]
    scores = [draft.score for draft in drafts]
    same = Counter(scores)
    results = [
        draft.finish(1 + sum(1 for other in scores if other > draft.score), len(drafts), same)
        for draft in drafts
    ]
    results.sort(key=lambda r: (r.rank, r.station_id))
    return RoundResult(scheme.name, scheme.version, tuple(results), STATION_TIE_RULE)


class _Station:
    """One station's result before the round's ranks are known."""

    def __init__(self, station: StationInput, scheme: StationScheme) -> None:
        self.station = station
        self.scheme = scheme
        self.lines: list[ExplanationLine] = []
        self.flags: set[str] = set()
        self.items: list[ItemScore] = []
        for member in station.members:
            _check_member(station.station_id, member, scheme)

        self.line(
            Phrase(
                "考核方案：%(name)s（版本 %(version)s）",
                {"name": Phrase(scheme.name), "version": scheme.version},
            )
        )
        self.line(_group_phrase(station.members))
        self.base = total(self._node(top, 0) for top in scheme.items)
        self.line(Phrase("基础分 = %(base)s", {"base": fmt(self.base)}))

        self.bonuses: list[AppliedEntry] = []
        self.bonus_claimed, self.bonus_applied = self._bonus()
        self.deductions: list[AppliedEntry] = []
        self.deduction_claimed, self.deduction_applied = self._deductions()

        score = self.base + self.bonus_applied - self.deduction_applied
        if score < 0:
            self.flags.add("floored")
            self.line(Phrase("得分 %(score)s 低于 0，按 0 计", {"score": fmt(score)}), -score)
            score = Decimal(0)
        self.score = score
        self.line(Phrase("最终得分 = %(score)s", {"score": fmt(score)}))

    def line(self, phrase: Phrase, points: Decimal | None = None, depth: int = 0) -> None:
        self.lines.append(ExplanationLine.of(phrase, points, depth))

    # 1–2. Items and base -------------------------------------------------------------------

    def _node(self, node: Criterion, depth: int) -> Decimal:
        """Explain a checklist node and return its points (a leaf's line carries them)."""
        if not node.is_leaf:
            at = len(self.lines)
            at_item = len(self.items)
            points = total(self._node(child, depth + 1) for child in node.children)
            self.lines.insert(
                at,
                ExplanationLine.of(
                    Phrase(
                        "%(item)s：%(points)s/%(max)s",
                        {"item": Phrase(node.label), **_out_of(points, node)},
                    ),
                    depth=depth,
                ),
            )
            self.items.insert(
                at_item, ItemScore(node.code, node.label, node.max_points, float(points), False)
            )
            return points
        points, item, how = self._leaf(node)
        self.items.append(item)
        self.line(
            Phrase(
                "%(item)s %(points)s/%(max)s：%(how)s",
                {"item": Phrase(node.label), **_out_of(points, node), "how": how},
            ),
            points,
            depth,
        )
        return points

    def _leaf(self, node: Criterion) -> tuple[Decimal, ItemScore, Phrase]:
        fill = self.scheme.auto.get(node.code)
        if fill is not None:
            metric = Phrase(METRIC_LABELS[fill.metric])
            value = self.station.metrics.get(fill.metric)
            if value is None:
                self.flags.add(f"no_data:{node.code}")
                return (
                    Decimal(0),
                    _leaf_score(node, 0, "no_data", metric=fill.metric),
                    Phrase("自动取数：本期无%(metric)s数据，按 0 分计", {"metric": metric}),
                )
            points = round2(fill.share(value) * dec(node.max_points))
            how = Phrase(
                "自动取数：%(metric)s %(value)s（%(zero)s 得 0 分，%(full)s 得满分，其间按比例）",
                {
                    "metric": metric,
                    "value": _metric_text(fill.metric, dec(value)),
                    "zero": _metric_text(fill.metric, dec(fill.zero_at)),
                    "full": _metric_text(fill.metric, dec(fill.full_at)),
                },
            )
            item = _leaf_score(node, points, "auto", metric=fill.metric, metric_value=value)
            return points, item, how

        given = sorted(
            (dec(m.scores[node.code]) for m in self.station.members if node.code in m.scores),
            reverse=True,
        )
        if not given:
            self.flags.add(f"unscored:{node.code}")
            return Decimal(0), _leaf_score(node, 0, "unscored"), Phrase("无人评分，按 0 分计")
        shown: _Values = {
            "count": str(len(given)),
            "given": Phrases("、", tuple(Phrase(fmt_plain(g)) for g in given)),
        }
        kept = given
        dropped: tuple[Decimal, ...] = ()
        if self.scheme.trim and len(given) >= self.scheme.trim_from:
            kept, dropped = given[1:-1], (given[0], given[-1])
        points = round2(mean(kept))
        if dropped:
            how = Phrase(
                "%(count)s 位评分（%(given)s），去掉最高 %(high)s 和最低 %(low)s，平均 %(mean)s",
                {
                    **shown,
                    "high": fmt_plain(dropped[0]),
                    "low": fmt_plain(dropped[1]),
                    "mean": fmt(points),
                },
            )
        elif len(given) > 1:
            how = Phrase(
                "%(count)s 位评分（%(given)s），平均 %(mean)s", {**shown, "mean": fmt(points)}
            )
        else:
            how = Phrase("%(count)s 位评分（%(given)s）", shown)
        item = ItemScore(
            node.code,
            node.label,
            node.max_points,
            float(points),
            True,
            "members",
            given=tuple(float(g) for g in given),
            dropped=tuple(float(d) for d in dropped),
        )
        return points, item, how

    # 3. Bonus ------------------------------------------------------------------------------

    def _bonus(self) -> tuple[Decimal, Decimal]:
        """Explain the bonus claims; return (claimed after the same-matter rule, applied)."""
        scheme = self.scheme
        order = {c.code: i for i, c in enumerate(scheme.bonus_categories)}
        for claim in self.station.bonuses:
            _check_bonus(self.station.station_id, claim, scheme)
        claims = sorted(
            self.station.bonuses,
            key=lambda c: (order[c.category], -dec(c.points), c.matter, c.note),
        )
        best = _highest_per_matter(claims, lambda c: (-dec(c.points), order[c.category], c.note))
        counted_total = Decimal(0)
        for category in scheme.bonus_categories:
            in_category = [c for c in claims if c.category == category.code]
            label = Phrase(category.label)
            category_total = Decimal(0)
            for claim in in_category:
                points = round2(claim.points)
                what: _Values = {
                    "category": label,
                    "matter": claim.matter,
                    "note": _note(claim.note),
                }
                if best[claim.matter] is claim:
                    category_total += points
                    self.line(
                        Phrase(
                            "加分 +%(points)s：%(category)s · %(matter)s%(note)s",
                            {**what, "points": fmt(points)},
                        ),
                        points,
                    )
                    self.bonuses.append(_entry(claim, category.label, points, points))
                else:
                    self.flags.add("bonus_superseded")
                    kept = round2(best[claim.matter].points)
                    self.line(
                        Phrase(
                            "加分 +0.00：%(category)s · %(matter)s 申报 %(claimed)s，"
                            "同一事项已按最高 %(kept)s 计，不重复加分",
                            {**what, "claimed": fmt(points), "kept": fmt(kept)},
                        ),
                        Decimal(0),
                    )
                    self.bonuses.append(
                        _entry(claim, category.label, points, Decimal(0), superseded=True)
                    )
            cap = round2(category.max_points)
            if category_total > cap:
                self.flags.add(f"bonus_category_capped:{category.code}")
                self.line(
                    Phrase(
                        "%(category)s合计 %(total)s，超过本类上限 %(cap)s，按 %(cap)s 计",
                        {"category": label, "total": fmt(category_total), "cap": fmt(cap)},
                    ),
                    cap - category_total,
                )
            counted_total += min(category_total, cap)
        claimed = total(round2(c.points) for c in best.values())
        cap = round2(scheme.bonus_cap)
        if counted_total > cap:
            self.flags.add("bonus_capped")
            self.line(
                Phrase(
                    "加分合计 %(total)s，超过上限 %(cap)s，按 %(cap)s 计",
                    {"total": fmt(counted_total), "cap": fmt(cap)},
                ),
                cap - counted_total,
            )
        applied = min(counted_total, cap)
        if self.station.bonuses:
            self.line(Phrase("加分计 %(applied)s", {"applied": fmt(applied)}))
        return claimed, applied

    # 4. Deductions -------------------------------------------------------------------------

    def _deductions(self) -> tuple[Decimal, Decimal]:
        """Explain the deductions; return (deducted after the same-matter rule, applied)."""
        scheme = self.scheme
        order = {c.code: i for i, c in enumerate(scheme.deduction_categories)}
        worth: dict[int, Decimal] = {}
        for deduction in self.station.deductions:
            worth[id(deduction)] = _check_deduction(self.station.station_id, deduction, scheme)
        entries = sorted(
            (d for d in self.station.deductions if d.pending is None),
            key=lambda d: (order[d.category], -worth[id(d)], d.matter, d.ref or "", d.note),
        )
        best = _highest_per_matter(
            entries, lambda d: (-worth[id(d)], order[d.category], d.ref or "", d.note)
        )
        deducted = Decimal(0)
        for entry in entries:
            category = scheme.deduction_category(entry.category)
            points = worth[id(entry)]
            what = _deduction_values(entry, scheme)
            if best[entry.matter] is entry:
                deducted += points
                self.line(
                    Phrase(
                        "扣分 −%(points)s：%(category)s%(severity)s · %(matter)s%(ref)s%(note)s",
                        {**what, "points": fmt(points)},
                    ),
                    -points,
                )
                counted = points
            else:
                self.flags.add("deduction_superseded")
                self.line(
                    Phrase(
                        "扣分 −0.00：%(category)s%(severity)s · %(matter)s%(ref)s 应扣 "
                        "%(claimed)s，同一事项已按最高 %(kept)s 扣，不重复扣分",
                        {
                            **what,
                            "claimed": fmt(points),
                            "kept": fmt(worth[id(best[entry.matter])]),
                        },
                    ),
                    Decimal(0),
                )
                counted = Decimal(0)
            self.deductions.append(
                AppliedEntry(
                    entry.category,
                    category.label,
                    entry.matter,
                    float(points),
                    float(counted),
                    entry.note,
                    superseded=best[entry.matter] is not entry,
                    severity=entry.severity,
                    ref=entry.ref,
                )
            )
        self._pending_deductions()
        applied = deducted
        if scheme.deduction_cap is not None and deducted > round2(scheme.deduction_cap):
            cap = round2(scheme.deduction_cap)
            self.flags.add("deductions_capped")
            self.line(
                Phrase(
                    "扣分合计 %(total)s，超过上限 %(cap)s，按 %(cap)s 计",
                    {"total": fmt(deducted), "cap": fmt(cap)},
                ),
                deducted - cap,
            )
            applied = cap
        if self.station.deductions:
            self.line(Phrase("扣分计 %(applied)s", {"applied": fmt(applied)}))
        return deducted, applied

    def _pending_deductions(self) -> None:
        """Explain the deductions whose ground is not final: 待定, no points."""
        pending = [d for d in self.station.deductions if d.pending is not None]
        order = {c.code: i for i, c in enumerate(self.scheme.deduction_categories)}
        for entry in sorted(pending, key=lambda d: (order[d.category], d.matter, d.ref or "")):
            assert entry.pending is not None  # noqa: S101 - filtered above
            self.flags.add("deductions_pending")
            self.line(
                Phrase(
                    "待定：%(category)s%(severity)s · %(matter)s%(ref)s，%(why)s，暂不扣分",
                    {
                        **_deduction_values(entry, self.scheme),
                        "why": PENDING_WHY[entry.pending],
                    },
                )
            )

    # 5. Grade and rank ---------------------------------------------------------------------

    def finish(self, rank: int, count: int, same: Counter[Decimal]) -> StationResult:
        band = self.scheme.grade_for(float(self.score))
        lines = list(self.lines)
        lines.append(
            ExplanationLine.of(
                Phrase(
                    "等级：%(grade)s（%(why)s）",
                    {
                        "grade": Phrase(band.label),
                        "why": _band_range(self.scheme, band, self.score),
                    },
                )
            )
        )
        place = {"rank": str(rank), "count": str(count)}
        tied = same[self.score] - 1
        if tied:
            ranked = Phrase(
                "排名：第 %(rank)s 名（共 %(count)s 个服务站），"
                "与另外 %(tied)s 个服务站同分，名次并列",
                {**place, "tied": str(tied)},
            )
        else:
            ranked = Phrase("排名：第 %(rank)s 名（共 %(count)s 个服务站）", place)
        lines.append(ExplanationLine.of(ranked))
        return StationResult(
            station_id=self.station.station_id,
            name=self.station.name,
            score=float(self.score),
            base=float(self.base),
            bonus_claimed=float(self.bonus_claimed),
            bonus_applied=float(self.bonus_applied),
            deduction_claimed=float(self.deduction_claimed),
            deduction_applied=float(self.deduction_applied),
            grade=band.label,
            grade_code=band.code,
            rank=rank,
            items=tuple(self.items),
            bonuses=tuple(self.bonuses),
            deductions=tuple(self.deductions),
            flags=tuple(sorted(self.flags)),
            explanation=tuple(lines),
        )


def _check_member(station_id: str, member: MemberScore, scheme: StationScheme) -> None:
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    who = f"{station_id}: member {member.member_id} ({member.role})"
    for code in sorted(member.scores):
        points = member.scores[code]
        if code not in leaves:
            raise ValueError(f"{who}: unknown item {code!r}")
        if code in scheme.auto:
            raise ValueError(f"{who}: {code} is filled from data, not scored by members")
        allowed = scheme.roles.get(code)
        if allowed is not None and member.role not in allowed:
            raise ValueError(f"{who}: {code} may be scored only by {', '.join(allowed)}")
        most = leaves[code].max_points
        if not 0 <= points <= most:
            raise ValueError(f"{who}: {code} must be between 0 and {most:g}, got {points:g}")


def _check_bonus(station_id: str, claim: BonusClaim, scheme: StationScheme) -> None:
    try:
        category = scheme.bonus_category(claim.category)
    except KeyError:
        raise ValueError(
            f"{station_id}: bonus {claim.matter}: unknown category {claim.category!r}"
        ) from None
    if not category.min_points <= claim.points <= category.max_points:
        raise ValueError(
            f"{station_id}: bonus {claim.matter}: {category.code} gives "
            f"{category.min_points:g} to {category.max_points:g} points, got {claim.points:g}"
        )


def _check_deduction(station_id: str, deduction: Deduction, scheme: StationScheme) -> Decimal:
    """Return the points the deduction is worth, or raise ``ValueError`` if it does not fit."""
    who = f"{station_id}: deduction {deduction.matter}"
    try:
        category = scheme.deduction_category(deduction.category)
    except KeyError:
        raise ValueError(f"{who}: unknown category {deduction.category!r}") from None
    if category.needs_severity:
        if deduction.severity is None:
            raise ValueError(f"{who}: {category.code} deducts by severity; name it")
        if deduction.severity not in category.by_severity:
            raise ValueError(f"{who}: {category.code} has no severity {deduction.severity!r}")
    elif deduction.severity is not None:
        raise ValueError(f"{who}: {category.code} deducts a flat amount, without a severity")
    return round2(category.points_for(deduction.severity))


def _deduction_values(entry: Deduction, scheme: StationScheme) -> _Values:
    """Return what a deduction's line names: category, severity, matter, ref and note.

    The ref is left out where it is the matter itself (a complaint's ``#id``).
    """
    severity: str | Phrase = ""
    if entry.severity is not None:
        severity = Phrase("（%(s)s）", {"s": Phrase(SEVERITY_LABELS[entry.severity])})
    ref: str | Phrase = ""
    if entry.ref and entry.ref != entry.matter:
        ref = Phrase("，编号 %(ref)s", {"ref": entry.ref})
    return {
        "category": Phrase(scheme.deduction_category(entry.category).label),
        "severity": severity,
        "matter": entry.matter,
        "ref": ref,
        "note": _note(entry.note),
    }


def _highest_per_matter(entries: list[_E], rank: Callable[[_E], _Rank]) -> dict[str, _E]:
    """Return, per matter, the entry that counts: the first of its entries by ``rank``."""
    best: dict[str, _E] = {}
    for entry in entries:
        held = best.get(entry.matter)
        if held is None or rank(entry) < rank(held):
            best[entry.matter] = entry
    return best


def _group_phrase(members: Sequence[MemberScore]) -> Phrase:
    if not members:
        return Phrase("评分成员：无")
    counts: Counter[str] = Counter(member.role for member in members)
    parts = tuple(
        Phrase(
            "%(role)s %(count)s", {"role": Phrase(ROLE_LABELS[role]), "count": str(counts[role])}
        )
        for role in ROLES
        if counts[role]
    )
    return Phrase(
        "评分成员 %(count)s 位：%(roles)s",
        {"count": str(len(members)), "roles": Phrases("、", parts)},
    )


def _leaf_score(
    node: Criterion,
    points: Decimal | int,
    method: ItemMethod,
    *,
    metric: str | None = None,
    metric_value: float | None = None,
) -> ItemScore:
    return ItemScore(
        node.code,
        node.label,
        node.max_points,
        float(points),
        True,
        method,
        metric=metric,
        metric_value=metric_value,
    )


def _out_of(points: Decimal, node: Criterion) -> _Values:
    return {"points": fmt(points), "max": fmt_plain(dec(node.max_points))}


def _metric_text(metric: str, value: Decimal) -> str:
    if metric == "complaints_on_time_share":
        return fmt_pct(round_rate(value))
    if metric == "rating_volume":
        return fmt_plain(value)
    return fmt(value)


def _note(note: str) -> str | Phrase:
    return Phrase("（%(note)s）", {"note": note}) if note.strip() else ""


def _entry(
    claim: BonusClaim, label: str, claimed: Decimal, points: Decimal, *, superseded: bool = False
) -> AppliedEntry:
    return AppliedEntry(
        claim.category,
        label,
        claim.matter,
        float(claimed),
        float(points),
        claim.note,
        superseded=superseded,
    )


def _band_range(scheme: StationScheme, band: GradeBand, score: Decimal) -> str:
    position = scheme.grades.index(band)
    low = fmt_plain(dec(band.min_score))
    shown = fmt(score)
    if position == 0:
        return f"{shown} ≥ {low}"
    high = fmt_plain(dec(scheme.grades[position - 1].min_score))
    if position == len(scheme.grades) - 1:
        return f"{shown} < {high}"
    return f"{low} ≤ {shown} < {high}"


__all__ = ["evaluate_round"]

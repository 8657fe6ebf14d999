"""A period's evaluation (考核): combine the sources, adjust, clip, grade and rank.

For each staff member:

1. **Sources**, each a value on 0–100, rounded half up to two decimals:
   自评 (self) and 负责人评价 (supervisor) are the mean of the assessments' totals; 同事互评 (peer)
   is the mean after dropping the one highest and one lowest total when there are at least
   ``peers.min_count`` peers (and ``peers.trim`` is on); 居民满意度 (residents) is the smoothed
   satisfaction index. A source is **missing** when nobody assessed that way, or, for residents,
   when there are fewer than ``satisfaction.min_ratings`` ratings (flags ``missing:<source>``
   and ``insufficient_ratings``; the index is still reported).
2. **Base score** = Σ value × weight ÷ (sum of the weights of the present sources), i.e. the
   weights of missing sources are shared out in proportion. Each contribution is rounded half up
   to two decimals and the base is the exact sum of the rounded contributions, so the
   explanation adds up to the cent.
3. **Adjustments**: bonuses are summed and the sum is capped at ``adjustments.bonus_cap``; each
   verified complaint deducts its severity's points; manual deductions deduct their points.
4. **Clipping**: score = clip(base + capped bonus − deductions, ``score.min``, ``score.max``)
   (default [0, 110]: the base is at most 100 and the full bonus is never lost).
5. **Grade**: the first band whose minimum the score reaches. Veto (if on): a verified
   complaint of a veto severity gives the lowest band (flag ``veto``). Quota (if on): see
   :func:`evaluate_period`.
6. **Rank**: see :func:`evaluate_period`.

A staff member with no present source at all, or fewer than the scheme's
``gates.min_sources``, has no score, grade or rank (flag ``unscored``; with some sources but
too few also ``too_few_sources``: 未评定). A verified complaint whose verdict may still change
on appeal (``ComplaintFinding.pending``) is listed as 待定 and deducts nothing, vetoes nothing
and does not count in the rank (flag ``complaints_pending``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from scoring._numbers import dec, fmt, fmt_pct, fmt_plain, mean, round2, total
from scoring.explain import Phrase, Phrases
from scoring.inputs import Adjustment, AdjustmentKind, Assessment, ComplaintFinding, StaffInput
from scoring.results import (
    TIE_RULE,
    AppliedAdjustment,
    CriterionScore,
    ExplanationLine,
    PeriodResult,
    SourceScore,
    StaffResult,
)
from scoring.satisfaction import SatisfactionIndex, hall_mean, satisfaction_index
from scoring.scheme import (
    SEVERITIES,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    SOURCES,
    Composition,
    Criterion,
    GradeBand,
    Scheme,
)


def evaluate_period(
    staff: Sequence[StaffInput],
    scheme: Scheme,
    hall_mean: float | None = None,
    composition: Composition | None = None,
) -> PeriodResult:
    """Evaluate every staff member of a period under ``scheme``.

    ``hall_mean`` (0–100, rounded half up to two decimals before use) is what satisfaction
    indexes are smoothed toward; ``None`` means the mean over all ``staff`` ratings. Raises
    ``ValueError`` for duplicate staff ids or an assessment that does not fit the rubric.

    **Composition** (a year built from its quarters, ``scheme.compositions``): the base score
    is the mean of the person's scored ``parts`` × ``parts_weight`` plus the period's own
    assessment (its ``own_sources`` only) × ``own_weight``, the weights shared out when one of
    the two is missing; then the period's adjustments and complaints apply once as usual. With
    no scored part the own assessment must pass the ``gates.min_sources`` gate alone.

    **Rank** (tie rule): higher score (the rounded score that is shown) first; on equal score,
    higher smoothed satisfaction index; then higher supervisor value (missing counts lowest);
    then fewer verified complaints; then more ratings. Staff equal on all of these share a
    rank and the next rank is skipped (1, 2, 2, 4). Names and ids never decide a rank, so a
    result never depends on how anyone is named; the order of input lists does not matter.

    **Quota** (if on): seats = max(``minimum``, floor(``share`` × ranked staff)), at most the
    number ranked. Candidates are those whose score reaches the top band and who are not
    vetoed; they are ranked among themselves by the same tie rule, and a candidate keeps the
    top grade if that rank is within the seats, otherwise gets the next band (flag
    ``quota_demoted``). So the tie rule decides where the quota cuts; candidates tied on every
    measure share a rank and either all keep the grade or all lose it — together they may
    exceed the quota, rather than a name deciding between them.
    """
    ids = [person.staff_id for person in staff]
    duplicates = sorted({sid for sid in ids if ids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"staff listed twice: {', '.join(duplicates)}")
    mean_points = float(round2(hall_mean)) if hall_mean is not None else _hall_mean(staff, scheme)
    drafts = [_draft(person, scheme, mean_points, composition) for person in staff]

    scored = [d for d in drafts if d.score is not None]
    ranks = _competition_ranks([d.rank_key for d in scored])
    ranked_count = len(scored)

    seats: int | None = None
    top = scheme.grades[0]
    if scheme.quota is not None:
        seats = scheme.quota.seats(ranked_count)
        candidates = [d for d in scored if d.band == top and d.veto_note is None]
        for draft, place in zip(
            candidates, _competition_ranks([d.rank_key for d in candidates]), strict=True
        ):
            if place > seats:
                draft.quota_note = Phrase(
                    "得分达到%(top)s（≥ %(min)s），但在 %(count)s 名%(top)s候选中排第 %(place)s，"
                    "超出%(top)s名额 %(seats)s 名，评为%(grade)s",
                    {
                        "top": Phrase(top.label),
                        "min": fmt_plain(dec(top.min_score)),
                        "count": str(len(candidates)),
                        "place": str(place),
                        "seats": str(seats),
                        "grade": Phrase(scheme.grades[1].label),
                    },
                )

    tied_scores = Counter(d.score for d in scored)
    rank_of = {d.person.staff_id: r for d, r in zip(scored, ranks, strict=True)}
    results: list[StaffResult] = []
    for draft in drafts:
        sid = draft.person.staff_id
        same_score = tied_scores[draft.score] - 1 if draft.score is not None else 0
        results.append(draft.finish(scheme, rank_of.get(sid), ranked_count, same_score))

    results.sort(key=lambda r: (r.rank is None, r.rank if r.rank is not None else 0, r.staff_id))
    return PeriodResult(
        scheme_name=scheme.name,
        scheme_version=scheme.version,
        hall_mean=mean_points,
        ranked_count=ranked_count,
        quota_seats=seats,
        results=tuple(results),
    )


def _hall_mean(staff: Sequence[StaffInput], scheme: Scheme) -> float:
    return hall_mean((person.ratings for person in staff), scheme)


def _competition_ranks(keys: Sequence[tuple[Decimal, ...]]) -> list[int]:
    """Rank keys, higher first; equal keys share the rank of the first of them (1, 2, 2, 4)."""
    return [1 + sum(1 for other in keys if other > key) for key in keys]


class _Draft:
    """A staff member's result before ranks and the quota are known."""

    def __init__(self, person: StaffInput) -> None:
        self.person = person
        self.lines: list[ExplanationLine] = []
        self.flags: set[str] = set()
        self.sources: list[SourceScore] = []
        self.adjustments: list[AppliedAdjustment] = []
        self.satisfaction: SatisfactionIndex
        self.base: Decimal | None = None
        self.score: float | None = None
        self.band: GradeBand | None = None
        self.veto_note: Phrase | None = None  # set: a verified complaint vetoes the grade
        self.quota_note: Phrase | None = None  # set: the 优秀 quota demotes the grade
        self.bonus_total = Decimal(0)
        self.bonus_applied = Decimal(0)
        self.deduction_total = Decimal(0)
        self.parts_value: Decimal | None = None
        self.rank_key: tuple[Decimal, ...] = ()

    def line(self, phrase: Phrase, points: Decimal | None = None, depth: int = 0) -> None:
        self.lines.append(ExplanationLine.of(phrase, points, depth))

    def finish(
        self,
        scheme: Scheme,
        rank: int | None,
        ranked_count: int,
        same_score: int,
    ) -> StaffResult:
        band = self.band
        lines = list(self.lines)
        flags = set(self.flags)
        if band is not None and self.score is not None:
            why: str | Phrase
            if self.veto_note is not None:
                band = scheme.grades[-1]
                flags.add("veto")
                why = self.veto_note
            elif self.quota_note is not None:
                band = scheme.grades[1]
                flags.add("quota_demoted")
                why = self.quota_note
            else:
                why = _band_range(scheme, band, self.score)
            grade = Phrase("等级：%(grade)s（%(why)s）", {"grade": Phrase(band.label), "why": why})
            lines.append(ExplanationLine.of(grade))
        if rank is not None:
            place = {"rank": str(rank), "count": str(ranked_count)}
            if same_score > 0:
                ranked = Phrase(
                    "排名：第 %(rank)s 名（共 %(count)s 人参与排名）；"
                    "与另外 %(same)s 人同分，%(rule)s",
                    {**place, "same": str(same_score), "rule": Phrase(TIE_RULE)},
                )
            else:
                ranked = Phrase("排名：第 %(rank)s 名（共 %(count)s 人参与排名）", place)
            lines.append(ExplanationLine.of(ranked))
        return StaffResult(
            staff_id=self.person.staff_id,
            score=self.score,
            base_score=None if self.base is None else float(self.base),
            grade=None if band is None else band.label,
            grade_code=None if band is None else band.code,
            rank=rank,
            sources=tuple(self.sources),
            satisfaction=self.satisfaction,
            adjustments=tuple(self.adjustments),
            bonus_total=float(self.bonus_total),
            bonus_applied=float(self.bonus_applied),
            deduction_total=float(self.deduction_total),
            flags=tuple(sorted(flags)),
            explanation=tuple(lines),
            scheme_version=scheme.version,
            parts=tuple(sorted(self.person.parts, key=lambda part: part.period)),
            parts_value=None if self.parts_value is None else float(self.parts_value),
        )


def _draft(
    person: StaffInput, scheme: Scheme, mean_points: float, composition: Composition | None
) -> _Draft:
    for assessment in person.assessments:
        assessment.check(scheme)
    draft = _Draft(person)
    draft.satisfaction = satisfaction_index(person.ratings, mean_points, scheme)
    draft.line(
        Phrase(
            "考核方案：%(name)s（版本 %(version)s）",
            {"name": Phrase(scheme.name), "version": scheme.version},
        )
    )

    values: dict[str, Decimal | None] = {}
    details: dict[str, list[Phrase]] = {}
    extras: dict[str, tuple[int, tuple[CriterionScore, ...], tuple[float, ...], str | None]] = {}
    for code in SOURCES:
        if code == "residents":
            value, count, notes, reason = _residents(draft, scheme)
            values[code], details[code] = value, notes
            extras[code] = (count, (), (), reason)
        else:
            chosen = [a for a in person.assessments if a.kind == code]
            value, used, dropped, notes = _assessments(code, chosen, scheme)
            if dropped:
                draft.flags.add("peers_trimmed")
            criteria = _criteria_averages(used, scheme) if used else ()
            values[code], details[code] = value, notes
            extras[code] = (len(used), criteria, dropped, None if used else "no_assessments")

    counted = SOURCES if composition is None else composition.own_sources
    present_sum = total(dec(scheme.weights[c]) for c in counted if values[c] is not None)
    renormalised = present_sum != 1
    contributions: list[Decimal] = []
    own_start = len(draft.lines)
    for code in SOURCES:
        label = SOURCE_LABELS[code]
        weight = dec(scheme.weights[code])
        value = values[code]
        count, criteria, dropped, reason = extras[code]
        if code not in counted:
            assert composition is not None  # noqa: S101 - every source counts alone
            draft.line(
                Phrase(
                    "%(source)s：已计入%(parts)s的结果，本期不另计",
                    {"source": Phrase(label), "parts": _PARTS_LABELS[composition.parts]},
                )
            )
            effective = contribution = Decimal(0)
            value, reason = None, "in_parts"
        elif value is None or present_sum == 0:
            draft.flags.add(f"missing:{code}")
            missing = {"source": Phrase(label), "why": _missing_text(code, count, scheme)}
            if present_sum:
                draft.line(
                    Phrase(
                        "%(source)s：缺失（%(why)s），权重 %(weight)s 按比例分给其余来源",
                        {**missing, "weight": fmt_pct(weight)},
                    )
                )
            else:
                draft.line(Phrase("%(source)s：缺失（%(why)s）", missing))
            effective = Decimal(0)
            contribution = Decimal(0)
        else:
            effective = weight / present_sum
            contribution = round2(value * weight / present_sum)
            contributions.append(contribution)
            share = (
                f"{fmt_pct(weight)} ÷ {fmt_pct(present_sum)}" if renormalised else fmt_pct(weight)
            )
            draft.line(
                Phrase(
                    "%(source)s %(value)s × %(share)s = %(contribution)s",
                    {
                        "source": Phrase(label),
                        "value": fmt(value),
                        "share": share,
                        "contribution": fmt(contribution),
                    },
                ),
                contribution,
            )
        for note in details[code]:
            draft.line(note, depth=1)
        draft.sources.append(
            SourceScore(
                code=code,
                label=label,
                present=value is not None and present_sum > 0,
                nominal_weight=scheme.weights[code],
                effective_weight=float(effective),
                value=None if value is None else float(value),
                contribution=float(contribution),
                count=count,
                criteria=criteria,
                dropped=dropped,
                missing_reason=reason if value is None else None,
            )
        )

    present = sum(1 for code in counted if values[code] is not None)
    if composition is not None:
        own_lines = draft.lines[own_start:]
        del draft.lines[own_start:]
        own = total(contributions) if present_sum else None
        base = _compose(draft, scheme, composition, own_lines, own, present)
        if base is not None:
            draft.base = base
            draft.line(Phrase("基础分 = %(base)s", {"base": fmt(base)}))
    else:
        base = _own_base(draft, scheme, contributions, present_sum, present)
    if base is None:
        return draft
    return _finish_draft(draft, scheme, base, values)


def _own_base(
    draft: _Draft,
    scheme: Scheme,
    contributions: list[Decimal],
    present_sum: Decimal,
    present: int,
) -> Decimal | None:
    """Return the base score from the sources, or None (and why) when the gates refuse one."""
    if present_sum == 0:
        draft.flags.add("unscored")
        draft.line(Phrase("没有可计分的来源，本期不计分、不评等级、不排名"))
        return None
    if present < scheme.min_sources:
        draft.flags.update(("unscored", "too_few_sources"))
        draft.line(
            Phrase(
                "未评定：本期只有 %(count)s 项评价来源，方案要求至少 %(min)s 项，"
                "不计分、不评等级、不排名",
                {"count": str(present), "min": str(scheme.min_sources)},
            )
        )
        return None

    base = total(contributions)
    draft.base = base
    if present_sum != 1:
        draft.line(
            Phrase(
                "基础分 = %(base)s（在场来源权重合计 %(sum)s，按比例放大）",
                {"base": fmt(base), "sum": fmt_pct(present_sum)},
            )
        )
    else:
        draft.line(Phrase("基础分 = %(base)s", {"base": fmt(base)}))
    return base


def _finish_draft(
    draft: _Draft, scheme: Scheme, base: Decimal, values: dict[str, Decimal | None]
) -> _Draft:
    """Adjust, clip and grade a base score; note a veto; set the rank key."""
    person = draft.person
    score = base + _adjust(draft, scheme)
    low, high = round2(scheme.score_min), round2(scheme.score_max)
    if score < low or score > high:
        clipped = min(max(score, low), high)
        bounds = {"score": fmt(score), "bound": fmt(clipped)}
        if score < low:
            clip = Phrase("得分 %(score)s 超出下限 %(bound)s，按 %(bound)s 计", bounds)
        else:
            clip = Phrase("得分 %(score)s 超出上限 %(bound)s，按 %(bound)s 计", bounds)
        draft.flags.add("clipped")
        draft.line(clip, clipped - score)
        score = clipped
    draft.line(Phrase("最终得分 = %(score)s", {"score": fmt(score)}))
    draft.score = float(score)
    draft.band = scheme.grade_for(draft.score)

    if scheme.veto is not None:
        hits = sorted(
            (c for c in _deducting(person) if c.severity in scheme.veto.severities),
            key=_complaint_order,
        )
        if hits:
            findings = tuple(
                Phrase(
                    "投诉 %(id)s 经核实为%(severity)s",
                    {"id": c.complaint_id, "severity": Phrase(SEVERITY_LABELS[c.severity])},
                )
                for c in hits
            )
            draft.veto_note = Phrase(
                "一票否决：%(findings)s", {"findings": Phrases("、", findings)}
            )

    supervisor = values["supervisor"]
    draft.rank_key = (
        score,
        dec(draft.satisfaction.smoothed),
        supervisor if supervisor is not None else Decimal(-1),
        Decimal(-len(_deducting(person))),
        Decimal(person.ratings.total),
    )
    return draft


_PARTS_LABELS = {"quarters": Phrase("各季度"), "months": Phrase("各月")}
_OWN_LABELS = {"year": Phrase("年度评价"), "quarter": Phrase("季度评价")}
_PART_STATES = {True: Phrase("已定稿"), False: Phrase("未定稿")}
_PARTS_LINE = Phrase("%(parts)s基础分平均 %(value)s × %(share)s = %(contribution)s").template
_OWN_LINE = Phrase("%(own)s %(value)s × %(share)s = %(contribution)s").template


def _compose(
    draft: _Draft,
    scheme: Scheme,
    composition: Composition,
    own_lines: list[ExplanationLine],
    own: Decimal | None,
    own_present: int,
) -> Decimal | None:
    """Return the base built from the parts and the period's own assessment, explained.

    ``own`` is the own assessment's base (its sources' contributions), ``None`` when none of
    its sources is present; ``own_lines`` explain it and are shown under it, as detail.
    Returns ``None`` (and says why) when there is nothing to score.
    """
    parts_label = _PARTS_LABELS[composition.parts]
    own_label = _OWN_LABELS[composition.period_kind]
    parts_weight, own_weight = dec(composition.parts_weight), dec(composition.own_weight)
    if own_weight == 0:
        own, own_lines = None, []
    details = [_own_detail(line) for line in own_lines]
    parts = sorted(draft.person.parts, key=lambda part: part.period)
    scored = [dec(part.base) for part in parts if part.base is not None]
    value = round2(mean(scored)) if scored else None
    draft.parts_value = value
    draft.line(
        Phrase(
            "本期由%(parts)s结果（权重 %(pw)s）与%(own)s（权重 %(ow)s）构成，"
            "加分、扣分与投诉按全期计一次",
            {
                "parts": parts_label,
                "pw": fmt_pct(parts_weight),
                "own": own_label,
                "ow": fmt_pct(own_weight),
            },
        )
    )
    part_lines = [
        ExplanationLine.of(
            Phrase(
                "%(period)s 基础分 %(base)s（%(state)s）",
                {
                    "period": part.period,
                    "base": fmt(dec(part.base)),
                    "state": _PART_STATES[part.finalised],
                },
            ),
            depth=1,
        )
        if part.base is not None
        else ExplanationLine.of(
            Phrase("%(period)s 未评定，不计入平均", {"period": part.period}), depth=1
        )
        for part in parts
    ]
    if value is None and (own is None or own_present < scheme.min_sources):
        draft.flags.add("unscored")
        if own is None:
            draft.line(
                Phrase(
                    "%(parts)s都没有结果，也没有%(own)s，本期不计分、不评等级、不排名",
                    {"parts": parts_label, "own": own_label},
                )
            )
        else:
            draft.flags.add("too_few_sources")
            draft.line(
                Phrase(
                    "未评定：%(parts)s都没有结果，%(own)s只有 %(count)s 项评价来源，"
                    "方案要求至少 %(min)s 项，不计分、不评等级、不排名",
                    {
                        "parts": parts_label,
                        "own": own_label,
                        "count": str(own_present),
                        "min": str(scheme.min_sources),
                    },
                )
            )
        draft.lines += part_lines + details
        return None

    present_weight = (parts_weight if value is not None else Decimal(0)) + (
        own_weight if own is not None else Decimal(0)
    )

    def weighted(
        template: str, values: dict[str, str | Phrase], value: Decimal, weight: Decimal
    ) -> Decimal:
        """Add the line "<part> value × share = contribution" and return the contribution."""
        share = fmt_pct(weight)
        if present_weight != 1:
            share = f"{share} ÷ {fmt_pct(present_weight)}"
        contribution = round2(value * weight / present_weight)
        shown = {**values, "value": fmt(value), "share": share, "contribution": fmt(contribution)}
        draft.line(Phrase(template, shown), contribution)
        return contribution

    base = Decimal(0)
    if value is not None:
        base += weighted(_PARTS_LINE, {"parts": parts_label}, value, parts_weight)
    else:
        draft.line(
            Phrase(
                "%(parts)s：没有已评定的结果，权重 %(weight)s 分给%(own)s",
                {"parts": parts_label, "weight": fmt_pct(parts_weight), "own": own_label},
            )
        )
    draft.lines += part_lines
    if own is not None:
        base += weighted(_OWN_LINE, {"own": own_label}, own, own_weight)
    elif own_weight > 0:
        draft.line(
            Phrase(
                "%(own)s：缺失（本期无此项评价），权重 %(weight)s 分给%(parts)s",
                {"own": own_label, "weight": fmt_pct(own_weight), "parts": parts_label},
            )
        )
    draft.lines += details
    return base


def _own_detail(line: ExplanationLine) -> ExplanationLine:
    """Return a line of the own assessment as a detail under it, adding nothing itself."""
    return ExplanationLine(line.text, None, line.depth + 1, line.phrase)


def _residents(
    draft: _Draft, scheme: Scheme
) -> tuple[Decimal | None, int, list[Phrase], str | None]:
    index = draft.satisfaction
    n = index.count
    notes: list[Phrase] = []
    if n:
        assert index.good_rate is not None and index.bad_rate is not None  # noqa: S101
        notes.append(
            Phrase(
                "居民评价 %(count)s 条，原始均分 %(raw)s，好评率 %(good)s，差评率 %(bad)s",
                {
                    "count": str(n),
                    "raw": fmt(dec(index.raw_mean or 0.0)),
                    "good": fmt_pct(dec(index.good_rate)),
                    "bad": fmt_pct(dec(index.bad_rate)),
                },
            )
        )
    else:
        notes.append(Phrase("本期没有居民评价"))
    points = draft.person.ratings.points(scheme)
    notes.append(
        Phrase(
            "平滑：(%(prior)s × 大厅均分 %(hall_mean)s + 评价总分 %(points)s)"
            " ÷ (%(prior)s + %(count)s) = %(smoothed)s",
            {
                "prior": fmt_plain(dec(scheme.prior_weight)),
                "hall_mean": fmt(dec(index.hall_mean)),
                "points": fmt_plain(points),
                "count": str(n),
                "smoothed": fmt(dec(index.smoothed)),
            },
        )
    )
    if n < scheme.min_ratings:
        draft.flags.add("insufficient_ratings")
        return None, n, notes, "insufficient_ratings"
    return dec(index.smoothed), n, notes, None


def _assessments(
    code: str, chosen: list[Assessment], scheme: Scheme
) -> tuple[Decimal | None, list[Assessment], tuple[float, ...], list[Phrase]]:
    if not chosen:
        return None, [], (), []
    label = SOURCE_LABELS[code]
    leaves = scheme.leaves
    # Sort by total, then by the points in rubric order: which of two equal totals is dropped
    # is then decided by the points themselves, never by who gave them or the input order.
    ordered = sorted(
        chosen,
        key=lambda a: (_total(a), tuple(dec(a.scores[leaf.code]) for leaf in leaves)),
    )
    dropped: tuple[float, ...] = ()
    n = len(ordered)
    if code == "peer" and scheme.peer_trim and n >= scheme.peer_trim_min_count:
        low_total, high_total = _total(ordered[0]), _total(ordered[-1])
        dropped = (float(round2(low_total)), float(round2(high_total)))
        ordered = ordered[1:-1]
        count_note = Phrase(
            "%(source)s %(count)s 份，去掉最高 %(high)s、最低 %(low)s 后 %(kept)s 份取平均",
            {
                "source": Phrase(label),
                "count": str(n),
                "high": fmt(high_total),
                "low": fmt(low_total),
                "kept": str(len(ordered)),
            },
        )
    elif code == "peer" and scheme.peer_trim:
        count_note = Phrase(
            "%(source)s %(count)s 份（不足 %(min)s 份，不去掉最高最低），取平均",
            {"source": Phrase(label), "count": str(n), "min": str(scheme.peer_trim_min_count)},
        )
    else:
        counted: dict[str, str | Phrase] = {"source": Phrase(label), "count": str(n)}
        if n > 1:
            count_note = Phrase("%(source)s %(count)s 份，取平均", counted)
        else:
            count_note = Phrase("%(source)s %(count)s 份", counted)
    value = round2(mean(_total(a) for a in ordered))
    notes = [count_note]
    for top in scheme.rubric:
        parts = tuple(
            _points_of(leaf, mean(dec(a.scores[leaf.code]) for a in ordered))
            for leaf in top.leaves()
        )
        top_points = _points_of(top, mean(_node_total(a, top) for a in ordered))
        notes.append(
            Phrase(
                "%(criterion)s：%(parts)s", {"criterion": top_points, "parts": Phrases("，", parts)}
            )
        )
    return value, ordered, dropped, notes


def _points_of(node: Criterion, average: Decimal) -> Phrase:
    """Return "服务态度 8.50/10": a criterion's average points out of its maximum."""
    return Phrase(
        "%(criterion)s %(average)s/%(max)s",
        {
            "criterion": Phrase(node.label),
            "average": fmt(average),
            "max": fmt_plain(dec(node.max_points)),
        },
    )


def _total(assessment: Assessment) -> Decimal:
    return total(dec(points) for points in assessment.scores.values())


def _node_total(assessment: Assessment, node: Criterion) -> Decimal:
    return total(dec(assessment.scores[leaf.code]) for leaf in node.leaves())


def _criteria_averages(used: list[Assessment], scheme: Scheme) -> tuple[CriterionScore, ...]:
    out: list[CriterionScore] = []

    def walk(node: Criterion) -> None:
        average = round2(mean(_node_total(a, node) for a in used))
        out.append(
            CriterionScore(node.code, node.label, node.max_points, float(average), node.is_leaf)
        )
        for child in node.children:
            walk(child)

    for top in scheme.rubric:
        walk(top)
    return tuple(out)


def _missing_text(code: str, count: int, scheme: Scheme) -> Phrase:
    if code == "residents":
        return Phrase(
            "居民评价 %(count)s 条，少于 %(min)s 条，评价数不足",
            {"count": str(count), "min": str(scheme.min_ratings)},
        )
    return Phrase("本期无此项评价")


# Templates kept as Phrases so that the catalog extraction (-k Phrase) finds them.
_FINDING = Phrase("投诉 %(id)s 经核实（%(severity)s）").template
_DEDUCTED = Phrase("扣分 −%(points)s：%(reason)s").template


def _complaint_costs(scheme: Scheme) -> dict[str, tuple[Decimal, str, Phrase]]:
    """Return each severity's deduction, as points, as shown, and its label's phrase."""
    costs = {}
    for severity in SEVERITIES:
        points = round2(scheme.complaint_deductions[severity])
        costs[severity] = (points, fmt(points), Phrase(SEVERITY_LABELS[severity]))
    return costs


#: Why a verified complaint (or what a station's deduction rests on) is 待定, in words.
PENDING_WHY = {
    "appeal": Phrase("申诉待复核"),
    "appeal_window": Phrase("仍在申诉期内"),
}


def _deducting(person: StaffInput) -> list[ComplaintFinding]:
    """Return the person's complaints whose verdict stands (not 待定)."""
    return [c for c in person.complaints if c.pending is None]


def _complaint_order(complaint: ComplaintFinding) -> tuple[int, str]:
    return (-SEVERITIES.index(complaint.severity), complaint.complaint_id)


def _adjust(draft: _Draft, scheme: Scheme) -> Decimal:
    """Apply bonuses (capped), complaint deductions and manual deductions; return the net."""
    person = draft.person

    # Largest first, then by text: the order of the input list never shows in the result.
    adjustments = sorted(
        person.adjustments,
        key=lambda a: (-round2(a.points), a.reason, a.ref or "", a.approver or ""),
    )
    net = Decimal(0)
    draft.bonus_total = _typed_entries(
        draft, scheme, [a for a in adjustments if a.kind == "bonus"], "bonus"
    )
    cap = round2(scheme.bonus_cap)
    draft.bonus_applied = min(draft.bonus_total, cap)
    if draft.bonus_total > cap:
        cut = cap - draft.bonus_total
        draft.flags.add("bonus_capped")
        capped = Phrase(
            "加分合计 %(total)s 超过上限 %(cap)s，按 %(cap)s 计",
            {"total": fmt(draft.bonus_total), "cap": fmt(cap)},
        )
        draft.adjustments.append(
            AppliedAdjustment("bonus_cap", float(cut), capped.render(), phrase=capped)
        )
        draft.line(capped, cut)
    net += draft.bonus_applied

    costs = _complaint_costs(scheme)
    for complaint in sorted(person.complaints, key=_complaint_order):
        if complaint.pending is not None:
            draft.flags.add("complaints_pending")
            label = costs[complaint.severity][2]
            draft.line(
                Phrase(
                    "待定：投诉 %(id)s 经核实（%(severity)s），%(why)s，暂不扣分",
                    {
                        "id": complaint.complaint_id,
                        "severity": label,
                        "why": PENDING_WHY[complaint.pending],
                    },
                )
            )
            continue
        # A line per complaint, so its words are put together once here rather than rendered
        # again from the phrase: a busy clerk's year has dozens of them.
        points, shown, label = costs[complaint.severity]
        finding = Phrase(_FINDING, {"id": complaint.complaint_id, "severity": label})
        reason = _FINDING % {"id": complaint.complaint_id, "severity": label.template}
        draft.deduction_total += points
        draft.adjustments.append(
            AppliedAdjustment(
                "complaint", -float(points), reason, None, complaint.complaint_id, phrase=finding
            )
        )
        deducted = Phrase(_DEDUCTED, {"points": shown, "reason": finding})
        text = _DEDUCTED % {"points": shown, "reason": reason}
        draft.lines.append(ExplanationLine(text, -float(points), 0, deducted))

    draft.deduction_total += _typed_entries(
        draft, scheme, [a for a in adjustments if a.kind == "deduction"], "deduction"
    )
    return net - draft.deduction_total


_ENTRY_LINES = {
    "bonus": Phrase("加分 +%(points)s：%(reason)s%(signed)s").template,
    "deduction": Phrase("扣分 −%(points)s：%(reason)s%(signed)s").template,
}


def _typed_entries(
    draft: _Draft, scheme: Scheme, entries: list[Adjustment], kind: AdjustmentKind
) -> Decimal:
    """List the bonuses (or manual deductions), largest first; return the amount they count.

    Entries naming the same matter (事项) count once, at the highest (the first, as they come
    largest first); the others are listed as not counted. A category's entries count at most
    its cap (the cut is a line of its own).
    """
    sign = Decimal(1) if kind == "bonus" else Decimal(-1)
    counted = Decimal(0)
    by_category: dict[str, Decimal] = {}
    matters: dict[str, Decimal] = {}
    for entry in entries:
        points = round2(entry.points)
        matter = (entry.matter or "").strip()
        if matter in matters:
            draft.flags.add("same_matter")
            draft.line(
                Phrase(
                    "同一事项“%(matter)s”只计最高一次（%(highest)s）：%(reason)s %(points)s 不另计",
                    {
                        "matter": matter,
                        "highest": fmt(matters[matter]),
                        "reason": entry.reason,
                        "points": fmt(points),
                    },
                )
            )
            continue
        if matter:
            matters[matter] = points
        counted += points
        if entry.category:
            by_category[entry.category] = by_category.get(entry.category, Decimal(0)) + points
        draft.adjustments.append(
            AppliedAdjustment(kind, float(sign * points), entry.reason, entry.approver, entry.ref)
        )
        draft.line(
            Phrase(
                _ENTRY_LINES[kind],
                {
                    "points": fmt(points),
                    "reason": entry.reason,
                    "signed": _signed_off(entry.approver, entry.ref),
                },
            ),
            sign * points,
        )
    for category in scheme.adjustment_categories:
        got = by_category.get(category.code, Decimal(0))
        if category.kind != kind or category.cap is None or got <= round2(category.cap):
            continue
        cap = round2(category.cap)
        counted -= got - cap
        draft.flags.add("category_capped")
        capped = Phrase(
            "%(category)s合计 %(total)s 超过类别上限 %(cap)s，按 %(cap)s 计",
            {"category": Phrase(category.label), "total": fmt(got), "cap": fmt(cap)},
        )
        draft.adjustments.append(
            AppliedAdjustment(
                "category_cap", float(sign * (cap - got)), capped.render(), phrase=capped
            )
        )
        draft.line(capped, sign * (cap - got))
    return counted


def _signed_off(approver: str | None, ref: str | None) -> str | Phrase:
    parts = []
    if approver:
        parts.append(Phrase("批准人：%(name)s", {"name": approver}))
    if ref:
        parts.append(Phrase("编号：%(ref)s", {"ref": ref}))
    return Phrase("（%(parts)s）", {"parts": Phrases("，", tuple(parts))}) if parts else ""


def _band_range(scheme: Scheme, band: GradeBand, score: float) -> str:
    position = scheme.grades.index(band)
    low = fmt_plain(dec(band.min_score))
    shown = fmt(dec(score))
    if position == 0:
        return f"{shown} ≥ {low}"
    high = fmt_plain(dec(scheme.grades[position - 1].min_score))
    if position == len(scheme.grades) - 1:
        return f"{shown} < {high}"
    return f"{low} ≤ {shown} < {high}"


__all__ = ["evaluate_period"]

"""A year built from its quarters (and a quarter from its months): the scheme's [composition]."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scoring_helpers import uniform, with_changes

from scoring import (
    Adjustment,
    ComplaintFinding,
    LevelCounts,
    PartScore,
    SchemeError,
    StaffInput,
    default_scheme,
    evaluate_period,
    parse_scheme,
    result_from_dict,
    result_to_dict,
)

SCHEME = default_scheme()
YEAR = SCHEME.compositions["year"]
QUARTERS = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")


def texts(result):
    return [line.text for line in result.explanation]


def adds_up(result):
    points = sum(line.points for line in result.explanation if line.points is not None)
    return round(points, 2) == result.score


def parts(*bases, finalised=True):
    return tuple(
        PartScore(code, base, finalised) for code, base in zip(QUARTERS, bases, strict=False)
    )


def test_the_default_scheme_builds_the_year_from_its_quarters_and_the_annual_assessment():
    assert (YEAR.parts, YEAR.parts_weight, YEAR.own_weight) == ("quarters", 0.7, 0.3)
    assert YEAR.own_sources == ("self", "supervisor", "peer")
    assert "quarter" not in SCHEME.compositions  # a quarter stands on its own data


def test_a_year_is_the_quarters_mean_plus_the_annual_assessment_with_bonuses_once():
    person = StaffInput(
        "s1",
        ratings=LevelCounts.of(l5=30),  # already in each quarter: not counted again
        assessments=(uniform(SCHEME, "user:9", "supervisor", 95),),
        adjustments=(Adjustment("bonus", 5, "区级表彰（2026Q2）", "王主任"),),
        parts=parts(80, 90, 85, None),
    )
    (result,) = evaluate_period([person], SCHEME, 90, YEAR).results

    # (80 + 90 + 85) / 3 = 85.00 × 70 % = 59.50; supervisor alone is the annual assessment:
    # 95.00 × 30 % = 28.50; base 88.00; the year's bonus once: 93.00.
    assert (result.parts_value, result.base_score, result.score) == (85.0, 88.0, 93.0)
    assert result.grade == "优秀" and result.rank == 1
    lines = texts(result)
    lead = "本期由各季度结果（权重 70%）与年度评价（权重 30%）构成，加分、扣分与投诉按全期计一次"
    assert lead in lines
    assert "各季度基础分平均 85.00 × 70% = 59.50" in lines
    assert "2026Q1 基础分 80.00（已定稿）" in lines
    assert "2026Q4 未评定，不计入平均" in lines
    assert "年度评价 95.00 × 30% = 28.50" in lines
    assert "居民满意度：已计入各季度的结果，本期不另计" in lines
    assert "加分 +5.00：区级表彰（2026Q2）（批准人：王主任）" in lines
    assert adds_up(result)
    residents = result.source("residents")
    assert (residents.present, residents.missing_reason, residents.contribution) == (
        False,
        "in_parts",
        0.0,
    )
    assert [part.period for part in result.parts] == list(QUARTERS)


def test_without_an_annual_assessment_the_year_is_its_quarters_mean():
    person = StaffInput("s1", parts=parts(80, 91, finalised=False))
    (result,) = evaluate_period([person], SCHEME, 90, YEAR).results

    assert (result.parts_value, result.score) == (85.5, 85.5)
    lines = texts(result)
    assert "各季度基础分平均 85.50 × 70% ÷ 70% = 85.50" in lines
    assert "年度评价：缺失（本期无此项评价），权重 30% 分给各季度" in lines
    assert "2026Q2 基础分 91.00（未定稿）" in lines
    assert adds_up(result)


def test_with_no_quarter_scored_the_annual_assessment_must_pass_the_gate_alone():
    boss = uniform(SCHEME, "user:9", "supervisor", 90)
    alone = StaffInput("s1", assessments=(boss,), parts=parts(None, None))
    (result,) = evaluate_period([alone], SCHEME, 90, YEAR).results
    assert result.score is None and result.grade is None and result.rank is None
    assert {"unscored", "too_few_sources"} <= set(result.flags)
    assert any(
        line.startswith("未评定：各季度都没有结果，年度评价只有 1 项评价来源")
        for line in texts(result)
    )

    two = StaffInput("s2", assessments=(boss, uniform(SCHEME, "s2", "self", 80)))
    (result,) = evaluate_period([two], SCHEME, 90, YEAR).results
    # self 80 × 10 % ÷ 50 % = 16.00, supervisor 90 × 40 % ÷ 50 % = 72.00: 88.00, all of it.
    assert result.score == 88.0 and result.parts_value is None
    assert "各季度：没有已评定的结果，权重 70% 分给年度评价" in texts(result)
    assert "年度评价 88.00 × 30% ÷ 30% = 88.00" in texts(result)
    assert adds_up(result)

    (nothing,) = evaluate_period([StaffInput("s3")], SCHEME, 90, YEAR).results
    assert nothing.score is None and "unscored" in nothing.flags
    assert "各季度都没有结果，也没有年度评价，本期不计分、不评等级、不排名" in texts(nothing)


def test_a_years_complaints_deduct_and_veto_once():
    person = StaffInput(
        "s1",
        complaints=(ComplaintFinding("#7", "severe"),),
        parts=parts(90, 90, 90, 90),
    )
    (result,) = evaluate_period([person], SCHEME, 90, YEAR).results
    assert (result.base_score, result.score) == (90.0, 80.0)
    assert result.grade == "不合格" and "veto" in result.flags
    assert adds_up(result)


def test_a_quarter_can_be_built_from_its_months_alone():
    data = with_changes({})
    data["composition"]["quarter"] = {"parts": "months", "parts_weight": 1, "own_weight": 0}
    scheme = parse_scheme(data)
    rule = scheme.compositions["quarter"]
    months = (PartScore("2026-10", 70, True), PartScore("2026-11", 75, True))
    person = StaffInput("s1", assessments=(uniform(scheme, "user:9", "supervisor", 100),))
    person = StaffInput("s1", assessments=person.assessments, parts=months)
    (result,) = evaluate_period([person], scheme, 90, rule).results
    assert result.score == 72.5
    lines = texts(result)
    lead = "本期由各月结果（权重 100%）与季度评价（权重 0%）构成，加分、扣分与投诉按全期计一次"
    assert lead in lines
    assert not any(line.startswith("季度评价") for line in lines)  # weight 0: not shown
    assert adds_up(result)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"parts": "quarters", "parts_weight": 0.7, "own_weight": 0.2},
            "composition.year.own_weight: parts_weight and own_weight must sum to 1 "
            "(they sum to 0.9)",
        ),
        (
            {"parts": "weeks", "parts_weight": 1, "own_weight": 0},
            "composition.year.parts: unknown value 'weeks' (allowed: quarters, months)",
        ),
        (
            {"parts": "quarters", "parts_weight": 0, "own_weight": 1},
            "composition.year.parts_weight: must be greater than 0 and at most 1",
        ),
        (
            {"parts": "quarters", "parts_weight": 0.5, "own_weight": 0.5, "own_sources": ["boss"]},
            "composition.year.own_sources: unknown value 'boss'",
        ),
        (
            {"parts": "quarters", "parts_weight": 0.5, "own_weight": 0.5, "own_sources": []},
            "composition.year.own_sources: must name at least one source when own_weight > 0",
        ),
        (
            {"parts": "quarters", "parts_weight": 1, "own_weight": 0, "mean": "trimmed"},
            "composition.year.mean: unknown key",
        ),
    ],
)
def test_a_composition_that_cannot_work_is_refused_naming_the_entry(entry, message):
    data = with_changes({"composition.year": entry})
    with pytest.raises(SchemeError, match="^" + re.escape(message)):
        parse_scheme(data)


def test_only_years_and_quarters_are_built_from_parts():
    data = with_changes({})
    data["composition"]["month"] = {"parts": "weeks", "parts_weight": 1, "own_weight": 0}
    with pytest.raises(SchemeError, match=r"^composition\.month: unknown key$"):
        parse_scheme(data)
    data = with_changes({})
    data["composition"]["quarter"] = {"parts": "quarters", "parts_weight": 1, "own_weight": 0}
    with pytest.raises(SchemeError, match=r"allowed: months\)$"):
        parse_scheme(data)


def test_a_part_outside_0_to_100_or_listed_twice_is_refused():
    with pytest.raises(ValueError, match="2026Q1: base must be between 0 and 100"):
        PartScore("2026Q1", 101)
    with pytest.raises(ValueError, match="the same part is listed twice"):
        StaffInput("s1", parts=(PartScore("2026Q1", 80), PartScore("2026Q1", 81)))


def test_the_parts_are_kept_in_the_stored_form():
    person = StaffInput("s1", parts=parts(80, None, 90))
    period = evaluate_period([person], SCHEME, 90, YEAR)
    back = result_from_dict(result_to_dict(period))
    assert back == period
    stored = result_to_dict(period)["results"][0]
    assert stored["parts"][1] == {"period": "2026Q2", "base": None, "finalised": True}
    assert stored["parts_value"] == 85.0
    # A snapshot stored before periods had parts reads as having none.
    old = result_to_dict(evaluate_period([StaffInput("s2")], SCHEME, 90))
    for row in old["results"]:
        del row["parts"], row["parts_value"]
    assert result_from_dict(old).results[0].parts == ()


bases = st.none() | st.integers(0, 10_000).map(lambda cents: cents / 100)


@st.composite
def composed_person(draw, staff_id):
    kinds = draw(st.lists(st.sampled_from(["self", "supervisor", "peer"]), unique=True))
    assessments = []
    for kind in kinds:
        assessor = staff_id if kind == "self" else f"x-{kind}"
        assessments.append(uniform(SCHEME, assessor, kind, draw(st.integers(0, 100))))
    chosen = draw(st.lists(st.sampled_from(QUARTERS), unique=True, max_size=4))
    bonus = draw(st.integers(0, 1500)) / 100
    return StaffInput(
        staff_id,
        ratings=LevelCounts.of(l4=draw(st.integers(0, 30))),
        assessments=tuple(assessments),
        adjustments=(Adjustment("bonus", bonus, "表彰"),) if bonus else (),
        parts=tuple(PartScore(code, draw(bases)) for code in chosen),
    )


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, min_size=1).flatmap(
        lambda ids: st.tuples(*(composed_person(i) for i in ids))
    ),
    st.sampled_from([0.5, 0.7, 1.0]),
)
def test_a_composed_explanation_always_adds_up_to_the_score(people, parts_weight):
    data = with_changes({})
    data["composition"]["year"]["parts_weight"] = parts_weight
    data["composition"]["year"]["own_weight"] = round(1 - parts_weight, 2)
    scheme = parse_scheme(data)
    period = evaluate_period(list(people), scheme, 80, scheme.compositions["year"])
    for result in period.results:
        if result.score is None:
            assert result.rank is None
            continue
        assert result.base_score is not None and 0 <= result.base_score <= 100
        assert adds_up(result)
        if result.parts_value is not None:
            scored = [p.base for p in result.parts if p.base is not None]
            assert min(scored) - 0.01 <= result.parts_value <= max(scored) + 0.01

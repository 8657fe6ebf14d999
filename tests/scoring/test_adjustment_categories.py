"""Typed bonuses and deductions: the scheme's categories, their caps, one matter counted once."""

from __future__ import annotations

import re

import pytest
from scoring_helpers import uniform, with_changes

from scoring import (
    Adjustment,
    SchemeError,
    StaffInput,
    default_scheme,
    evaluate_period,
    parse_scheme,
)

SCHEME = default_scheme()


def graded(*adjustments):
    """A person assessed at 80 by themselves and a supervisor, with the given entries."""
    person = StaffInput(
        "s1",
        assessments=(
            uniform(SCHEME, "s1", "self", 80),
            uniform(SCHEME, "user:1", "supervisor", 80),
        ),
        adjustments=adjustments,
    )
    return evaluate_period([person], SCHEME, 80).results[0]


def texts(result):
    return [line.text for line in result.explanation]


def test_the_default_scheme_names_its_categories_with_points_and_caps():
    codes = [(c.code, c.label, c.kind) for c in SCHEME.adjustment_categories]
    assert codes == [
        ("commendation", "表彰", "bonus"),
        ("innovation", "创新", "bonus"),
        ("underperformance", "工作不力", "deduction"),
        ("exposure", "媒体曝光", "deduction"),
    ]
    commendation = SCHEME.adjustment_category("commendation")
    assert [(lv.label, lv.points) for lv in commendation.levels] == [
        ("街道级", 1),
        ("区级", 2),
        ("市级", 4),
        ("省级及以上", 6),
    ]
    assert commendation.cap == 6
    innovation = SCHEME.adjustment_category("innovation")
    assert (innovation.min_points, innovation.max_points, innovation.cap) == (1, 5, 5)
    assert [lv.points for lv in SCHEME.adjustment_category("underperformance").levels] == [1, 3, 5]
    exposure = SCHEME.adjustment_category("exposure")
    assert (exposure.min_points, exposure.max_points, exposure.cap) == (10, 10, None)
    assert SCHEME.adjustment_category("nothing") is None


def test_one_matter_counts_once_at_its_highest_and_a_category_within_its_cap():
    result = graded(
        Adjustment("bonus", 4, "表彰·市级", "王主任", "#1", "commendation", "十佳窗口"),
        Adjustment("bonus", 2, "表彰·区级", "王主任", "#2", "commendation", "十佳窗口"),
        Adjustment("bonus", 6, "表彰·省级及以上", "王主任", "#3", "commendation", "抗疫"),
        Adjustment("bonus", 3, "创新：预约办", "王主任", "#4", "innovation"),
        Adjustment("deduction", 3, "工作不力·较重", "王主任", "#5", "underperformance", "迟报"),
        Adjustment("deduction", 1, "工作不力·一般", "王主任", "#6", "underperformance", "迟报"),
        Adjustment("deduction", 10, "媒体曝光", "王主任", "#7", "exposure"),
    )
    # Bonuses: 表彰 6 + 4 (the 区级 2 for the same matter is not counted) = 10, capped at 6;
    # 创新 3: 9, under the overall cap of 10. Deductions: 10 + 3 (the 1 for 迟报 again is not).
    assert result.base_score == 80
    assert (result.bonus_total, result.bonus_applied, result.deduction_total) == (9, 9, 13)
    assert result.score == 76
    lines = texts(result)
    assert "同一事项“十佳窗口”只计最高一次（4.00）：表彰·区级 2.00 不另计" in lines
    assert "同一事项“迟报”只计最高一次（3.00）：工作不力·一般 1.00 不另计" in lines
    assert "表彰合计 10.00 超过类别上限 6.00，按 6.00 计" in lines
    assert {"category_capped", "same_matter"} <= set(result.flags)
    assert "bonus_capped" not in result.flags
    points = sum(line.points for line in result.explanation if line.points is not None)
    assert round(points, 2) == result.score
    kinds = [(a.kind, a.points) for a in result.adjustments]
    assert ("category_cap", -4.0) in kinds and ("bonus", 2.0) not in kinds


def test_a_free_text_entry_has_no_category_cap_and_no_matter():
    result = graded(
        Adjustment("bonus", 5, "获评优秀党员", "王主任"),
        Adjustment("bonus", 5, "获评优秀党员", "王主任"),
    )
    assert result.bonus_total == 10 and result.score == 90  # twice, each counted


def test_a_deduction_category_cap_limits_what_it_deducts():
    data = with_changes({})
    data["adjustments"]["categories"][2]["cap"] = 4
    scheme = parse_scheme(data)
    person = StaffInput(
        "s1",
        assessments=(
            uniform(scheme, "s1", "self", 80),
            uniform(scheme, "user:1", "supervisor", 80),
        ),
        adjustments=(
            Adjustment("deduction", 3, "工作不力·较重", "王主任", None, "underperformance", "A"),
            Adjustment("deduction", 3, "工作不力·较重", "王主任", None, "underperformance", "B"),
        ),
    )
    (result,) = evaluate_period([person], scheme, 80).results
    assert (result.deduction_total, result.score) == (4, 76)
    assert "工作不力合计 6.00 超过类别上限 4.00，按 4.00 计" in texts(result)


@pytest.mark.parametrize(
    ("category", "message"),
    [
        (
            {
                "code": "x",
                "label": "X",
                "kind": "bonus",
                "points": 2,
                "levels": [{"code": "a", "label": "A", "points": 1}],
            },
            "adjustments.categories[0].levels: give levels, or points (or min and max), not both",
        ),
        ({"code": "x", "label": "X", "kind": "penalty", "points": 2}, "unknown value 'penalty'"),
        (
            {"code": "x", "label": "X", "kind": "bonus", "points": 2, "cap": 0},
            "cap: must be greater than 0",
        ),
        (
            {"code": "x", "label": "X", "kind": "bonus", "max": 120},
            "max: must be greater than 0 and at most 100",
        ),
        (
            {"code": "x", "label": "X", "kind": "bonus", "min": 6, "max": 5},
            "min: must be greater than 0 and at most 5",
        ),
        ({"code": "x", "label": "X", "kind": "bonus"}, "adjustments.categories[0].max: missing"),
        (
            {"code": "x", "label": "X", "kind": "bonus", "points": 1, "per": "year"},
            "per: unknown key",
        ),
    ],
)
def test_a_category_that_cannot_work_is_refused_naming_the_entry(category, message):
    data = with_changes({})
    data["adjustments"]["categories"] = [category]
    with pytest.raises(SchemeError, match=re.escape(message)):
        parse_scheme(data)


def test_two_categories_with_one_code_are_refused():
    data = with_changes({})
    data["adjustments"]["categories"].append(dict(data["adjustments"]["categories"][0]))
    with pytest.raises(SchemeError, match="duplicate category code 'commendation'"):
        parse_scheme(data)

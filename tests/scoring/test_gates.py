"""Fair gates: 未评定 with too few sources, and complaints 待定 while an appeal may change them."""

import pytest
from scoring_helpers import default_scheme_data

from scoring import (
    ComplaintFinding,
    LevelCounts,
    SchemeError,
    StaffInput,
    evaluate_period,
    parse_scheme,
)

EIGHTY_FIVE = LevelCounts.of(l5=5, l4=5)  # 10 ratings, smoothed toward 80: (800 + 900) / 20 = 85


def texts(result):
    return [line.text for line in result.explanation]


def line_points_add_up(result):
    points = sum(line.points for line in result.explanation if line.points is not None)
    return round(points, 2) == result.score


@pytest.fixture
def all_85(assess):
    """Return a staff input whose every source is worth exactly 85."""

    def make(staff_id, **extra):
        assessments = (
            assess(staff_id, "self", 85),
            assess("boss", "supervisor", 85),
            *(assess(f"p{i}", "peer", 85) for i in range(3)),
        )
        return StaffInput(staff_id, EIGHTY_FIVE, assessments, **extra)

    return make


def test_residents_taps_alone_give_no_grade_under_the_default_scheme(scheme, assess):
    # 10 ratings make the residents' source present; nobody assessed this month.
    taps_only = StaffInput("taps", EIGHTY_FIVE)
    assessed = StaffInput(
        "assessed", EIGHTY_FIVE, (assess("boss", "supervisor", 85), assess("assessed", "self", 85))
    )

    period = evaluate_period([taps_only, assessed], scheme, hall_mean=80)

    result = period.result_for("taps")
    assert (result.score, result.grade, result.rank) == (None, None, None)
    assert set(result.flags) >= {"unscored", "too_few_sources"}
    assert "未评定：本期只有 1 项评价来源，方案要求至少 2 项，不计分、不评等级、不排名" in texts(
        result
    )
    assert result.source("residents").present  # the index is still reported
    assert period.ranked_count == 1
    assert period.result_for("assessed").rank == 1


def test_a_scheme_may_allow_a_single_source(scheme_with):
    scheme = scheme_with({"gates.min_sources": 1})
    result = evaluate_period([StaffInput("taps", EIGHTY_FIVE)], scheme, hall_mean=80)
    assert (result.results[0].score, result.results[0].grade) == (85.0, "良好")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "gates.min_sources: must be at least 1"),
        (5, "gates.min_sources: must be at most 4 (the number of sources)"),
        ("2", "gates.min_sources: must be a whole number"),
    ],
)
def test_a_bad_minimum_is_refused_naming_it(scheme_with, value, message):
    with pytest.raises(SchemeError) as caught:
        scheme_with({"gates.min_sources": value})
    assert str(caught.value) == message


def test_a_scheme_without_gates_keeps_one_source_enough():
    data = default_scheme_data()
    del data["gates"]
    assert parse_scheme(data).min_sources == 1


@pytest.mark.parametrize(
    ("pending", "why"), [("appeal", "申诉待复核"), ("appeal_window", "仍在申诉期内")]
)
def test_a_complaint_under_appeal_is_pending_and_deducts_nothing(scheme, all_85, pending, why):
    person = all_85(
        "zhou",
        complaints=(
            ComplaintFinding("C-1", "minor"),
            ComplaintFinding("C-12", "severe", pending=pending),
        ),
    )

    result = evaluate_period([person], scheme, hall_mean=80).result_for("zhou")

    assert result.score == 82.0  # 85 − 3; the severe one waits
    assert result.deduction_total == 3.0
    assert result.grade == "良好"  # a pending severe complaint vetoes nothing
    assert "veto" not in result.flags
    assert "complaints_pending" in result.flags
    assert f"待定：投诉 C-12 经核实（严重），{why}，暂不扣分" in texts(result)
    assert [a.ref for a in result.adjustments if a.kind == "complaint"] == ["C-1"]
    assert line_points_add_up(result)


def test_a_pending_complaint_does_not_lose_a_tie(scheme, all_85):
    clean = all_85("clean")
    waiting = all_85("waiting", complaints=(ComplaintFinding("C-9", "minor", "appeal"),))
    period = evaluate_period([clean, waiting], scheme, hall_mean=80)
    assert [r.rank for r in period.results] == [1, 1]


def test_an_unknown_pending_reason_is_refused():
    with pytest.raises(ValueError, match="pending must be None, appeal or appeal_window"):
        ComplaintFinding("C-1", "minor", pending="maybe")  # type: ignore[arg-type]

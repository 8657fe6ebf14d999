"""每月服务之星: the scheme's [monthly_star] rule and whom it chooses, with the reasons."""

from __future__ import annotations

import pytest
from scoring_helpers import with_changes

from scoring import (
    MonthlyStarRule,
    SchemeError,
    StarCandidate,
    default_scheme,
    parse_scheme,
    select_stars,
)

RULE = default_scheme().monthly_star


def by_id(verdicts):
    return {v.staff_id: v for v in verdicts}


def test_the_default_rule_is_the_best_index_with_ten_ratings_and_no_valid_complaint():
    assert MonthlyStarRule("satisfaction", 10, True, 1) == RULE


def test_a_scheme_without_the_table_takes_the_default_and_its_own_minimum_of_ratings():
    data = with_changes({"satisfaction.min_ratings": 15})
    del data["monthly_star"]
    assert parse_scheme(data).monthly_star == MonthlyStarRule("satisfaction", 15, True, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"monthly_star.rank_by": "votes"}, "monthly_star.rank_by: unknown value 'votes'"),
        ({"monthly_star.count": 0}, "monthly_star.count: must be at least 1"),
        ({"monthly_star.min_ratings": -1}, "monthly_star.min_ratings: must be at least 0"),
        ({"monthly_star.no_valid_complaint": "yes"}, "must be true or false"),
        ({"monthly_star.by": "score"}, "monthly_star.by: unknown key"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_naming_the_entry(changes, message):
    with pytest.raises(SchemeError, match=message):
        parse_scheme(with_changes(changes))


def test_the_best_qualifying_index_is_chosen_and_everyone_else_is_told_why():
    verdicts = select_stars(
        [
            StarCandidate("a", 95.0, 20),
            StarCandidate("b", 99.0, 8),  # too few ratings
            StarCandidate("c", 98.0, 30, valid_complaints=1),
            StarCandidate("d", None, 12),
            StarCandidate("e", 90.0, 40),
        ],
        RULE,
    )
    assert [v.staff_id for v in verdicts if v.chosen] == ["a"]
    assert verdicts[0].staff_id == "a"  # the chosen come first
    found = by_id(verdicts)
    assert (
        found["a"].reason.render()
        == "居民满意度指数 95.00，本月评价 20 条，在 2 名符合条件者中排第 1"
    )
    assert found["e"].place == 2
    assert found["e"].reason.render() == (
        "居民满意度指数 90.00，在 2 名符合条件者中排第 2，未进入前 1 名"
    )
    assert found["b"].reason.render() == "本月评价 8 条，少于 10 条"
    assert found["c"].reason.render() == "本月有 1 件经核实的有效投诉"
    assert found["d"].reason.render() == "本月没有居民满意度指数"
    assert {found[k].place for k in "bcd"} == {None}


def test_equal_on_value_and_ratings_share_the_place_and_are_both_chosen():
    verdicts = select_stars(
        [StarCandidate("x", 96.004, 25), StarCandidate("y", 96.0, 25), StarCandidate("z", 96, 24)],
        RULE,
    )
    assert sorted(v.staff_id for v in verdicts if v.chosen) == ["x", "y"]
    assert by_id(verdicts)["z"].place == 3  # fewer ratings: after the two, not tied


def test_a_rule_may_count_complaints_out_and_choose_more_by_score():
    rule = MonthlyStarRule("score", 0, no_valid_complaint=False, count=2)
    verdicts = select_stars(
        [StarCandidate("a", 91.5, 3, 2), StarCandidate("b", 88.0, 0), StarCandidate("c", 70, 9)],
        rule,
    )
    assert [v.staff_id for v in verdicts if v.chosen] == ["a", "b"]
    assert by_id(verdicts)["a"].reason.render().startswith("月度考核得分 91.50")


def test_the_choice_does_not_depend_on_the_order_of_candidates():
    people = [StarCandidate(str(i), 80 + i % 4, 10 + i % 3) for i in range(9)]
    assert select_stars(people, RULE) == select_stars(list(reversed(people)), RULE)


def test_a_candidate_listed_twice_is_refused():
    with pytest.raises(ValueError, match="listed twice"):
        select_stars([StarCandidate("a", 90, 10), StarCandidate("a", 91, 10)], RULE)

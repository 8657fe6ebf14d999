"""Satisfaction index, hall mean and the hall board, computed by hand from the default scheme."""

import pytest

from scoring import LevelCounts, hall_mean, rank_satisfaction, satisfaction_index


def test_level_counts_can_be_built_three_ways_and_added():
    by_keyword = LevelCounts.of(l1=1, l4=2, l5=3)
    assert by_keyword == LevelCounts((1, 0, 0, 2, 3))
    assert by_keyword == LevelCounts.from_levels([5, 4, 5, 1, 4, 5])
    assert by_keyword.total == 6
    assert by_keyword.count(5) == 3
    assert by_keyword + LevelCounts.of(l2=4) == LevelCounts((1, 4, 0, 2, 3))


@pytest.mark.parametrize("bad", [(1, 2, 3), (0, 0, -1, 0, 0), (0, 0, 1.5, 0, 0)])
def test_level_counts_reject_impossible_counts(bad):
    with pytest.raises(ValueError):
        LevelCounts(bad)


def test_level_counts_reject_a_level_outside_one_to_five():
    with pytest.raises(ValueError, match=r"rating level must be 1\.\.5, got 6"):
        LevelCounts.from_levels([5, 6])


def test_index_reports_raw_mean_rates_and_the_smoothed_value(scheme):
    # 20 × 100 + 8 × 80 + 2 × 60 = 2760 points over 30 ratings.
    index = satisfaction_index(LevelCounts.of(l5=20, l4=8, l3=2), 80, scheme)

    assert index.count == 30
    assert index.raw_mean == 92.0  # 2760 / 30
    assert index.smoothed == 89.0  # (10 × 80 + 2760) / (10 + 30) = 3560 / 40
    assert index.good_rate == 0.9333  # 28 / 30
    assert index.bad_rate == 0.0
    assert (index.hall_mean, index.prior_weight) == (80.0, 10)


def test_three_lucky_ratings_stay_close_to_the_hall_mean(scheme):
    index = satisfaction_index(LevelCounts.of(l5=3), 80, scheme)

    assert index.raw_mean == 100.0
    assert index.smoothed == 84.62  # (800 + 300) / 13 = 84.615…


def test_bad_reviews_count_in_the_bad_rate(scheme):
    # 2 × 0 + 1 × 20 + 1 × 100 = 120 points over 4 ratings.
    index = satisfaction_index(LevelCounts.of(l1=2, l2=1, l5=1), 60, scheme)

    assert index.raw_mean == 30.0
    assert index.bad_rate == 0.75
    assert index.good_rate == 0.25
    assert index.smoothed == 51.43  # (600 + 120) / 14 = 51.428…


def test_without_ratings_the_index_is_the_hall_mean_and_the_rest_is_unknown(scheme):
    index = satisfaction_index(LevelCounts(), 77.5, scheme)

    assert index.count == 0
    assert index.smoothed == 77.5
    assert index.raw_mean is None
    assert index.good_rate is None
    assert index.bad_rate is None


def test_values_are_rounded_half_up_not_to_even(scheme):
    # (10 × 80.01 + 800) / 20 = 80.005 exactly: half up gives 80.01 (half even would give 80.00).
    index = satisfaction_index(LevelCounts.of(l4=10), 80.01, scheme)
    assert index.smoothed == 80.01


def test_a_hall_mean_outside_zero_to_hundred_is_refused(scheme):
    with pytest.raises(ValueError, match="hall_mean must be between 0 and 100"):
        satisfaction_index(LevelCounts.of(l5=1), 101, scheme)


def test_hall_mean_weighs_every_rating_the_same(scheme):
    counts = [LevelCounts.of(l5=3), LevelCounts.of(l3=1), LevelCounts()]
    assert hall_mean(counts, scheme) == 90.0  # (300 + 60) / 4


def test_hall_mean_of_an_empty_hall_is_the_neutral_level(scheme):
    assert hall_mean([], scheme) == 60.0
    assert hall_mean([LevelCounts()], scheme) == 60.0


def test_the_board_ranks_by_smoothed_index_and_sets_aside_too_few_ratings(scheme):
    standings = rank_satisfaction(
        {
            "wang": LevelCounts.of(l5=10, l4=10),  # 1800 / 20 → (800 + 1800) / 30 = 86.67
            "li": LevelCounts.of(l5=30),  # (800 + 3000) / 40 = 95.00
            "zhao": LevelCounts.of(l5=9),  # 9 < 10 ratings: 评价数不足
            "sun": LevelCounts.of(l3=10),  # (800 + 600) / 20 = 70.00
            "zhou": LevelCounts(),
        },
        scheme,
        hall_mean=80,
    )

    assert [(s.subject_id, s.index.smoothed, s.rank) for s in standings.ranked] == [
        ("li", 95.0, 1),
        ("wang", 86.67, 2),
        ("sun", 70.0, 3),
    ]
    assert [(s.subject_id, s.rank) for s in standings.insufficient] == [
        ("zhao", None),
        ("zhou", None),
    ]
    assert standings.insufficient[0].index.smoothed == 89.47  # still shown: 1700 / 19


def test_board_ties_go_to_the_higher_raw_mean_and_exact_ties_share_a_rank(scheme):
    standings = rank_satisfaction(
        {
            "f": LevelCounts.of(l3=10),  # (800 + 600) / 20 = 70.00
            "d": LevelCounts.of(l5=10, l4=5, l3=5),  # (800 + 1700) / 30 = 83.33
            "q": LevelCounts.of(l5=10, l4=20),  # (800 + 2600) / 40 = 85.00, raw 86.67
            "c": LevelCounts.of(l5=10, l4=5, l3=5),  # exactly like d
            "x": LevelCounts.of(l5=5, l4=5),  # (800 + 900) / 20 = 85.00, raw 90.00
            "b": LevelCounts.of(l5=30),  # (800 + 3000) / 40 = 95.00
        },
        scheme,
        hall_mean=80,
    )

    ranked = [(s.subject_id, s.index.smoothed, s.index.raw_mean, s.rank) for s in standings.ranked]
    assert ranked == [
        ("b", 95.0, 100.0, 1),
        ("x", 85.0, 90.0, 2),
        ("q", 85.0, 86.67, 3),
        ("c", 83.33, 85.0, 4),
        ("d", 83.33, 85.0, 4),
        ("f", 70.0, 60.0, 6),
    ]


def test_the_board_smooths_toward_the_mean_of_its_own_subjects_by_default(scheme):
    standings = rank_satisfaction({"a": LevelCounts.of(l5=10), "b": LevelCounts.of(l3=10)}, scheme)
    assert standings.hall_mean == 80.0  # (1000 + 600) / 20
    assert [s.index.smoothed for s in standings.ranked] == [90.0, 70.0]

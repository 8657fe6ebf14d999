"""Period evaluation: golden cases computed by hand from the default scheme (hall mean 80)."""

import json

import pytest

from scoring import (
    Adjustment,
    Assessment,
    ComplaintFinding,
    LevelCounts,
    StaffInput,
    evaluate_period,
    result_to_dict,
)

# Smoothed toward a hall mean of 80 with prior weight 10:
EIGHTY_ONE = LevelCounts.of(l5=10, l4=10, l3=2, l2=2)  # (800 + 1960) / 34 = 81.176… → 81.18
SEVENTY = LevelCounts.of(l3=10)  # (800 + 600) / 20 = 70.00
EIGHTY_FIVE = LevelCounts.of(l5=5, l4=5)  # (800 + 900) / 20 = 85.00
NINE_FIVES = LevelCounts.of(l5=9)  # 9 < 10 ratings; (800 + 900) / 19 = 89.47


def texts(result):
    return [line.text for line in result.explanation]


def line_points_add_up(result):
    points = sum(line.points for line in result.explanation if line.points is not None)
    return round(points, 2) == result.score


@pytest.fixture
def all_85(assess):
    """Return a staff input whose every source is worth exactly 85."""

    def make(staff_id, **extra):
        return StaffInput(
            staff_id,
            EIGHTY_FIVE,
            (
                assess(staff_id, "self", 85),
                assess("boss", "supervisor", 85),
                assess("p1", "peer", 85),
                assess("p2", "peer", 85),
                assess("p3", "peer", 85),
            ),
            **extra,
        )

    return make


def test_all_four_sources_are_weighted_as_the_scheme_says(scheme, assess):
    person = StaffInput(
        "zhang",
        EIGHTY_ONE,
        (
            assess("zhang", "self", 90),
            assess("boss", "supervisor", 85),
            assess("p1", "peer", 80),
            assess("p2", "peer", 82),
            assess("p3", "peer", 84),
        ),
    )

    result = evaluate_period([person], scheme, hall_mean=80).result_for("zhang")

    # 90 × 10% + 85 × 40% + 81.18 × 30% + 82 × 20% = 9.00 + 34.00 + 24.35 + 16.40
    assert result.base_score == 83.75
    assert result.score == 83.75
    assert result.grade == "良好"
    assert result.rank == 1
    assert result.flags == ()
    assert result.scheme_version == "2026.3"
    assert [(s.code, s.value, s.effective_weight, s.contribution) for s in result.sources] == [
        ("self", 90.0, 0.1, 9.0),
        ("supervisor", 85.0, 0.4, 34.0),
        ("residents", 81.18, 0.3, 24.35),
        ("peer", 82.0, 0.2, 16.4),
    ]
    assert result.satisfaction.raw_mean == 81.67  # 1960 / 24
    assert result.satisfaction.good_rate == 0.8333
    assert result.satisfaction.bad_rate == 0.0833
    assert "居民满意度 81.18 × 30% = 24.35" in texts(result)
    assert "自评 90.00 × 10% = 9.00" in texts(result)
    assert "同事互评 82.00 × 20% = 16.40" in texts(result)
    assert "基础分 = 83.75" in texts(result)
    assert "等级：良好（80 ≤ 83.75 < 90）" in texts(result)
    assert line_points_add_up(result)


def test_per_criterion_averages_explain_an_assessment_source(scheme, assess):
    result = evaluate_period(
        [StaffInput("zhang", EIGHTY_ONE, (assess("boss", "supervisor", 85),))],
        scheme,
        hall_mean=80,
    ).result_for("zhang")

    criteria = {c.code: (c.average, c.max_points) for c in result.source("supervisor").criteria}
    assert criteria["quality"] == (34.0, 40)
    assert criteria["quality.attitude"] == (8.5, 10)
    assert criteria["work.innovation"] == (4.25, 5)
    assert "服务质量 34.00/40：服务态度 8.50/10，服务效率 8.50/10，服务质量 17.00/20" in texts(
        result
    )


def test_a_missing_peer_source_shares_its_weight_out_and_is_reported(scheme, assess):
    person = StaffInput("li", SEVENTY, (assess("li", "self", 90), assess("boss", "supervisor", 80)))

    result = evaluate_period([person], scheme, hall_mean=80).result_for("li")

    # Present weights sum to 80%: 90 × 10/80 + 80 × 40/80 + 70 × 30/80 = 11.25 + 40 + 26.25
    assert result.score == 77.5
    assert result.grade == "合格"
    assert result.flags == ("missing:peer",)
    peer = result.source("peer")
    assert (peer.present, peer.value, peer.effective_weight, peer.contribution) == (
        False,
        None,
        0.0,
        0.0,
    )
    assert [s.effective_weight for s in result.sources] == [0.125, 0.5, 0.375, 0.0]
    assert "自评 90.00 × 10% ÷ 80% = 11.25" in texts(result)
    assert "居民满意度 70.00 × 30% ÷ 80% = 26.25" in texts(result)
    assert "同事互评：缺失（本期无此项评价），权重 20% 按比例分给其余来源" in texts(result)
    assert line_points_add_up(result)


def test_fewer_ratings_than_the_minimum_leave_the_residents_out(scheme, assess):
    person = StaffInput(
        "zhao",
        NINE_FIVES,
        (
            assess("zhao", "self", 90),
            assess("boss", "supervisor", 80),
            assess("p1", "peer", 70),
            assess("p2", "peer", 70),
            assess("p3", "peer", 70),
        ),
    )

    result = evaluate_period([person], scheme, hall_mean=80).result_for("zhao")

    # Present weights sum to 70%: 90 × 10/70 + 80 × 40/70 + 70 × 20/70 = 12.86 + 45.71 + 20.00
    assert result.base_score == 78.57
    assert result.grade == "合格"
    assert result.flags == ("insufficient_ratings", "missing:residents")
    assert result.satisfaction.smoothed == 89.47  # still computed and shown
    assert result.source("residents").present is False
    assert result.source("residents").missing_reason == "insufficient_ratings"
    assert (
        "居民满意度：缺失（居民评价 9 条，少于 10 条，评价数不足），权重 30% 按比例分给其余来源"
        in (texts(result))
    )
    assert line_points_add_up(result)


def test_peer_totals_are_trimmed_from_five_peers_on(scheme, assess):
    peers = tuple(assess(f"p{i}", "peer", total) for i, total in enumerate([60, 80, 82, 84, 95]))
    result = evaluate_period(
        [StaffInput("sun", EIGHTY_FIVE, peers)], scheme, hall_mean=80
    ).result_for("sun")

    peer = result.source("peer")
    assert peer.value == 82.0  # (80 + 82 + 84) / 3
    assert peer.count == 3
    assert peer.dropped == (60.0, 95.0)
    assert "peers_trimmed" in result.flags
    assert "同事互评 5 份，去掉最高 95.00、最低 60.00 后 3 份取平均" in texts(result)


def test_several_supervisor_assessments_are_averaged(scheme, assess):
    result = evaluate_period(
        [
            StaffInput(
                "sun", EIGHTY_FIVE, (assess("b1", "supervisor", 80), assess("b2", "supervisor", 91))
            )
        ],
        scheme,
        hall_mean=80,
    ).result_for("sun")
    assert result.source("supervisor").value == 85.5


def test_bonuses_over_the_cap_are_cut_and_deductions_follow(scheme, all_85):
    person = all_85(
        "qian",
        adjustments=(
            Adjustment("bonus", 6, "创新：预约叫号改进", approver="王主任"),
            Adjustment("bonus", 7, "表彰：市级文明窗口"),
            Adjustment("deduction", 2, "工作时间离岗", approver="王主任", ref="K-7"),
        ),
    )

    result = evaluate_period([person], scheme, hall_mean=80).result_for("qian")

    # 85 + min(6 + 7, 10) − 2 = 93
    assert result.base_score == 85.0
    assert result.score == 93.0
    assert result.grade == "优秀"
    assert (result.bonus_total, result.bonus_applied, result.deduction_total) == (13.0, 10.0, 2.0)
    assert [(a.kind, a.points) for a in result.adjustments] == [
        ("bonus", 7.0),
        ("bonus", 6.0),
        ("bonus_cap", -3.0),
        ("deduction", -2.0),
    ]
    assert result.flags == ("bonus_capped",)
    assert texts(result)[-8:] == [
        "基础分 = 85.00",
        "加分 +7.00：表彰：市级文明窗口",
        "加分 +6.00：创新：预约叫号改进（批准人：王主任）",
        "加分合计 13.00 超过上限 10.00，按 10.00 计",
        "扣分 −2.00：工作时间离岗（批准人：王主任，编号：K-7）",
        "最终得分 = 93.00",
        "等级：优秀（93.00 ≥ 90）",
        "排名：第 1 名（共 1 人参与排名）",
    ]
    assert line_points_add_up(result)


@pytest.mark.parametrize(
    ("veto", "grade", "flags"), [(True, "不合格", ("veto",)), (False, "合格", ())]
)
def test_a_verified_severe_complaint_deducts_ten_and_the_veto_fails_the_grade(
    scheme_with, all_85, veto, grade, flags
):
    scheme = scheme_with({"veto.enabled": veto})
    person = all_85("zhou", complaints=(ComplaintFinding("C-12", "severe"),))

    result = evaluate_period([person], scheme, hall_mean=80).result_for("zhou")

    assert result.score == 75.0  # 85 − 10
    assert result.grade == grade
    assert result.flags == flags
    assert "扣分 −10.00：投诉 C-12 经核实（严重）" in texts(result)
    if veto:
        assert "等级：不合格（一票否决：投诉 C-12 经核实为严重）" in texts(result)
    else:
        assert "等级：合格（60 ≤ 75.00 < 80）" in texts(result)


def test_complaint_deductions_follow_severity(scheme, all_85):
    person = all_85(
        "wu",
        complaints=(ComplaintFinding("C-1", "minor"), ComplaintFinding("C-2", "major")),
    )
    result = evaluate_period([person], scheme, hall_mean=80).result_for("wu")
    assert result.score == 77.0  # 85 − 3 − 5
    assert result.deduction_total == 8.0


def test_scores_are_clipped_at_the_lower_bound_and_it_shows(scheme, assess):
    person = StaffInput(
        "zheng",
        LevelCounts.of(l1=30),  # (800 + 0) / 40 = 20
        (assess("zheng", "self", 0), assess("boss", "supervisor", 0), assess("p", "peer", 0)),
        (Adjustment("deduction", 20, "严重违纪", approver="王主任"),),
        (ComplaintFinding("C-9", "major"),),
    )
    result = evaluate_period([person], scheme, hall_mean=80).result_for("zheng")

    # 20 × 30% = 6.00; 6 − 5 − 20 = −19 → 0
    assert result.base_score == 6.0
    assert result.score == 0.0
    assert "clipped" in result.flags
    assert "得分 -19.00 超出下限 0.00，按 0.00 计" in texts(result)
    assert line_points_add_up(result)


def peers(assess, total):
    return tuple(assess(f"p{i}", "peer", total) for i in range(3))


def quota_staff(assess):
    """Five staff; a and b both score 92.00, a with the better satisfaction index (hall 90)."""
    return [
        StaffInput(
            "a",
            LevelCounts.of(l5=9, l4=1),  # (900 + 980) / 20 = 94
            (assess("a", "self", 90), assess("boss", "supervisor", 92), *peers(assess, 90)),
        ),
        StaffInput(
            "b",
            LevelCounts.of(l5=7, l4=3),  # (900 + 940) / 20 = 92
            (assess("b", "self", 92), assess("boss", "supervisor", 92), *peers(assess, 92)),
        ),
        StaffInput("c", assessments=(assess("boss", "supervisor", 70),)),
        StaffInput("d", assessments=(assess("boss", "supervisor", 75),)),
        StaffInput("e", assessments=(assess("boss", "supervisor", 80),)),
    ]


def test_the_quota_cuts_a_tie_by_the_tie_rule(scheme_with, assess):
    # c, d and e have the supervisor's assessment only: one source is enough here.
    scheme = scheme_with({"quota.enabled": True, "gates.min_sources": 1})

    period = evaluate_period(quota_staff(assess), scheme, hall_mean=90)

    # a: 9 + 36.8 + 28.2 + 18 = 92; b: 9.2 + 36.8 + 27.6 + 18.4 = 92.
    a, b = period.result_for("a"), period.result_for("b")
    assert (a.score, b.score) == (92.0, 92.0)
    assert period.quota_seats == 1  # max(1, floor(20% × 5))
    assert (a.rank, a.grade, a.flags) == (1, "优秀", ())
    assert (b.rank, b.grade, b.flags) == (2, "良好", ("quota_demoted",))
    assert (
        "等级：良好（得分达到优秀（≥ 90），但在 2 名优秀候选中排第 2，超出优秀名额 1 名，评为良好）"
        in (texts(b))
    )
    assert any("与另外 1 人同分" in text for text in texts(b))
    assert [r.staff_id for r in period.results] == ["a", "b", "e", "d", "c"]


def test_candidates_tied_on_every_measure_share_the_quota_seat(scheme_with, assess):
    scheme = scheme_with({"quota.enabled": True, "gates.min_sources": 1})
    twins = quota_staff(assess)
    twins[1] = StaffInput(
        "b", twins[0].ratings, (assess("b", "self", 90), *twins[0].assessments[1:])
    )

    period = evaluate_period(twins, scheme, hall_mean=90)

    assert [(r.staff_id, r.rank, r.grade) for r in period.results[:3]] == [
        ("a", 1, "优秀"),
        ("b", 1, "优秀"),
        ("e", 3, "良好"),
    ]


def test_without_a_quota_everyone_over_ninety_is_excellent(scheme, assess):
    period = evaluate_period(quota_staff(assess), scheme, hall_mean=90)
    assert period.quota_seats is None
    assert [period.result_for(s).grade for s in "ab"] == ["优秀", "优秀"]


def test_equal_scores_rank_by_satisfaction_then_ratings_and_exact_ties_share(scheme_with, assess):
    # Everyone has fewer than 10 ratings, so the supervisor's 80 is their only source.
    scheme = scheme_with({"gates.min_sources": 1})

    def person(staff_id, ratings, supervisor=80):
        return StaffInput(staff_id, ratings, (assess("boss", "supervisor", supervisor),))

    period = evaluate_period(
        [
            person("fewer-ratings", LevelCounts.of(l3=2)),
            person("happier", LevelCounts.of(l5=2)),
            person("more-ratings", LevelCounts.of(l3=3)),
            person("twin", LevelCounts.of(l3=3)),
            person("top", LevelCounts(), supervisor=95),
        ],
        scheme,
        hall_mean=60,
    )

    ranks = {r.staff_id: r.rank for r in period.results}
    assert ranks == {
        "top": 1,
        "happier": 2,  # index (600 + 200) / 12 = 66.67 beats 60.00
        "more-ratings": 3,  # same on every measure as twin: a shared rank
        "twin": 3,
        "fewer-ratings": 5,  # 2 ratings against 3
    }


def test_equal_score_and_satisfaction_rank_by_the_supervisor(scheme, assess):
    period = evaluate_period(
        [
            # 100 × 10/50 + 77.5 × 40/50 = 20 + 62 = 82
            StaffInput(
                "x", assessments=(assess("x", "self", 100), assess("b", "supervisor", 77.5))
            ),
            # 60 × 10/50 + 87.5 × 40/50 = 12 + 70 = 82
            StaffInput("y", assessments=(assess("y", "self", 60), assess("b", "supervisor", 87.5))),
        ],
        scheme,
        hall_mean=80,
    )
    assert [(r.staff_id, r.score, r.rank) for r in period.results] == [
        ("y", 82.0, 1),
        ("x", 82.0, 2),
    ]


def test_fewer_verified_complaints_win_a_tie(scheme_with, assess):
    scheme = scheme_with({"gates.min_sources": 1})  # the supervisors are the only source

    def person(staff_id, complaints):
        return StaffInput(
            staff_id,
            LevelCounts.of(l3=3),
            (assess("b1", "supervisor", 85), assess("b2", "supervisor", 85)),
            (Adjustment("bonus", 3, "表彰"),) if complaints else (),
            complaints,
        )

    period = evaluate_period(
        [person("clean", ()), person("one", (ComplaintFinding("C1", "minor"),))],
        scheme,
        hall_mean=60,
    )
    # one: 85 + 3 − 3 = 85, the same as clean.
    assert [(r.staff_id, r.score, r.rank) for r in period.results] == [
        ("clean", 85.0, 1),
        ("one", 85.0, 2),
    ]


def test_a_person_with_no_source_is_not_scored_graded_or_ranked(scheme_with, assess):
    scheme = scheme_with({"gates.min_sources": 1})
    period = evaluate_period(
        [
            StaffInput("new", LevelCounts.of(l5=3)),
            StaffInput("old", assessments=(assess("b", "supervisor", 70),)),
        ],
        scheme,
        hall_mean=80,
    )
    new = period.result_for("new")
    assert (new.score, new.grade, new.rank) == (None, None, None)
    assert "unscored" in new.flags
    assert period.ranked_count == 1
    assert [r.staff_id for r in period.results] == ["old", "new"]


def test_the_hall_mean_defaults_to_the_mean_of_all_staff_ratings(scheme, assess):
    period = evaluate_period(
        [
            StaffInput("a", LevelCounts.of(l5=10), (assess("boss", "supervisor", 70),)),
            StaffInput("b", LevelCounts.of(l3=10), (assess("boss", "supervisor", 70),)),
        ],
        scheme,
    )
    assert period.hall_mean == 80.0
    assert period.result_for("a").satisfaction.smoothed == 90.0  # (800 + 1000) / 20


def test_bad_input_is_refused_naming_it(scheme, assess):
    with pytest.raises(ValueError, match="staff listed twice: a"):
        evaluate_period([StaffInput("a"), StaffInput("a")], scheme)
    with pytest.raises(ValueError, match="self assessment by someone else"):
        StaffInput("a", assessments=(assess("b", "self", 80),))
    with pytest.raises(ValueError, match="two peer assessments by p"):
        StaffInput("a", assessments=(assess("p", "peer", 80), assess("p", "peer", 70)))
    scores = dict(assess("p", "peer", 80).scores)
    scores["quality.attitude"] = 11
    bad = Assessment("p", "peer", scores)
    with pytest.raises(ValueError, match=r"quality\.attitude must be between 0 and 10"):
        evaluate_period([StaffInput("a", assessments=(bad,))], scheme)


def test_the_json_form_names_the_scheme_and_keeps_every_number(scheme, all_85):
    period = evaluate_period([all_85("qian")], scheme, hall_mean=80)

    data = result_to_dict(period)

    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["scheme"] == {"name": "窗口人员考核方案", "version": "2026.3"}
    entry = data["results"][0]
    assert (entry["staff_id"], entry["score"], entry["grade"], entry["rank"]) == (
        "qian",
        85.0,
        "良好",
        1,
    )
    assert entry["scheme_version"] == "2026.3"
    assert entry["sources"][2]["code"] == "residents"
    assert entry["explanation"][0]["text"].startswith("考核方案：")

"""Station rounds: members' scores combined, bonus and deduction caps, grades, ranks, snapshots.

Numbers are worked out by hand from the shipped schemes. A station whose every member gives
every item full points and whose metrics are at their full thresholds has a base of 100.
"""

import json
import re

import pytest

from scoring import (
    BonusClaim,
    Deduction,
    MemberScore,
    StationInput,
    evaluate_round,
    round_from_dict,
    round_to_dict,
    station_scheme,
)

S2019 = station_scheme("2019")
WORKSTATION = station_scheme("workstation")
FULL_METRICS = {"satisfaction_index": 95, "rating_volume": 300, "complaints_on_time_share": 1}
ROLES = ("district_assessor", "district_assessor", "cross_staff", "cross_staff", "resident_rep")


def members(scheme, count=5, overrides=None, skip_roles_limits=False):
    """Return count members giving every item they may score full points, but for overrides.

    overrides maps an item code to one value per member (None: left blank).
    """
    overrides = overrides or {}
    out = []
    for i in range(count):
        role = ROLES[i % len(ROLES)]
        scores = {}
        for leaf in scheme.leaves:
            if leaf.code in scheme.auto:
                continue
            allowed = scheme.roles.get(leaf.code)
            if allowed is not None and role not in allowed:
                continue
            value = overrides[leaf.code][i] if leaf.code in overrides else leaf.max_points
            if value is not None:
                scores[leaf.code] = value
        out.append(MemberScore(f"m{i + 1}", role, scores))
    return tuple(out)


def station(sid="dongyuan", scheme=S2019, **extra):
    extra.setdefault("members", members(scheme))
    extra.setdefault("metrics", FULL_METRICS)
    return StationInput(sid, f"{sid}服务站", **extra)


def one(scheme=S2019, **extra):
    return evaluate_round([station(scheme=scheme, **extra)], scheme).results[0]


def line_texts(result):
    return [line.text for line in result.explanation]


def explained_points(result):
    return round(sum(line.points for line in result.explanation if line.points is not None), 2)


def test_full_marks_everywhere_make_100_and_优秀():
    result = one()
    assert (result.base, result.score, result.grade, result.rank) == (100, 100, "优秀", 1)
    assert result.flags == ()
    assert result.item("operation").points == 50
    assert result.item("operation.records").points == 10


def test_five_members_drop_the_highest_and_lowest_score_of_an_item():
    result = one(members=members(S2019, 5, {"operation.hours": [5, 4, 4, 3, 2]}))
    item = result.item("operation.hours")
    # (4 + 4 + 3) / 3 = 3.666… → 3.67
    assert item.points == 3.67
    assert item.method == "members"
    assert item.given == (5, 4, 4, 3, 2)
    assert item.dropped == (5, 2)
    assert (
        "按公示时间开放、节假日值班 3.67/5："
        "5 位评分（5、4、4、3、2），去掉最高 5 和最低 2，平均 3.67" in (line_texts(result))
    )
    assert result.base == 100 - 5 + 3.67


def test_four_members_are_averaged_without_dropping_any():
    result = one(members=members(S2019, 4, {"operation.hours": [5, 4, 3, 2]}))
    item = result.item("operation.hours")
    assert item.points == 3.5
    assert item.dropped == ()
    assert "按公示时间开放、节假日值班 3.50/5：4 位评分（5、4、3、2），平均 3.50" in line_texts(
        result
    )


def test_a_blank_is_left_out_of_the_mean():
    # Five members, one blank: four scores, fewer than five, so none is dropped: 14 / 4 = 3.5.
    result = one(members=members(S2019, 5, {"operation.hours": [5, None, 4, 3, 2]}))
    assert result.item("operation.hours").points == 3.5
    assert result.item("operation.hours").given == (5, 4, 3, 2)


def test_an_item_nobody_scored_counts_zero_and_is_flagged():
    blank = [None] * 5
    result = one(members=members(S2019, 5, {"rules.absence": blank}))
    assert result.item("rules.absence").points == 0
    assert result.item("rules.absence").method == "unscored"
    assert "unscored:rules.absence" in result.flags
    assert "离岗告示、AB 岗制度 0.00/2：无人评分，按 0 分计" in line_texts(result)
    assert result.score == 98


@pytest.mark.parametrize(
    ("value", "points"),
    [(87.5, 7.86), (60, 0), (40, 0), (95, 10), (99, 10), (77.5, 5)],
)
def test_satisfaction_is_filled_linearly_between_its_thresholds(value, points):
    # 0 points at 60, 10 at 95: (87.5 − 60) / 35 × 10 = 7.857… → 7.86.
    result = one(metrics={**FULL_METRICS, "satisfaction_index": value})
    item = result.item("operation.satisfaction")
    assert (item.points, item.method, item.metric, item.metric_value) == (
        points,
        "auto",
        "satisfaction_index",
        value,
    )
    assert result.score == 90 + points


def test_an_auto_filled_item_shows_its_metric_value():
    result = one(metrics={**FULL_METRICS, "complaints_on_time_share": 0.9, "rating_volume": 240})
    texts = line_texts(result)
    assert (
        "投诉按时办结率 3.75/5："
        "自动取数：投诉按时办结率 90%（60% 得 0 分，100% 得满分，其间按比例）" in texts
    )
    assert (
        "办件量及评价量 4.00/5：自动取数：评价量 240（0 得 0 分，300 得满分，其间按比例）" in texts
    )


def test_a_missing_metric_counts_zero_and_is_flagged():
    result = one(metrics={"satisfaction_index": 95, "rating_volume": 300})
    assert result.item("operation.complaints_on_time").method == "no_data"
    assert "no_data:operation.complaints_on_time" in result.flags
    assert result.score == 95


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (
            MemberScore("m9", "cross_staff", {"operation.hours": 6}),
            "dongyuan: member m9 (cross_staff): operation.hours must be between 0 and 5, got 6",
        ),
        (
            MemberScore("m9", "cross_staff", {"operation.hours": -1}),
            "dongyuan: member m9 (cross_staff): operation.hours must be between 0 and 5, got -1",
        ),
        (
            MemberScore("m9", "resident_rep", {"operation.satisfaction": 8}),
            "operation.satisfaction is filled from data, not scored by members",
        ),
        (
            MemberScore("m9", "resident_rep", {"operation.staffing": 8}),
            "unknown item 'operation.staffing'",
        ),
    ],
)
def test_a_members_score_that_does_not_fit_the_item_is_refused(member, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        one(members=(member,))


def test_only_the_roles_a_scheme_names_may_score_an_item():
    resident = MemberScore("r1", "resident_rep", {"superior.overall": 9})
    with pytest.raises(ValueError, match=re.escape("superior.overall may be scored only by")):
        one(WORKSTATION, members=(resident,))
    # The shipped group's two district assessors score it; the others leave it blank.
    result = one(
        WORKSTATION, members=members(WORKSTATION, 5, {"superior.overall": [9, 7] + [0] * 3})
    )
    assert result.item("superior.overall").given == (9, 7)
    assert result.item("superior.overall").points == 8


def test_nobody_scores_their_own_station():
    own = MemberScore("m1", "cross_staff", {}, home_station_id="dongyuan")
    with pytest.raises(ValueError, match="may not score their own station"):
        station(members=(own,))


def test_a_bonus_category_counts_at_most_its_max():
    # 工作创新 gives 1–5 per matter and 5 in all: 4 + 3 = 7 counts 5.
    result = one(
        bonuses=(BonusClaim("innovation", "智慧助老", 4), BonusClaim("innovation", "帮办代办", 3))
    )
    assert (result.bonus_claimed, result.bonus_applied, result.score) == (7, 5, 105)
    assert "bonus_category_capped:innovation" in result.flags
    assert "工作创新合计 7.00，超过本类上限 5.00，按 5.00 计" in line_texts(result)


def test_all_bonuses_together_count_at_most_the_cap():
    # 上级表彰 8 + 经验推广 5 + 工作创新 2 = 15, capped at 10.
    result = one(
        bonuses=(
            BonusClaim("commendation", "市级表彰", 8),
            BonusClaim("promotion", "经验交流", 5),
            BonusClaim("innovation", "智慧助老", 2),
        )
    )
    assert (result.bonus_applied, result.score) == (10, 110)
    assert "bonus_capped" in result.flags
    assert "加分合计 15.00，超过上限 10.00，按 10.00 计" in line_texts(result)
    assert result.grade == "优秀"


def test_the_same_matter_counts_once_at_its_highest_claim():
    result = one(
        bonuses=(
            BonusClaim("innovation", "智慧助老", 4),
            BonusClaim("commendation", "智慧助老", 6),
            BonusClaim("promotion", "智慧助老", 2),
        )
    )
    assert (result.bonus_claimed, result.bonus_applied) == (6, 6)
    counted = {(b.category, b.points, b.superseded) for b in result.bonuses}
    assert counted == {
        ("innovation", 0, True),
        ("commendation", 6, False),
        ("promotion", 0, True),
    }
    assert "加分 +0.00：工作创新 · 智慧助老 申报 4.00，同一事项已按最高 6.00 计，不重复加分" in (
        line_texts(result)
    )


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        (BonusClaim("innovation", "x", 6), "innovation gives 1 to 5 points, got 6"),
        (BonusClaim("innovation", "x", 0.5), "innovation gives 1 to 5 points, got 0.5"),
        (BonusClaim("lottery", "x", 1), "unknown category 'lottery'"),
    ],
)
def test_a_bonus_claim_outside_its_category_is_refused(claim, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        one(bonuses=(claim,))


def test_deductions_follow_category_and_severity():
    result = one(
        deductions=(
            Deduction("complaint", "C-1", "minor", ref="C-1"),
            Deduction("complaint", "C-2", "major", ref="C-2"),
            Deduction("complaint", "C-3", "severe", ref="C-3"),
            Deduction("negligence", "迟开门", "major", ref="督查单 7"),
            Deduction("exposure", "晚报报道"),
        )
    )
    # 3 + 5 + 10 + 3 + 10 = 31; the 2019 checklist has no deduction cap.
    assert (result.deduction_claimed, result.deduction_applied, result.score) == (31, 31, 69)
    assert result.grade == "一般"
    # A ref that is the matter itself is not named twice; another ref is.
    assert "扣分 −10.00：居民投诉（经核实）（严重） · C-3" in line_texts(result)
    assert "扣分 −3.00：工作不力、不作为（较重） · 迟开门，编号 督查单 7" in line_texts(result)


def test_a_deduction_whose_ground_is_not_final_is_pending_and_deducts_nothing():
    result = one(
        deductions=(
            Deduction("complaint", "#7", "major", ref="#7"),
            Deduction("complaint", "#8", "severe", ref="#8", pending="appeal_window"),
            Deduction("complaint", "#9", "minor", ref="#9", pending="appeal"),
        )
    )
    assert (result.deduction_applied, result.score) == (5, 95)
    assert "deductions_pending" in result.flags
    assert [entry.ref for entry in result.deductions] == ["#7"]
    texts = line_texts(result)
    assert "待定：居民投诉（经核实）（严重） · #8，仍在申诉期内，暂不扣分" in texts
    assert "待定：居民投诉（经核实）（一般） · #9，申诉待复核，暂不扣分" in texts
    assert explained_points(result) == result.score


def test_a_pending_deduction_must_still_fit_its_category():
    with pytest.raises(ValueError, match="complaint deducts by severity; name it"):
        one(deductions=(Deduction("complaint", "#8", ref="#8", pending="appeal"),))
    with pytest.raises(ValueError, match="pending must be None, appeal or appeal_window"):
        Deduction("complaint", "#8", "minor", pending="later")  # type: ignore[arg-type]


def test_the_workstation_caps_deductions_at_20():
    result = one(
        WORKSTATION,
        deductions=(
            Deduction("exposure", "晚报报道"),
            Deduction("complaint", "C-3", "severe", ref="C-3"),
            Deduction("negligence", "迟开门", "severe"),
        ),
    )
    assert (result.deduction_claimed, result.deduction_applied, result.score) == (25, 20, 80)
    assert "deductions_capped" in result.flags
    assert "扣分合计 25.00，超过上限 20.00，按 20.00 计" in line_texts(result)
    assert result.grade == "合格"


def test_the_same_matter_deducts_once_at_its_highest():
    result = one(
        deductions=(
            Deduction("negligence", "窗口无人", "minor"),
            Deduction("exposure", "窗口无人"),
        )
    )
    assert result.deduction_applied == 10
    assert "deduction_superseded" in result.flags


@pytest.mark.parametrize(
    ("deduction", "message"),
    [
        (Deduction("complaint", "C-1"), "complaint deducts by severity; name it"),
        (Deduction("exposure", "x", "minor"), "exposure deducts a flat amount, without a severity"),
        (Deduction("fine", "x"), "unknown category 'fine'"),
    ],
)
def test_a_deduction_that_does_not_fit_its_category_is_refused(deduction, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        one(deductions=(deduction,))


def test_a_score_below_zero_is_floored_and_the_floor_explained():
    nothing = members(S2019, 5, {leaf.code: [0] * 5 for leaf in S2019.leaves})
    result = one(members=nothing, metrics={}, deductions=(Deduction("exposure", "x"),))
    assert result.score == 0
    assert "floored" in result.flags
    assert explained_points(result) == 0


def test_equal_scores_share_a_rank_and_the_next_rank_is_skipped():
    def scored(sid, points):
        # Every item full, but 按公示时间开放 (5 points) given `points` by everyone.
        return station(sid, members=members(S2019, 5, {"operation.hours": [points] * 5}))

    result = evaluate_round([scored("d", 1), scored("b", 4), scored("a", 5), scored("c", 4)], S2019)
    assert [(r.station_id, r.score, r.rank) for r in result.results] == [
        ("a", 100, 1),
        ("b", 99, 2),
        ("c", 99, 2),
        ("d", 96, 4),
    ]
    assert "排名：第 2 名（共 4 个服务站），与另外 1 个服务站同分，名次并列" in line_texts(
        result.result_for("b")
    )


def busy_round(scheme):
    """Return a round with blanks, trimming, auto items, capped bonus and deductions."""
    overrides = {leaf.code: [leaf.max_points, 3, 2.5, None, 1] for leaf in scheme.leaves[:6]}
    return evaluate_round(
        [
            station(
                "a",
                scheme,
                members=members(scheme, 5, overrides),
                metrics={"satisfaction_index": 81.3, "complaints_on_time_share": 0.83},
                bonuses=(
                    BonusClaim("innovation", "智慧助老", 3),
                    BonusClaim("commendation", "智慧助老", 5),
                    BonusClaim("commendation", "区级表彰", 4),
                ),
                deductions=(
                    Deduction("complaint", "C-7", "major", ref="C-7"),
                    Deduction("negligence", "台账缺失", "minor"),
                    Deduction("complaint", "#9", "severe", ref="#9", pending="appeal_window"),
                ),
            ),
            station("b", scheme, members=members(scheme, 4), metrics={"rating_volume": 17}),
            station("c", scheme, members=(), metrics={}),
        ],
        scheme,
    )


@pytest.mark.parametrize("scheme", [S2019, WORKSTATION], ids=["2019", "workstation"])
def test_the_explanation_adds_up_to_the_score(scheme):
    for result in busy_round(scheme).results:
        assert explained_points(result) == result.score
        leaves = [item.points for item in result.items if item.is_leaf]
        assert round(sum(leaves), 2) == result.base
        assert result.score == round(
            result.base + result.bonus_applied - result.deduction_applied, 2
        )


def test_a_round_survives_a_json_snapshot_and_renders_the_same():
    for scheme in (S2019, WORKSTATION):
        result = busy_round(scheme)
        stored = json.dumps(round_to_dict(result), ensure_ascii=False)
        back = round_from_dict(json.loads(stored))
        assert back == result
        for before, after in zip(result.results, back.results, strict=True):
            assert [line.phrase.render() for line in after.explanation] == line_texts(before)


def test_the_order_of_the_input_does_not_change_the_result():
    claims = (BonusClaim("innovation", "m", 2), BonusClaim("innovation", "n", 4))
    a, b = station("a", bonuses=claims), station("b", bonuses=claims[::-1])
    forward, backward = evaluate_round([a, b], S2019), evaluate_round([b, a], S2019)
    assert forward == backward
    assert forward.results[0].explanation[1:] == forward.results[1].explanation[1:]


def test_a_station_listed_twice_is_refused():
    with pytest.raises(ValueError, match="stations listed twice: a"):
        evaluate_round([station("a"), station("a")], S2019)

"""The scheme file: the shipped default, loading from a path, and rejecting bad entries."""

import re
from importlib import resources

import pytest
from scoring_helpers import default_scheme_data, with_changes

from scoring import (
    Adjustment,
    Assessment,
    ComplaintFinding,
    SchemeError,
    default_scheme,
    load_scheme,
    parse_scheme,
)


def test_default_scheme_holds_the_centres_rubric(scheme):
    tops = [(c.code, c.label, c.max_points) for c in scheme.rubric]
    assert tops == [
        ("quality", "服务质量", 40),
        ("work", "工作效率", 30),
        ("team", "团队合作", 20),
        ("satisfaction", "居民满意度", 10),
    ]
    leaves = [(c.code, c.label, c.max_points) for c in scheme.leaves]
    assert leaves == [
        ("quality.attitude", "服务态度", 10),
        ("quality.efficiency", "服务效率", 10),
        ("quality.standard", "服务质量", 20),
        ("work.completion", "任务完成", 15),
        ("work.process", "流程优化", 10),
        ("work.innovation", "工作创新", 5),
        ("team.cooperation", "协作精神", 10),
        ("team.communication", "沟通能力", 5),
        ("team.cohesion", "团队凝聚力", 5),
        ("satisfaction.suggestions", "意见建议处理", 5),
        ("satisfaction.complaints", "投诉处理", 5),
    ]
    assert sum(c.max_points for c in scheme.leaves) == 100
    assert scheme.criterion("work.innovation").label == "工作创新"


def test_default_scheme_holds_the_centres_numbers(scheme):
    assert scheme.name == "窗口人员考核方案"
    assert scheme.version == "2026.3"
    assert dict(scheme.weights) == {"self": 0.1, "supervisor": 0.4, "residents": 0.3, "peer": 0.2}
    assert scheme.level_points == (0, 20, 60, 80, 100)
    assert scheme.prior_weight == 10
    assert scheme.min_ratings == 10
    assert scheme.peer_trim is True
    assert scheme.peer_trim_min_count == 5
    assert scheme.bonus_cap == 10
    assert dict(scheme.complaint_deductions) == {"minor": 3, "major": 5, "severe": 10}
    assert (scheme.score_min, scheme.score_max) == (0, 110)
    assert [(g.label, g.min_score) for g in scheme.grades] == [
        ("优秀", 90),
        ("良好", 80),
        ("合格", 60),
        ("不合格", 0),
    ]
    assert scheme.quota is None
    assert scheme.veto is not None
    assert scheme.veto.severities == ("severe",)


def test_a_scheme_file_is_loaded_from_a_path_and_keeps_its_version(tmp_path, scheme):
    shipped = resources.files("scoring").joinpath("default_scheme.toml").read_text("utf-8")
    path = tmp_path / "scheme.toml"
    path.write_text(shipped.replace('version = "2026.3"', 'version = "2027.1-试行"'), "utf-8")

    loaded = load_scheme(path)

    assert loaded.version == "2027.1-试行"
    assert loaded.rubric == scheme.rubric


def test_a_file_that_is_not_toml_is_rejected_naming_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ", encoding="utf-8")
    with pytest.raises(SchemeError, match=re.escape("bad.toml: not valid TOML")):
        load_scheme(bad)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights.self": 1.5}, "weights.self: must be between 0 and 1"),
        ({"weights.self": -0.1}, "weights.self: must be between 0 and 1"),
        ({"weights.self": "10%"}, "weights.self: must be a number"),
        ({"weights.peer": 0.3}, r"weights: must sum to 1 \(they sum to 1.1\)"),
        ({"rubric.0.max": 45}, "rubric.quality: children sum to 40 but max is 45"),
        (
            {"rubric.0.children.0.max": 15},
            "rubric.quality: children sum to 45 but max is 40",
        ),
        ({"rubric.0.children.0.code": "Attitude"}, "must be lower-case ASCII"),
        ({"rubric.0.children.1.code": "attitude"}, "rubric.quality.attitude: duplicate code"),
        ({"grades.1.min": 95}, r"grades\[1\].min: grade bands must be descending"),
        ({"grades.2.min": 80}, r"grades\[2\].min: grade bands must be descending"),
        ({"grades.3.min": 10}, r"grades\[3\].min: the last band must start at or below"),
        ({"satisfaction.level_points.3": 90}, "satisfaction.level_points: must not decrease"),
        ({"satisfaction.level_points.5": 90}, "satisfaction.level_points.5: must be 100"),
        ({"satisfaction.level_points.1": 101}, "satisfaction.level_points.1: must be between"),
        ({"satisfaction.min_ratings": 2.5}, "satisfaction.min_ratings: must be a whole number"),
        ({"satisfaction.prior_weight": -1}, "satisfaction.prior_weight: must be at least 0"),
        ({"peers.min_count": 2}, "peers.min_count: must be at least 3"),
        ({"peers.trim": "yes"}, "peers.trim: must be true or false"),
        ({"adjustments.bonus_cap": -5}, "adjustments.bonus_cap: must be at least 0"),
        ({"quota.share": 0}, "quota.share: must be greater than 0 and at most 1"),
        ({"veto.severities": ["fatal"]}, "veto.severities: unknown value 'fatal'"),
        ({"veto.severities": []}, "veto.severities: must name at least one severity"),
        ({"score.max": 0}, "score.max: must be greater than score.min"),
        ({"version": 3}, "version: must be a non-empty string"),
        ({"weights.boss": 0.1}, "weights.boss: unknown key"),
        ({"bonus_cap": 10}, "bonus_cap: unknown key"),
    ],
)
def test_an_invalid_scheme_is_rejected_naming_the_bad_entry(changes, message):
    with pytest.raises(SchemeError, match=message):
        parse_scheme(with_changes(changes))


def test_a_missing_entry_is_named():
    data = default_scheme_data()
    del data["adjustments"]["complaint_deductions"]["severe"]
    with pytest.raises(
        SchemeError, match=re.escape("adjustments.complaint_deductions.severe: missing")
    ):
        parse_scheme(data)


def test_peer_trimming_and_the_veto_can_be_switched_off(scheme_with):
    changed = scheme_with({"peers.trim": False, "veto.enabled": False, "quota.enabled": True})
    assert changed.peer_trim is False
    assert changed.veto is None
    assert changed.quota is not None
    assert changed.quota.seats(5) == 1


@pytest.mark.parametrize(
    ("ranked", "seats"), [(0, 0), (1, 1), (4, 1), (5, 1), (9, 1), (10, 2), (14, 2), (15, 3)]
)
def test_the_quota_is_a_fifth_rounded_down_but_at_least_one(scheme_with, ranked, seats):
    quota = scheme_with({"quota.enabled": True}).quota
    assert quota is not None
    assert quota.seats(ranked) == seats


def test_an_assessment_with_an_unknown_criterion_is_rejected_naming_it(scheme, assess):
    scores = dict(assess("p1", "peer", 80).scores)
    scores["quality.smile"] = 3
    with pytest.raises(ValueError, match=re.escape("unknown criterion 'quality.smile'")):
        Assessment("p1", "peer", scores).check(scheme)


def test_an_assessment_over_a_criterions_max_is_rejected_naming_it(scheme, assess):
    scores = dict(assess("p1", "peer", 80).scores)
    scores["work.innovation"] = 6
    with pytest.raises(
        ValueError, match=re.escape("work.innovation must be between 0 and 5, got 6")
    ):
        Assessment("p1", "peer", scores).check(scheme)


def test_an_assessment_that_skips_a_criterion_is_rejected_naming_it(scheme, assess):
    scores = dict(assess("p1", "peer", 80).scores)
    del scores["team.cohesion"]
    with pytest.raises(ValueError, match=re.escape("no points for team.cohesion")):
        Assessment("p1", "peer", scores).check(scheme)


def test_inputs_reject_what_cannot_be_scored():
    with pytest.raises(ValueError, match="kind must be self, peer or supervisor"):
        Assessment("x", "boss", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="greater than 0"):
        Adjustment("bonus", 0, "表彰")
    with pytest.raises(ValueError, match="needs an approver"):
        Adjustment("deduction", 2, "迟到")
    with pytest.raises(ValueError, match="needs a reason"):
        Adjustment("bonus", 2, "  ")
    with pytest.raises(ValueError, match="severity must be minor, major or severe"):
        ComplaintFinding("C1", "fatal")  # type: ignore[arg-type]


def test_publication_of_scores_is_off_unless_the_scheme_turns_it_on(scheme_with):
    assert default_scheme().publish_scores is False
    assert scheme_with({"publication.scores": True}).publish_scores is True
    data = default_scheme_data()
    del data["publication"]
    assert parse_scheme(data).publish_scores is False
    with pytest.raises(SchemeError, match=r"^publication\.scores: must be true or false$"):
        scheme_with({"publication.scores": "yes"})


def test_the_objection_period_is_the_schemes_with_five_working_days_by_default(scheme_with):
    assert default_scheme().objection_days == 5
    assert scheme_with({"feedback.objection_days": 10}).objection_days == 10
    data = default_scheme_data()
    del data["feedback"]
    assert parse_scheme(data).objection_days == 5
    with pytest.raises(SchemeError, match=r"^feedback\.objection_days: must be at least 1$"):
        scheme_with({"feedback.objection_days": 0})


def test_consequences_map_grades_and_refuse_unknown_or_repeated_grades(scheme_with):
    excellent = default_scheme().consequences["excellent"]
    assert (excellent.bonus_coefficient, excellent.commendation, excellent.talk) == (
        1.2,
        True,
        False,
    )
    assert default_scheme().consequences["fail"].talk
    data = default_scheme_data()
    del data["consequences"]
    assert parse_scheme(data).consequences == {}
    with pytest.raises(SchemeError, match=r"^consequences\[0\]\.grade: unknown grade 'top'"):
        scheme_with({"consequences.0.grade": "top"})
    with pytest.raises(SchemeError, match=r"already has its consequences$"):
        scheme_with({"consequences.1.grade": "excellent"})
    with pytest.raises(SchemeError, match=r"^consequences\[0\]\.bonus_coefficient: must be"):
        scheme_with({"consequences.0.bonus_coefficient": -1})

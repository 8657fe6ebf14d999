"""Properties that must hold for any input (Hypothesis)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from scoring_helpers import with_changes

from scoring import (
    Adjustment,
    Assessment,
    ComplaintFinding,
    LevelCounts,
    StaffInput,
    default_scheme,
    evaluate_period,
    parse_scheme,
    rank_satisfaction,
    result_from_dict,
    result_to_dict,
    satisfaction_index,
)

SCHEME = default_scheme()
SCHEMES = [
    SCHEME,
    parse_scheme(with_changes({"quota.enabled": True, "veto.enabled": False})),
    parse_scheme(with_changes({"quota.enabled": True, "peers.trim": False})),
]
NAMES = ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]

counts = st.builds(
    LevelCounts.of,
    l1=st.integers(0, 15),
    l2=st.integers(0, 15),
    l3=st.integers(0, 15),
    l4=st.integers(0, 15),
    l5=st.integers(0, 40),
)
hall_means = st.integers(0, 10_000).map(lambda cents: cents / 100)


@st.composite
def assessment_scores(draw):
    """Return quarter points, 0..max, for every leaf criterion."""
    return {leaf.code: draw(st.integers(0, int(leaf.max_points * 4))) / 4 for leaf in SCHEME.leaves}


adjustments = st.builds(
    Adjustment,
    kind=st.sampled_from(["bonus", "deduction"]),
    points=st.integers(1, 1500).map(lambda cents: cents / 100),
    reason=st.sampled_from(["创新", "表彰", "迟到", "离岗"]),
    approver=st.just("王主任"),
    ref=st.none() | st.sampled_from(["K-1", "K-2"]),
)


@st.composite
def staff_input(draw, staff_id, colleagues):
    assessments = []
    if draw(st.booleans()):
        assessments.append(Assessment(staff_id, "self", draw(assessment_scores())))
    for boss in draw(st.lists(st.sampled_from(["boss1", "boss2"]), unique=True, max_size=2)):
        assessments.append(Assessment(boss, "supervisor", draw(assessment_scores())))
    peers = [c for c in colleagues if c != staff_id]
    chosen = draw(st.lists(st.sampled_from(peers), unique=True, max_size=6)) if peers else []
    for peer in chosen:
        assessments.append(Assessment(peer, "peer", draw(assessment_scores())))
    complaint_ids = draw(st.lists(st.sampled_from(["C1", "C2", "C3"]), unique=True, max_size=3))
    complaints = [
        ComplaintFinding(cid, draw(st.sampled_from(["minor", "major", "severe"])))
        for cid in complaint_ids
    ]
    return StaffInput(
        staff_id,
        draw(counts),
        tuple(assessments),
        tuple(draw(st.lists(adjustments, max_size=4))),
        tuple(complaints),
    )


@st.composite
def periods(draw):
    ids = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=6))
    # Peers come from a wider circle than those evaluated, as in a real hall.
    return [draw(staff_input(sid, NAMES)) for sid in ids]


def shuffled(items, rnd):
    items = list(items)
    rnd.shuffle(items)
    return tuple(items)


@given(periods(), st.sampled_from(SCHEMES), hall_means | st.none())
def test_scores_stay_within_their_bounds_and_the_lines_add_up(staff, scheme, mean):
    period = evaluate_period(staff, scheme, hall_mean=mean)

    assert 0 <= period.hall_mean <= 100
    for result in period.results:
        assert 0 <= result.satisfaction.smoothed <= 100
        for source in result.sources:
            assert source.value is None or 0 <= source.value <= 100
        if result.score is None:
            assert result.rank is None and result.grade is None
            continue
        assert result.base_score is not None
        assert 0 <= result.base_score <= 100
        assert scheme.score_min <= result.score <= scheme.score_max
        assert result.bonus_applied <= scheme.bonus_cap
        assert 1 <= result.rank <= period.ranked_count
        assert result.grade in {band.label for band in scheme.grades}
        points = sum(line.points for line in result.explanation if line.points is not None)
        assert round(points, 2) == result.score


@given(periods(), st.sampled_from(SCHEMES))
def test_ranks_follow_the_scores_and_the_quota_holds(staff, scheme):
    period = evaluate_period(staff, scheme)
    ranked = [r for r in period.results if r.rank is not None]

    for better, worse in itertools.pairwise(ranked):
        assert better.rank <= worse.rank
        assert better.score >= worse.score
    if scheme.quota is not None:
        excellent = [r for r in ranked if r.grade == scheme.grades[0].label]
        best_ranks = sorted({r.rank for r in excellent})
        # Only candidates tied on every measure can go beyond the seats together.
        assert len(best_ranks) <= period.quota_seats


@given(counts, hall_means)
def test_adding_a_very_satisfied_rating_never_lowers_the_index(ratings, mean):
    before = satisfaction_index(ratings, mean, SCHEME)
    after = satisfaction_index(ratings + LevelCounts.of(l5=1), mean, SCHEME)
    assert after.smoothed >= before.smoothed


@given(counts, hall_means)
def test_adding_a_very_dissatisfied_rating_never_raises_the_index(ratings, mean):
    before = satisfaction_index(ratings, mean, SCHEME)
    after = satisfaction_index(ratings + LevelCounts.of(l1=1), mean, SCHEME)
    assert after.smoothed <= before.smoothed


@given(periods(), st.sampled_from(SCHEMES), st.randoms(use_true_random=False))
def test_the_order_of_inputs_never_changes_results(staff, scheme, rnd):
    reordered = [
        StaffInput(
            person.staff_id,
            person.ratings,
            shuffled(person.assessments, rnd),
            shuffled(person.adjustments, rnd),
            shuffled(person.complaints, rnd),
        )
        for person in shuffled(staff, rnd)
    ]
    assert evaluate_period(reordered, scheme) == evaluate_period(staff, scheme)


def rename(person, names):
    def new(name):
        return names.get(name, name)

    return StaffInput(
        new(person.staff_id),
        person.ratings,
        tuple(Assessment(new(a.assessor_id), a.kind, a.scores) for a in person.assessments),
        person.adjustments,
        person.complaints,
    )


@given(periods(), st.sampled_from(SCHEMES), st.randoms(use_true_random=False), st.data())
def test_a_persons_result_does_not_depend_on_how_others_are_named(staff, scheme, rnd, data):
    subject = data.draw(st.sampled_from([p.staff_id for p in staff]))
    others = [n for n in [*NAMES, "boss1", "boss2"] if n != subject]
    fresh = [f"z{i}" if rnd.random() < 0.5 else f"a{i}" for i in range(len(others))]
    names = dict(zip(others, shuffled(fresh, rnd), strict=True))

    renamed = [rename(person, names) for person in staff]

    before = evaluate_period(staff, scheme).result_for(subject)
    after = evaluate_period(renamed, scheme).result_for(subject)
    assert after == before


@given(st.dictionaries(st.sampled_from(NAMES), counts, max_size=7), st.randoms())
def test_the_board_does_not_depend_on_input_order(subjects, rnd):
    reordered = dict(shuffled(subjects.items(), rnd))
    assert rank_satisfaction(reordered, SCHEME) == rank_satisfaction(subjects, SCHEME)


TYPED = ["创新", "表彰", "迟到", "离岗", "王主任"]  # what people typed: shown as written
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@given(periods(), st.sampled_from(SCHEMES))
def test_every_explanation_line_can_be_read_in_another_language(staff, scheme):
    """Each line's stored phrase renders to its text, and all its words go through a catalog."""
    stored = json.loads(json.dumps(result_to_dict(evaluate_period(staff, scheme))))
    for result in result_from_dict(stored).results:
        for line in result.explanation:
            assert line.phrase is not None and line.phrase.render() == line.text
            foreign = line.phrase.render(lambda words: CHINESE.sub("x", words))
            for typed in TYPED:
                foreign = foreign.replace(typed, "")
            assert not CHINESE.search(foreign), line.text
        for entry in result.adjustments:  # reasons the package wrote carry their phrase
            written_by_package = entry.kind in ("complaint", "bonus_cap")
            assert (entry.phrase is not None) is written_by_package
            if written_by_package:
                assert entry.phrase is not None and entry.phrase.render() == entry.reason


def as_asdict_gave_it(value: Any) -> Any:
    """Return a result the way snapshots were stored before: asdict, tuples as lists."""
    if isinstance(value, dict):
        return {str(key): as_asdict_gave_it(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_asdict_gave_it(item) for item in value]
    return value


@given(periods(), st.sampled_from(SCHEMES))
def test_the_plain_form_is_the_one_stored_snapshots_have(staff, scheme):
    result = evaluate_period(staff, scheme)

    plain = result_to_dict(result)

    # The same keys in the same order, the same values: byte for byte the same JSON.
    rows = [as_asdict_gave_it(asdict(person)) for person in result.results]
    assert json.dumps(plain, ensure_ascii=False) == json.dumps(
        {**plain, "results": rows}, ensure_ascii=False
    )


@given(periods(), st.sampled_from(SCHEMES))
def test_a_result_reads_back_from_its_stored_form_unchanged(staff, scheme):
    result = evaluate_period(staff, scheme)

    stored = json.loads(json.dumps(result_to_dict(result)))

    assert result_from_dict(stored) == result

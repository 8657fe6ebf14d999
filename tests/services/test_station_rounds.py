"""Station assessment rounds: opening one, its group, each member's points and the live result.

Numbers are worked out by hand from the 2019 checklist (scoring/station_2019.toml).
"""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, RoundMember, RoundScore, User
from kiosk.services import round_scores, station_rounds
from kiosk.services.round_scores import Entry
from kiosk.services.station_rounds import RoundError
from tests.services.conftest import _open

NOW = datetime(2026, 12, 7, 2, 0)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_district_admin_opens_a_round_of_its_stations_and_it_is_audited(world, backend):
    round_ = _open(world)
    assert (round_.kind, round_.period, round_.scheme, round_.status) == (
        "quarter",
        "2026Q4",
        "2019",
        "open",
    )
    assert [hall.slug for hall in station_rounds.round_halls(round_)] == ["anle", "xingfu"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "station_round.open"))
    assert entry is not None and entry.actor_id == world["admin"].id
    assert entry.detail["stations"] == ["anle", "xingfu"] and entry.hall_id is None


def test_a_spot_check_takes_its_day_instead_of_a_period(world):
    round_ = _open(world, kind="spot_check", period=None, spot_check_on=date(2026, 12, 3))
    assert (round_.period, round_.spot_check_on) == (None, date(2026, 12, 3))
    with pytest.raises(RoundError, match="抽查日期"):
        _open(world, kind="spot_check", period=None, spot_check_on=None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scheme": "2018"}, "考核方案"),
        ({"kind": "weekly"}, "考核类型"),
        ({"period": "2026-11"}, "不一致"),
        ({"period": "someday"}, "无法识别"),
        ({"title": "  "}, "名称"),
        ({"hall_ids": []}, "至少选择"),
    ],
)
def test_a_round_that_does_not_fit_is_refused_and_nothing_is_written(world, fields, message):
    with pytest.raises(RoundError, match=message):
        _open(world, **fields)
    db.session.rollback()
    assert station_rounds.district_rounds(world["own"].id) == []
    assert _actions() == []


def test_a_round_takes_only_the_districts_own_stations(world):
    with pytest.raises(RoundError, match="本街道的站点"):
        _open(world, hall_ids=[world["xingfu"].id, world["xinhe"].id])
    with pytest.raises(RoundError, match="本街道的站点"):
        _open(world, hall_ids=[world["xingfu"].id, 999])


@pytest.mark.parametrize("who", ["assessor", "clerk", "rep"])
def test_only_the_districts_admin_opens_rounds_or_names_the_group(world, who, make_user):
    with pytest.raises(RoundError) as refused:
        _open(world, actor=world[who])
    assert refused.value.status == 403
    other_admin = make_user("hp-admin", "district_admin", district=world["other"])
    with pytest.raises(RoundError):
        _open(world, actor=other_admin)
    round_ = _open(world)
    with pytest.raises(RoundError) as refused:
        station_rounds.add_member(round_, world["assessor"], actor=world[who])
    assert refused.value.status == 403


def test_the_group_takes_assessors_station_staff_and_representatives_of_the_district(world):
    round_ = _open(world)
    offered = {(c.user.username, c.role) for c in station_rounds.candidates(round_)}
    assert offered == {
        ("jd-assessor", "district_assessor"),
        ("jd-assessor2", "district_assessor"),
        ("xf-clerk", "cross_staff"),
        ("jd-rep", "resident_rep"),
    }
    clerk = station_rounds.add_member(round_, world["clerk"], actor=world["admin"])
    rep = station_rounds.add_member(round_, world["rep"], actor=world["admin"])
    db.session.commit()
    assert (clerk.role, clerk.home_hall_id) == ("cross_staff", world["xingfu"].id)
    assert (rep.role, rep.home_hall_id) == ("resident_rep", None)
    assert "xf-clerk" not in {c.user.username for c in station_rounds.candidates(round_)}
    assert _actions() == [
        "station_round.open",
        "station_round.add_member",
        "station_round.add_member",
    ]
    for outsider in ("foreign_rep", "foreign_clerk", "admin"):
        with pytest.raises(RoundError, match="不能加入"):
            station_rounds.add_member(round_, world[outsider], actor=world["admin"])
    with pytest.raises(RoundError, match="已在考核组"):
        station_rounds.add_member(round_, world["rep"], actor=world["admin"])


def test_a_representative_scores_only_in_rounds_it_was_invited_to(world):
    invited, other = _open(world), _open(world, title="抽查")
    member = station_rounds.add_member(invited, world["rep"], actor=world["admin"])
    db.session.commit()
    assert [r.id for r, _m in station_rounds.member_rounds(world["rep"], world["own"].id)] == [
        invited.id
    ]
    assert station_rounds.membership(other, world["rep"]) is None
    # Its membership of one round gives no way into another.
    with pytest.raises(RoundError) as refused:
        round_scores.save_scores(
            other,
            world["anle"],
            member,
            {"operation.hours": Entry(5)},
            actor=world["rep"],
            now=NOW,
        )
    assert refused.value.status == 403


def test_a_member_never_sees_or_scores_their_own_station(world):
    round_ = _open(world)
    clerk = station_rounds.add_member(round_, world["clerk"], actor=world["admin"])
    db.session.commit()
    assert [h.slug for h in station_rounds.stations_to_score(round_, clerk)] == ["anle"]
    with pytest.raises(RoundError, match="本人所在的站点") as refused:
        round_scores.save_scores(
            round_,
            world["xingfu"],
            clerk,
            {"operation.hours": Entry(5)},
            actor=world["clerk"],
            now=NOW,
        )
    assert refused.value.status == 403
    assert db.session.scalar(select(func.count(RoundScore.id))) == 0


@pytest.mark.parametrize(
    ("code", "points", "message"),
    [
        ("operation.satisfaction", 8, "自动计分"),
        ("operation.volume", 1, "自动计分"),
        ("operation.hours", 5.5, "0 至 5"),
        ("operation.hours", -1, "0 至 5"),
        ("operation.staffing", 8, "各子项"),
        ("operation.nothing", 1, "不存在"),
    ],
)
def test_items_filled_from_data_and_points_out_of_range_are_refused(world, code, points, message):
    round_ = _open(world)
    member = station_rounds.add_member(round_, world["assessor"], actor=world["admin"])
    db.session.commit()
    with pytest.raises(RoundError, match=message) as refused:
        round_scores.save_scores(
            round_,
            world["anle"],
            member,
            {"operation.hours": Entry(4), code: Entry(points)},
            actor=world["assessor"],
            now=NOW,
        )
    assert refused.value.item == code
    # The good entry beside it is not written either.
    assert db.session.scalar(select(func.count(RoundScore.id))) == 0


def test_a_member_scores_only_as_themselves(world):
    round_ = _open(world)
    member = station_rounds.add_member(round_, world["assessor"], actor=world["admin"])
    with pytest.raises(RoundError) as refused:
        round_scores.save_scores(
            round_,
            world["anle"],
            member,
            {"operation.hours": Entry(4)},
            actor=world["assessor2"],
            now=NOW,
        )
    assert refused.value.status == 403


def _score(round_, hall, user: User, points: float, note: str = "") -> int:  # type: ignore[no-untyped-def]
    member = station_rounds.membership(round_, user)
    assert member is not None
    changed = round_scores.save_scores(
        round_, hall, member, {"operation.hours": Entry(points, note)}, actor=user, now=NOW
    )
    db.session.commit()
    return changed


def test_the_live_result_combines_the_members_points_and_keeps_who_gave_them(world, make_user):
    round_ = _open(world)
    users = [world["assessor"], world["assessor2"], world["rep"], world["clerk"]]
    users.append(make_user("jd-assessor3", "district_assessor", district=world["own"]))
    for user in users:
        station_rounds.add_member(round_, user, actor=world["admin"])
    db.session.commit()
    # 按公示时间开放 (5 points) for anle: 5, 4, 3, 2 from four members: mean 3.5.
    for user, points in zip(users[:4], (5, 4, 3, 2), strict=True):
        assert _score(round_, world["anle"], user, points) == 1
    item = round_scores.live_result(round_).result_for("anle").item("operation.hours")
    assert (item.points, item.given, item.dropped) == (3.5, (5, 4, 3, 2), ())
    # A fifth member gives 0: the highest (5) and the lowest (0) are dropped, (4 + 3 + 2) / 3 = 3.
    _score(round_, world["anle"], users[4], 0)
    result = round_scores.live_result(round_)
    anle = result.result_for("anle")
    assert (anle.item("operation.hours").points, anle.item("operation.hours").dropped) == (
        3,
        (5, 0),
    )
    assert anle.score == 3 and anle.grade == "较差"
    assert [r.station_id for r in result.results] == ["anle", "xingfu"]
    assert (result.result_for("xingfu").score, result.result_for("xingfu").rank) == (0, 2)
    lines = [line.text for line in anle.explanation]
    assert any("去掉最高 5 和最低 0" in text for text in lines)
    assert any("本期无满意度指数数据" in text for text in lines)
    assert sum(line.points or 0 for line in anle.explanation) == pytest.approx(anle.score)
    # Who gave what stays in the rows, one per member.
    givers = db.session.scalars(
        select(User.username)
        .join(RoundMember, RoundMember.user_id == User.id)
        .join(RoundScore, RoundScore.member_id == RoundMember.id)
        .order_by(RoundScore.points)
    ).all()
    assert givers == ["jd-assessor3", "xf-clerk", "jd-rep", "jd-assessor2", "jd-assessor"]


def test_each_change_is_audited_with_old_and_new_points_and_a_repeat_is_not(world):
    round_ = _open(world)
    station_rounds.add_member(round_, world["assessor"], actor=world["admin"])
    db.session.commit()
    assert _score(round_, world["anle"], world["assessor"], 4, "台账齐全") == 1
    assert _score(round_, world["anle"], world["assessor"], 4, "台账齐全") == 0
    assert _score(round_, world["anle"], world["assessor"], 3, "台账齐全") == 1
    member = station_rounds.membership(round_, world["assessor"])
    cleared = round_scores.save_scores(
        round_,
        world["anle"],
        member,
        {"operation.hours": Entry(None)},
        actor=world["assessor"],
        now=NOW,
    )
    db.session.commit()
    assert cleared == 1
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "station_round.score").order_by(AuditEntry.id)
    ).all()
    assert [e.detail["items"]["operation.hours"] for e in entries] == [
        [None, 4],
        [4, 3],
        [3, None],
    ]
    assert {(e.actor_id, e.detail["station"]) for e in entries} == {(world["assessor"].id, "anle")}
    assert db.session.scalar(select(func.count(RoundScore.id))) == 0


def test_items_kept_for_another_role_are_neither_offered_nor_taken(world):
    round_ = _open(world, scheme="workstation")
    scheme = round_scores.scheme_of(round_)
    kept = {code for code, roles in scheme.roles.items() if "resident_rep" not in roles}
    assert kept  # the workstation scheme keeps its superior's score for district assessors
    offered = {item.code for item in round_scores.items_for(scheme, "resident_rep")}
    assert not kept & offered and not set(scheme.auto) & offered
    rep = station_rounds.add_member(round_, world["rep"], actor=world["admin"])
    code = sorted(kept)[0]
    with pytest.raises(RoundError) as refused:
        round_scores.save_scores(
            round_, world["anle"], rep, {code: Entry(1)}, actor=world["rep"], now=NOW
        )
    assert refused.value.status == 403

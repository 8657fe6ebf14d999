"""Station assessment rounds in the browser's terms: who opens which page, the admin's forms,
and a group member's scoring journey through the test client.

District fuxing holds xingfu (the hall) and anle; heping holds xinhe. The round scores both
fuxing stations; its group is an assessor, a residents' representative and a xingfu clerk
(交叉考核), who may score anle but not xingfu, and who sees nothing else of the district.
"""

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, RoundScore, StationRound
from kiosk.services import station_rounds
from tests.conftest import PASSWORDS
from tests.helpers import hidden_fields
from tests.views.test_security_checklist import snapshot

LOGIN = "/auth/login"


@pytest.fixture
def world(ctx, hall, make_hall, make_district, make_user) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    own = make_district(slug="fuxing", name="复兴街道")
    other = make_district(slug="heping", name="和平街道")
    hall.district = own
    anle = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    xinhe = make_hall(slug="xinhe", name="新河社区便民服务站", district=other)
    db.session.commit()
    users = {
        "admin": make_user("jd-admin", "district_admin", district=own),
        "assessor": make_user("jd-assessor", "district_assessor", district=own),
        "idle_assessor": make_user("jd-idle", "district_assessor", district=own),
        "rep": make_user("jd-rep", "resident_rep", district=own),
        "idle_rep": make_user("jd-rep2", "resident_rep", district=own),
        "clerk": make_user("xf-clerk", "staff", hall=hall),
        "hall_admin": make_user("xf-admin", "admin", hall=hall),
        "anle_clerk": make_user("al-clerk", "staff", hall=anle),
        "foreign_assessor": make_user("hp-assessor", "district_assessor", district=other),
        "foreign_clerk": make_user("xh-clerk", "staff", hall=xinhe),
    }
    round_ = station_rounds.open_round(
        own,
        title="2026年第四季度考核",
        kind="quarter",
        period="2026Q4",
        spot_check_on=None,
        scheme="2019",
        hall_ids=[hall.id, anle.id],
        actor=users["admin"],
    )
    for who in ("assessor", "rep", "clerk"):
        station_rounds.add_member(round_, users[who], actor=users["admin"])
    # A second round the clerk does not sit in.
    other_round = station_rounds.open_round(
        own,
        title="12月抽查",
        kind="spot_check",
        period=None,
        spot_check_on=date(2026, 12, 3),
        scheme="workstation",
        hall_ids=[anle.id],
        actor=users["admin"],
    )
    station_rounds.add_member(other_round, users["assessor"], actor=users["admin"])
    db.session.commit()
    return {
        **users,
        "own": own,
        "xingfu": hall,
        "anle": anle,
        "xinhe": xinhe,
        "round": round_,
        "other_round": other_round,
    }


def _client(app: Flask, world: dict[str, Any], who: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if who == "anonymous":
        return client
    user = world[who]
    form = hidden_fields(client.get(LOGIN).get_data(as_text=True))
    response = client.post(
        LOGIN, data={**form, "username": user.username, "password": PASSWORDS[user.role]}
    )
    assert response.status_code == 302, who
    return client


def _urls(world: dict[str, Any]) -> dict[str, str]:
    r, o = world["round"].id, world["other_round"].id
    anle, xingfu = world["anle"].id, world["xingfu"].id
    return {
        "list": "/district/fuxing/rounds",
        "new": "/district/fuxing/rounds/new",
        "detail": f"/district/fuxing/rounds/{r}",
        "data_anle": f"/district/fuxing/rounds/{r}/data/{anle}",
        # A station of the district that is not in the round: no records of it here.
        "data_not_in_round": f"/district/fuxing/rounds/{o}/data/{xingfu}",
        "members": f"/district/fuxing/rounds/{r}/members",
        "mine": "/district/fuxing/my-rounds",
        "stations": f"/district/fuxing/rounds/{r}/score",
        "score_anle": f"/district/fuxing/rounds/{r}/score/{anle}",
        "score_xingfu": f"/district/fuxing/rounds/{r}/score/{xingfu}",
        "other_round": f"/district/fuxing/rounds/{o}/score",
        "other_district": "/district/heping/my-rounds",
        "other_district_round": f"/district/heping/rounds/{r}",
    }


A = 302  # anonymous: to the sign-in page
# page → who → status. Members: assessor, rep, clerk (a xingfu staff account). Not members of
# this round: idle_assessor, idle_rep, hall_admin and anle_clerk (hall accounts of the district),
# and accounts of heping.
EXPECTED: dict[str, dict[str, int]] = {
    "list": {"admin": 200, "assessor": 200, "rep": 403, "clerk": 403},
    "new": {"admin": 200, "assessor": 403, "rep": 403, "clerk": 403},
    "detail": {"admin": 200, "assessor": 200, "rep": 403, "clerk": 403},
    # The records behind the items filled from data: as the result, never a representative's.
    "data_anle": {"admin": 200, "assessor": 200, "rep": 403, "clerk": 403},
    "data_not_in_round": {"admin": 404, "assessor": 404, "rep": 403, "clerk": 403},
    "members": {"admin": 200, "assessor": 403, "rep": 403, "clerk": 403},
    "mine": {"admin": 403, "assessor": 200, "idle_assessor": 200, "rep": 200, "clerk": 200},
    "stations": {"admin": 403, "assessor": 200, "rep": 200, "clerk": 200},
    "score_anle": {"admin": 403, "assessor": 200, "rep": 200, "clerk": 200},
    # Nobody scores their own station: the clerk works at xingfu.
    "score_xingfu": {"admin": 403, "assessor": 200, "rep": 200, "clerk": 403},
    # The clerk sits in the quarter's round only.
    "other_round": {"admin": 403, "assessor": 200, "rep": 404, "clerk": 404},
    # Another district's pages: the role is checked first, then the district.
    "other_district": {"admin": 403, "assessor": 404, "rep": 404, "clerk": 403},
    "other_district_round": {"admin": 404, "assessor": 404, "rep": 403, "clerk": 403},
}
WHO = (
    "anonymous",
    "admin",
    "assessor",
    "idle_assessor",
    "rep",
    "idle_rep",
    "clerk",
    "hall_admin",
    "anle_clerk",
    "foreign_assessor",
    "foreign_clerk",
)


def _expected(page: str, who: str) -> int:
    """Return the status from the table; accounts not in it get what their kind gets."""
    if who == "anonymous":
        return A
    row = EXPECTED[page]
    if who in row:
        return row[who]
    if who in ("hall_admin", "anle_clerk", "foreign_clerk"):
        return 403  # hall accounts sitting in none of fuxing's rounds: the area is closed
    if who == "foreign_assessor":  # heping's own my-rounds page is its own
        return 200 if page == "other_district" else 403 if row["assessor"] == 403 else 404
    if who == "idle_assessor":  # a district page as the assessor; a round it is not in: 404
        district_pages = ("list", "new", "detail", "members", "data_anle", "data_not_in_round")
        return row["assessor"] if page in district_pages else 404
    # idle_rep: its own (empty) list, then the representative's status or 404 for the round
    return 200 if page == "mine" else 403 if row["rep"] == 403 else 404


@pytest.mark.parametrize("who", WHO)
def test_each_account_gets_exactly_the_expected_status_on_round_pages(app, world, who):
    client = _client(app, world, who)
    wrong = []
    for page, url in _urls(world).items():
        status = client.get(url).status_code
        if status != _expected(page, who):
            wrong.append(f"{page} {url}: {who} got {status}, expected {_expected(page, who)}")
    assert not wrong, "\n".join(wrong)


def test_a_member_clerk_sees_nothing_else_of_the_district(app, world):
    client = _client(app, world, "clerk")
    for url in (
        "/district/",
        "/district/fuxing/",
        "/district/fuxing/dashboard",
        "/district/fuxing/stations/new",
        "/district/fuxing/invitations",
        "/district/fuxing/rounds",
        f"/district/fuxing/rounds/{world['round'].id}",
    ):
        assert client.get(url).status_code == 403, url
    mine = client.get("/district/fuxing/my-rounds").get_data(as_text=True)
    assert "2026年第四季度考核" in mine and "12月抽查" not in mine
    stations = client.get(_urls(world)["stations"]).get_data(as_text=True)
    assert "安乐社区便民服务站" in stations
    # Its own station is named once, as the one it does not score, and offers no link.
    assert f"/score/{world['xingfu'].id}" not in stations
    assert "不在您的评分范围内" in stations
    # Its own hall's staff area is still its home, and links to its scoring.
    home = client.get("/staff/")
    assert home.status_code == 200
    assert 'href="/district/fuxing/my-rounds"' in home.get_data(as_text=True)
    # A colleague of the district who sits in no round gets no such link.
    other = _client(app, world, "anle_clerk").get("/staff/").get_data(as_text=True)
    assert "/district/" not in other


def test_a_member_scoring_their_own_station_is_refused_with_a_reason(app, world):
    client = _client(app, world, "clerk")
    url = _urls(world)["score_xingfu"]
    page = client.get(url)
    assert page.status_code == 403
    assert "不能为本人所在的站点评分" in page.get_data(as_text=True)
    csrf = hidden_fields(client.get(_urls(world)["score_anle"]).get_data(as_text=True))
    before = snapshot()
    posted = client.post(url, data={**csrf, "points-operation.hours": "5"})
    assert posted.status_code == 403
    assert "不能为本人所在的站点评分" in posted.get_data(as_text=True)
    assert snapshot() == before


def _form(client, url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get(url)
    assert page.status_code == 200, url
    return hidden_fields(page.get_data(as_text=True))


def test_a_clerk_scores_another_station_and_the_assessor_sees_the_result(app, world):
    clerk = _client(app, world, "clerk")
    mine = clerk.get("/district/fuxing/my-rounds").get_data(as_text=True)
    stations_url = _urls(world)["stations"]
    assert f'href="{stations_url}"' in mine
    score_url = _urls(world)["score_anle"]
    assert f'href="{score_url}"' in clerk.get(stations_url).get_data(as_text=True)
    page = clerk.get(score_url).get_data(as_text=True)
    # Every item is shown with its points; the items filled from data take no input.
    assert "按公示时间开放、节假日值班" in page and 'max="5"' in page
    assert 'name="points-operation.hours"' in page
    assert 'name="points-operation.satisfaction"' not in page
    assert "由系统根据本站数据自动计分" in page
    response = clerk.post(
        score_url,
        data={
            **hidden_fields(page),
            "points-operation.hours": "4.5",
            "note-operation.hours": "周六无人值班",
            "points-operation.staffing.on_duty": "4",
            "points-operation.agency": "",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == stations_url
    listing = clerk.get(stations_url).get_data(as_text=True)
    assert "已保存安乐社区便民服务站的评分（2 项有变化）" in listing
    again = clerk.get(score_url).get_data(as_text=True)
    assert 'value="4.5"' in again and 'value="周六无人值班"' in again
    rows = db.session.scalars(select(RoundScore).order_by(RoundScore.item)).all()
    assert [(r.item, r.points, r.member.user.username) for r in rows] == [
        ("operation.hours", 4.5, "xf-clerk"),
        ("operation.staffing.on_duty", 4, "xf-clerk"),
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "station_round.score"))
    assert entry is not None and entry.actor_id == world["clerk"].id

    assessor = _client(app, world, "assessor")
    detail = assessor.get(_urls(world)["detail"]).get_data(as_text=True)
    ranking = re.findall(
        r"<tr><td>(\d+)</td><td><a [^>]+>([^<]+)</a></td><td>([\d.]+)</td><td>([^<]+)</td>",
        detail,
    )
    assert ranking == [
        ("1", "安乐社区便民服务站", "8.50", "较差"),
        ("2", "幸福社区便民服务中心", "0.00", "较差"),
    ]
    assert "1 位评分（4.5）" in detail  # the explanation line of the item the clerk scored
    assert "本期无满意度指数数据" in detail


@pytest.mark.parametrize(
    ("field", "value", "status", "message"),
    [
        ("points-operation.hours", "6", 422, "应在 0 至 5 之间"),
        ("points-operation.hours", "-0.5", 422, "应在 0 至 5 之间"),
        ("points-operation.hours", "很好", 422, "请输入数字"),
        ("points-operation.hours", "nan", 422, "请输入数字"),
        ("points-operation.satisfaction", "10", 422, "自动计分"),
        ("points-nothing.here", "1", 422, "不存在"),
    ],
)
def test_a_score_that_does_not_fit_is_refused_on_the_form_and_nothing_is_saved(
    app, world, field, value, status, message
):
    client = _client(app, world, "rep")
    url = _urls(world)["score_anle"]
    data = {**_form(client, url), "points-operation.agency": "5", field: value}
    before = snapshot()
    response = client.post(url, data=data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and 'data-testid="score-errors"' in page
    assert 'value="5"' in page  # what was typed is shown again
    assert snapshot() == before
    assert db.session.scalar(select(func.count(RoundScore.id))) == 0


def test_an_item_kept_for_district_assessors_is_refused_to_a_representative(app, world):
    admin = _client(app, world, "admin")  # the spot check uses the workstation scheme
    url = f"/district/fuxing/rounds/{world['other_round'].id}/members"
    response = admin.post(f"{url}/add", data={**_form(admin, url), "user_id": str(world["rep"].id)})
    assert response.status_code == 302
    scheme = station_rounds_scheme(world["other_round"])
    kept = next(code for code, roles in scheme.roles.items() if "resident_rep" not in roles)
    rep = _client(app, world, "rep")
    score = f"/district/fuxing/rounds/{world['other_round'].id}/score/{world['anle'].id}"
    page = rep.get(score).get_data(as_text=True)
    assert f'name="points-{kept}"' not in page and "不由您这类考核组成员评分" in page
    refused = rep.post(score, data={**hidden_fields(page), f"points-{kept}": "1"})
    assert refused.status_code == 403


def station_rounds_scheme(round_: StationRound):  # type: ignore[no-untyped-def]
    from kiosk.services import round_scores

    return round_scores.scheme_of(round_)


def test_the_admin_opens_a_round_and_names_its_group_through_the_forms(app, world):
    client = _client(app, world, "admin")
    new = "/district/fuxing/rounds/new"
    page = client.get(new).get_data(as_text=True)
    assert "安乐社区便民服务站" in page and "新河" not in page  # only the district's stations
    response = client.post(
        "/district/fuxing/rounds/create",
        data={
            **hidden_fields(page),
            "title": "2026年11月考核",
            "kind": "month",
            "period": "2026-11",
            "scheme": "2019",
            "stations": [str(world["anle"].id)],
        },
    )
    assert response.status_code == 302
    made = db.session.scalar(select(StationRound).where(StationRound.title == "2026年11月考核"))
    assert made is not None and made.period == "2026-11"
    members = f"/district/fuxing/rounds/{made.id}/members"
    assert response.headers["Location"] == members
    page = client.get(members).get_data(as_text=True)
    # Offered: the district's assessors, its stations' staff accounts and its representatives.
    for name in ("jd-assessor", "jd-rep", "xf-clerk", "xf-admin", "al-clerk"):
        assert f"{name}（" in page, name
    assert "hp-assessor" not in page and "xh-clerk" not in page
    added = client.post(
        f"{members}/add", data={**hidden_fields(page), "user_id": str(world["anle_clerk"].id)}
    )
    assert added.status_code == 302
    listed = client.get(members).get_data(as_text=True)
    assert "已将 al-clerk 加入考核组" in listed and "交叉考核人员" in listed
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_id == world["admin"].id)
    ).all()
    assert actions[-2:] == ["station_round.open", "station_round.add_member"]
    # The anle clerk now reaches the round, but not its own (and the round's only) station.
    clerk = _client(app, world, "anle_clerk")
    stations = clerk.get(f"/district/fuxing/rounds/{made.id}/score").get_data(as_text=True)
    assert "本轮没有需要您评分的站点" in stations


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "quarter", "period": "2026-11"}, "不一致"),
        ({"kind": "month", "period": ""}, "请填写考核期间"),
        ({"kind": "spot_check", "period": ""}, "请填写抽查日期"),
        ({"stations": []}, "请至少选择一个站点"),
        ({"stations": ["999999"]}, "只能考核本街道的站点"),
    ],
)
def test_a_round_form_that_does_not_fit_is_shown_again_and_nothing_opens(
    app, world, fields, message
):
    client = _client(app, world, "admin")
    data = {
        **_form(client, "/district/fuxing/rounds/new"),
        "title": "试试",
        "kind": "month",
        "period": "2026-11",
        "scheme": "2019",
        "stations": [str(world["anle"].id)],
        **fields,
    }
    before = snapshot()
    response = client.post("/district/fuxing/rounds/create", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_every_round_post_needs_its_csrf_token(app, world):
    urls = _urls(world)
    posts = {
        "admin": [
            ("/district/fuxing/rounds/create", {"title": "x", "kind": "year", "period": "2026"}),
            (f"{urls['members']}/add", {"user_id": str(world["idle_assessor"].id)}),
        ],
        "clerk": [(urls["score_anle"], {"points-operation.hours": "5"})],
        "rep": [(urls["score_anle"], {"points-operation.hours": "5"})],
    }
    clients = {who: _client(app, world, who) for who in posts}  # signing in writes a row
    before = snapshot()
    for who, pairs in posts.items():
        client = clients[who]
        for url, data in pairs:
            assert client.post(url, data=data).status_code == 400, (who, url)
            assert client.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("who", ["assessor", "rep", "clerk", "hall_admin", "foreign_assessor"])
def test_only_the_districts_admin_opens_rounds_or_adds_members(app, world, who):
    client = _client(app, world, who)
    csrf = hidden_fields(client.get(LOGIN).get_data(as_text=True))
    before = snapshot()
    create = client.post(
        "/district/fuxing/rounds/create",
        data={**csrf, "title": "x", "kind": "year", "period": "2026", "scheme": "2019"},
    )
    add = client.post(
        f"{_urls(world)['members']}/add", data={**csrf, "user_id": str(world["idle_rep"].id)}
    )
    assert {create.status_code, add.status_code} <= {403, 404}
    assert snapshot() == before


def test_a_representative_finds_its_invitations_and_an_uninvited_one_finds_none(app, world):
    rep = _client(app, world, "rep")
    page = rep.get("/district/fuxing/invitations").get_data(as_text=True)
    assert "2026年第四季度考核" in page and "居民代表" in page
    assert f'href="{_urls(world)["stations"]}"' in page
    idle = _client(app, world, "idle_rep")
    page = idle.get("/district/fuxing/invitations").get_data(as_text=True)
    assert 'data-testid="no-invitations"' in page and "2026年第四季度考核" not in page


def test_an_assessor_opens_the_records_behind_a_stations_items_filled_from_data(app, world):
    from kiosk.models import Complaint, Window
    from kiosk.services import complaints
    from tests.conftest import hall_time
    from tests.helpers import give_rating

    anle = world["anle"]
    window = Window(hall=anle, number=1, name="综合")
    db.session.add(window)
    db.session.commit()
    for i, level in enumerate((5, 4, 1)):
        at = hall_time(2026, 10, 12, 10 + i)
        give_rating(window, level, f"records-page-{i:03d}", channel="qr", now=at)
    filed = hall_time(2026, 10, 13, 10)
    complaint = Complaint(
        hall_id=anle.id,
        status="new",
        text="<script>alert('投诉内容')</script>",
        contact_phone="13812345678",
        created_at=filed,
        updated_at=filed,
    )
    db.session.add(complaint)
    db.session.flush()
    supervisor = world["anle_clerk"]
    supervisor.role = "supervisor"
    complaints.verify(complaint, supervisor, valid=True, reason="属实", severity="major", now=filed)
    db.session.commit()

    assessor = _client(app, world, "assessor")
    detail = assessor.get(_urls(world)["detail"]).get_data(as_text=True)
    records_url = _urls(world)["data_anle"]
    assert f'href="{records_url}"' in detail
    # The verdict was given in October, its appeal window long past: it deducts.
    assert f"扣分 −5.00：居民投诉（经核实）（较重） · #{complaint.id}" in detail
    page = assessor.get(records_url).get_data(as_text=True)
    levels = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", page)
    assert levels[:5] == [
        ("非常满意", "1"),
        ("满意", "1"),
        ("基本满意", "0"),
        ("不满意", "0"),
        ("非常不满意", "1"),
    ]
    assert "评价量：3" in page and "2026年10月1日 至 2026年12月31日" in page
    assert f"<td>#{complaint.id}</td>" in page and "−5.00" in page
    assert "取数期间本站没有办结的投诉" in page
    # Nothing of the complaint beyond its number, times and severity: no text, no phone.
    assert "投诉内容" not in page and "<script>alert" not in page
    assert "13812345678" not in page and "5678" not in page


def test_the_admin_finalises_a_scored_round_once_and_its_result_stays_frozen(app, world):
    urls = _urls(world)
    clerk = _client(app, world, "clerk")
    page = clerk.get(urls["score_anle"]).get_data(as_text=True)
    scored = clerk.post(
        urls["score_anle"], data={**hidden_fields(page), "points-operation.hours": "4"}
    )
    assert scored.status_code == 302
    finalise = f"{urls['detail']}/finalise"

    assessor = _client(app, world, "assessor")
    detail = assessor.get(urls["detail"]).get_data(as_text=True)
    assert "定稿本轮结果" not in detail  # the admin's button only
    csrf = hidden_fields(detail)
    assert assessor.post(finalise, data=csrf).status_code == 403

    admin = _client(app, world, "admin")
    page = admin.get(urls["detail"]).get_data(as_text=True)
    assert "定稿本轮结果" in page and "当前结果" in page
    done = admin.post(finalise, data=hidden_fields(page))
    assert done.status_code == 302
    frozen = admin.get(urls["detail"]).get_data(as_text=True)
    assert "定稿结果" in frozen and "以下为定稿时固定保存的结果" in frozen
    assert "定稿本轮结果" not in frozen
    again = admin.post(finalise, data=hidden_fields(page))
    assert again.status_code == 409 and "已经定稿" in again.get_data(as_text=True)
    assert db.session.get(StationRound, world["round"].id).status == "finalised"

    # The group can no longer score, and the API now publishes the ranking.
    refused = clerk.post(
        urls["score_anle"], data={**hidden_fields(page), "points-operation.hours": "1"}
    )
    assert refused.status_code in (400, 409, 422)
    ranking = app.test_client().get("/api/v1/stations?district=fuxing&period=2026Q4")
    assert ranking.status_code == 200
    assert {e["hall"] for e in ranking.get_json()["entries"]} == {"anle", "xingfu"}

"""The district area (/district/) and its boundaries with the hall staff area.

Hall accounts (admins included) open no district page; district accounts open only their own
district's pages, each role only its own, and no hall staff page; a residents' representative
sees its invitations and nothing else. The tables below are the contract, as in
tests/views/test_role_matrix.py: a district route missing from them fails.
"""

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Hall, RoundStation, Staff, StationRound, User, Window
from tests.conftest import PASSWORDS
from tests.helpers import hidden_fields
from tests.views.test_security_checklist import snapshot

HALL_ROLES = ("staff", "supervisor", "admin")
DISTRICT_ROLES = ("district_admin", "district_assessor", "resident_rep")
ROLES = ("anonymous", *HALL_ROLES, *DISTRICT_ROLES)
LOGIN = "/auth/login"


def only(**statuses: int) -> dict[str, int]:
    """Login for anonymous, 403 for every signed-in role, except the statuses given."""
    return {"anonymous": 302, **dict.fromkeys(HALL_ROLES + DISTRICT_ROLES, 403), **statuses}


# The signed-in user's district is "own"; "other" is another district's. District roles are
# checked before the district: a role that may not open the page gets 403 in either district.
EXPECTED: dict[str, dict[str, int]] = {
    "/district/": only(district_admin=302, district_assessor=302, resident_rep=302),
    "/district/own/": only(district_admin=200, district_assessor=200),
    "/district/other/": only(district_admin=404, district_assessor=404),
    "/district/own/stations/new": only(district_admin=200),
    "/district/other/stations/new": only(district_admin=404),
    "/district/own/dashboard": only(district_admin=200, district_assessor=200),
    "/district/other/dashboard": only(district_admin=404, district_assessor=404),
    "/district/own/invitations": only(resident_rep=200),
    "/district/other/invitations": only(resident_rep=404),
    # Assessment rounds. The round below has no group yet, so nobody signed in here sits in it:
    # hall accounts get 403 on the scoring pages too, and district members' pages are 404.
    "/district/own/rounds": only(district_admin=200, district_assessor=200),
    "/district/other/rounds": only(district_admin=404, district_assessor=404),
    "/district/own/rounds/new": only(district_admin=200),
    "/district/other/rounds/new": only(district_admin=404),
    "/district/own/rounds/<int:round_id>": only(district_admin=200, district_assessor=200),
    "/district/other/rounds/<int:round_id>": only(district_admin=404, district_assessor=404),
    "/district/own/rounds/<int:round_id>/data/<int:hall_id>": only(
        district_admin=200, district_assessor=200
    ),
    "/district/other/rounds/<int:round_id>/data/<int:hall_id>": only(
        district_admin=404, district_assessor=404
    ),
    "/district/own/rounds/<int:round_id>/members": only(district_admin=200),
    "/district/other/rounds/<int:round_id>/members": only(district_admin=404),
    "/district/own/my-rounds": only(district_assessor=200, resident_rep=200),
    "/district/other/my-rounds": only(district_assessor=404, resident_rep=404),
    "/district/own/rounds/<int:round_id>/score": only(district_assessor=404, resident_rep=404),
    "/district/other/rounds/<int:round_id>/score": only(district_assessor=404, resident_rep=404),
    "/district/own/rounds/<int:round_id>/score/<int:hall_id>": only(
        district_assessor=404, resident_rep=404
    ),
    "/district/other/rounds/<int:round_id>/score/<int:hall_id>": only(
        district_assessor=404, resident_rep=404
    ),
    # No evidence is attached in this world: the district's accounts find none.
    "/district/own/rounds/<int:round_id>/evidence/<int:evidence_id>": only(
        district_admin=404, district_assessor=404, resident_rep=404
    ),
    "/district/other/rounds/<int:round_id>/evidence/<int:evidence_id>": only(
        district_admin=404, district_assessor=404, resident_rep=404
    ),
}
POSTS = (
    "/district/{slug}/stations/attach",
    "/district/{slug}/stations/create",
    "/district/{slug}/rounds/create",
    "/district/{slug}/rounds/<int:round_id>/members/add",
    "/district/{slug}/rounds/<int:round_id>/finalise",
    "/district/{slug}/rounds/<int:round_id>/score/<int:hall_id>",
    "/district/{slug}/rounds/<int:round_id>/score/<int:hall_id>/evidence",
)


@pytest.fixture
def world(ctx, hall, make_hall, make_district, make_window, make_staff) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """District fuxing holds the hall (xingfu) and a second station; heping holds one; one
    hall stands alone."""
    own = make_district(slug="fuxing", name="复兴街道")
    other = make_district(slug="heping", name="和平街道")
    hall.district = own
    second = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    foreign = make_hall(slug="xinhe", name="新河社区便民服务站", district=other)
    alone = make_hall(slug="gudu", name="孤独社区便民服务中心")
    make_window(number=7)
    make_window(number=8)
    make_window(number=9, active=False)
    make_staff()
    db.session.add(Staff(hall=second, staff_no="AL001", name="安乐员工"))
    db.session.add(Window(hall=foreign, number=1, name="综合"))
    round_ = StationRound(
        district=own, title="第四季度考核", kind="quarter", period="2026Q4", scheme="2019"
    )
    round_.stations = [RoundStation(hall=hall), RoundStation(hall=second)]
    db.session.add(round_)
    db.session.commit()
    return {
        "own": own,
        "other": other,
        "second": second,
        "foreign": foreign,
        "alone": alone,
        "round": round_,
    }


def _url(page: str, world: dict[str, Any]) -> str:
    page = page.replace("<int:round_id>", str(world["round"].id))
    page = page.replace("<int:hall_id>", str(world["second"].id))
    page = page.replace("<int:evidence_id>", "1")
    return page.replace("/own/", f"/{world['own'].slug}/").replace(
        "/other/", f"/{world['other'].slug}/"
    )


def _sign_in(client, make_user, world, role: str, staff: Staff | None = None) -> User | None:  # type: ignore[no-untyped-def]
    if role == "anonymous":
        return None
    fields: dict[str, Any] = {"district": world["own"]} if role in DISTRICT_ROLES else {}
    if role == "staff":
        fields["staff"] = staff
    user = make_user(f"u-{role}", role, **fields)
    page = client.get(LOGIN).get_data(as_text=True)
    response = client.post(
        LOGIN,
        data={**hidden_fields(page), "username": user.username, "password": PASSWORDS[role]},
    )
    assert response.status_code == 302, f"{role} could not sign in"
    return user


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    return hidden_fields(client.get(LOGIN).get_data(as_text=True))["csrf_token"]


def test_every_district_get_route_is_in_the_table(app: Flask) -> None:
    routes = {
        re.sub(r"<slug>", "own", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/district") and "GET" in (rule.methods or ())
    }
    assert routes == {page for page in EXPECTED if "/other/" not in page}
    posts = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/district") and "POST" in (rule.methods or ())
    }
    assert posts == {post.replace("{slug}", "<slug>") for post in POSTS}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_status_on_district_pages(
    client, make_user, world, staff, role
):
    _sign_in(client, make_user, world, role, staff)
    wrong = []
    for page, statuses in EXPECTED.items():
        response = client.get(_url(page, world))
        if response.status_code != statuses[role]:
            wrong.append(f"{page}: {role} got {response.status_code}, expected {statuses[role]}")
        elif role == "anonymous" and not response.headers["Location"].startswith(LOGIN):
            wrong.append(f"{page}: anonymous sent to {response.headers['Location']}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", DISTRICT_ROLES)
def test_a_district_account_gets_403_on_every_hall_staff_page(app, client, make_user, world, role):
    from tests.views.test_role_matrix import staff_get_rules

    _sign_in(client, make_user, world, role)
    wrong = []
    for rule in staff_get_rules(app):
        # Ids of the district's own station: being its district gives no way into its pages.
        url = re.sub(r"<int:[^>]+>", "1", rule)
        url = url.replace("<period_code>", "2026-11").replace("<kind>", "self")
        url = url.replace("<fmt>", "csv")
        status = client.get(url).status_code
        if status != 403:
            wrong.append(f"{url}: {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", DISTRICT_ROLES)
def test_a_district_account_changes_nothing_through_hall_staff_forms(
    app, client, make_user, world, staff, window, role
):
    _sign_in(client, make_user, world, role)
    csrf = _csrf(client)
    before = snapshot()
    rules = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") and "POST" in (rule.methods or ())
    )
    assert len(rules) >= 20
    wrong = []
    for rule in rules:
        url = re.sub(r"<int:[^>]+>", str(window.id), rule)
        url = url.replace("<period_code>", "2026-11").replace("<kind>", "self")
        url = re.sub(r"<[^>]+>", "x", url)
        data = {"csrf_token": csrf, "name": "改名", "number": "9", "role": "admin"}
        response = client.post(url, data=data)
        if response.status_code != 403:
            wrong.append(f"POST {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot() == before


@pytest.mark.parametrize("role", (*HALL_ROLES, "district_assessor", "resident_rep"))
def test_only_a_district_admin_may_attach_or_create_stations(client, make_user, world, staff, role):
    _sign_in(client, make_user, world, role, staff)
    csrf = _csrf(client)
    before = snapshot()
    slug = world["own"].slug
    attach = client.post(
        f"/district/{slug}/stations/attach", data={"csrf_token": csrf, "hall_id": world["alone"].id}
    )
    create = client.post(
        f"/district/{slug}/stations/create",
        data={"csrf_token": csrf, "slug": "xinzhan", "name": "新站"},
    )
    assert (attach.status_code, create.status_code) == (403, 403)
    assert snapshot() == before


def test_a_district_admin_cannot_change_another_districts_stations(client, make_user, world):
    _sign_in(client, make_user, world, "district_admin")
    csrf = _csrf(client)
    before = snapshot()
    other = world["other"].slug
    attach = client.post(
        f"/district/{other}/stations/attach",
        data={"csrf_token": csrf, "hall_id": world["alone"].id},
    )
    create = client.post(
        f"/district/{other}/stations/create",
        data={"csrf_token": csrf, "slug": "xinzhan", "name": "新站"},
    )
    assert (attach.status_code, create.status_code) == (404, 404)
    assert snapshot() == before


def test_the_district_home_lists_its_own_stations_with_windows_and_staff(client, make_user, world):
    _sign_in(client, make_user, world, "district_assessor")
    page = client.get(f"/district/{world['own'].slug}/").get_data(as_text=True)
    rows = re.findall(
        r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", page
    )
    # Active windows and staff only: the hall has 3 windows, one out of service.
    assert rows == [
        ("安乐社区便民服务站", "anle", "0", "1"),
        ("幸福社区便民服务中心", "xingfu", "2", "1"),
    ]
    assert "新河" not in page and "孤独" not in page  # another district's, and a lone hall
    assert "添加站点" not in page  # assessors do not set the district up


def test_signing_in_takes_each_role_to_its_own_home(app, make_user, world):
    slug = world["own"].slug
    homes = {
        "admin": "/staff/",
        "district_admin": f"/district/{slug}/",
        "district_assessor": f"/district/{slug}/",
        "resident_rep": f"/district/{slug}/invitations",
    }
    for role, home in homes.items():
        client = app.test_client()
        fields = {"district": world["own"]} if role in DISTRICT_ROLES else {}
        user = make_user(f"home-{role}", role, **fields)
        page = client.get(LOGIN).get_data(as_text=True)
        response = client.post(
            LOGIN,
            data={**hidden_fields(page), "username": user.username, "password": PASSWORDS[role]},
        )
        assert response.headers["Location"] == home, role
        assert client.get(home).status_code == 200, role
        if role in DISTRICT_ROLES:  # /district/ sends each district account home too
            assert client.get("/district/").headers["Location"] == home, role


def test_a_residents_representative_sees_only_that_no_round_invites_it_yet(
    client, make_user, world
):
    _sign_in(client, make_user, world, "resident_rep")
    page = client.get(f"/district/{world['own'].slug}/invitations").get_data(as_text=True)
    assert "复兴街道" in page and 'data-testid="no-invitations"' in page
    assert '/district/fuxing/"' not in page and "/staff/" not in page  # no links elsewhere


def test_a_district_admin_attaches_an_unattached_hall_and_it_is_audited(
    client, make_user, world, post_form
):
    admin = _sign_in(client, make_user, world, "district_admin")
    slug, alone = world["own"].slug, world["alone"]
    page = client.get(f"/district/{slug}/stations/new").get_data(as_text=True)
    # Only halls of no district are offered.
    assert "孤独社区便民服务中心" in page and "新河" not in page
    response = post_form(
        f"/district/{slug}/stations/new",
        f"/district/{slug}/stations/attach",
        hall_id=str(alone.id),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/district/{slug}/"
    db.session.expire_all()
    assert db.session.get(Hall, alone.id).district_id == world["own"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.attach"))
    assert entry is not None and admin is not None
    assert (entry.actor_id, entry.hall_id, entry.target_id) == (admin.id, alone.id, alone.id)
    assert entry.detail == {"hall": "gudu", "district": "fuxing"}
    assert "孤独社区便民服务中心" in client.get(f"/district/{slug}/").get_data(as_text=True)


def test_a_hall_of_another_district_cannot_be_attached(client, make_user, world, post_form):
    _sign_in(client, make_user, world, "district_admin")
    slug = world["own"].slug
    before = snapshot()
    for hall in (world["foreign"], world["second"]):
        response = post_form(
            f"/district/{slug}/stations/new",
            f"/district/{slug}/stations/attach",
            hall_id=str(hall.id),
        )
        assert response.status_code == 400
    assert snapshot() == before


def test_a_district_admin_creates_a_station_in_the_district(client, make_user, world, post_form):
    _sign_in(client, make_user, world, "district_admin")
    slug = world["own"].slug
    response = post_form(
        f"/district/{slug}/stations/new",
        f"/district/{slug}/stations/create",
        slug="xinzhan",
        name=" 新站社区便民服务站 ",
    )
    assert response.status_code == 302
    made = db.session.scalar(select(Hall).where(Hall.slug == "xinzhan"))
    assert made is not None and made.name == "新站社区便民服务站"
    assert made.district_id == world["own"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.create"))
    assert entry is not None and entry.hall_id == made.id


@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("xingfu", "重名"),
        ("Bad Slug", "新站"),
        ("x", "新站"),
        ("xinzhan", "  "),
        ("ok-1", "长" * 121),
    ],
)
def test_a_station_with_a_taken_or_bad_slug_or_no_name_is_refused(
    client, make_user, world, post_form, slug, name
):
    _sign_in(client, make_user, world, "district_admin")
    own = world["own"].slug
    count = db.session.scalar(select(func.count(Hall.id)))
    response = post_form(
        f"/district/{own}/stations/new", f"/district/{own}/stations/create", slug=slug, name=name
    )
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Hall.id))) == count


@pytest.mark.parametrize("action", ["attach", "create"])
def test_the_station_forms_need_their_csrf_token(client, make_user, world, action):
    _sign_in(client, make_user, world, "district_admin")
    before = snapshot()
    data = {"hall_id": str(world["alone"].id), "slug": "xinzhan", "name": "新站"}
    url = f"/district/{world['own'].slug}/stations/{action}"
    assert client.post(url, data=data).status_code == 400
    assert client.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    assert snapshot() == before

"""Every GET page under /staff, for every role: exactly the expected status, never a stray 200.

The table below is the contract. A route added to the staff area fails this test until its
row is added here, with the status each role must get; a row whose route is gone fails too.
URL parameters are filled with the ids of real rows, so "200" means the page really rendered.
District accounts (tests/views/test_district_pages.py) get 403 on every page of the area.
"""

import re
from datetime import timedelta

import pytest
from flask import Flask

from kiosk.extensions import db
from kiosk.models._types import utcnow
from tests.helpers import give_rating

DISTRICT_ROLES = ("district_admin", "district_assessor", "resident_rep")
ROLES = ("anonymous", "staff", "supervisor", "admin", *DISTRICT_ROLES)
LOGIN = "/auth/login"


def allowed(*roles: str) -> dict[str, int]:
    """200 for the given signed-in roles, 403 for the other signed-in ones, login for anonymous."""
    return {
        "anonymous": 302,
        **{role: 200 if role in roles else 403 for role in ROLES if role != "anonymous"},
    }


EVERYONE = allowed("staff", "supervisor", "admin")
SUPERVISORS = allowed("supervisor", "admin")
ADMINS = allowed("admin")
# Pages that send every signed-in user on to a page of their own (checked in that table row).
REDIRECTS_SIGNED_IN = {
    "anonymous": 302,
    "staff": 302,
    "supervisor": 302,
    "admin": 302,
    **dict.fromkeys(DISTRICT_ROLES, 403),
}

EXPECTED: dict[str, dict[str, int]] = {
    "/staff/": EVERYONE,
    # Hall management: windows and QR codes
    "/staff/windows": SUPERVISORS,
    "/staff/windows/new": ADMINS,
    "/staff/windows/<int:window_id>/edit": ADMINS,
    "/staff/windows/qr-sheet": SUPERVISORS,
    "/staff/windows/<int:window_id>/qr.png": SUPERVISORS,
    "/staff/windows/<int:window_id>/qr.svg": SUPERVISORS,
    # Hall management: people and photos
    "/staff/people": SUPERVISORS,
    "/staff/people/new": SUPERVISORS,
    "/staff/people/<int:staff_id>/edit": SUPERVISORS,
    "/staff/people/<int:staff_id>/photo": SUPERVISORS,
    # Hall management: duty roster
    "/staff/roster": SUPERVISORS,
    "/staff/roster/new": SUPERVISORS,
    "/staff/roster/<int:duty_id>/edit": SUPERVISORS,
    # Hall management: accounts and the audit log
    "/staff/users": ADMINS,
    "/staff/users/new": ADMINS,
    "/staff/users/<int:user_id>/edit": ADMINS,
    "/staff/audit": ADMINS,
    # Complaints (差评处理), ratings review and dashboards
    "/staff/complaints/": SUPERVISORS,
    "/staff/complaints/new": SUPERVISORS,
    # A clerk may open only complaints about themselves (to appeal); others are hidden (404).
    "/staff/complaints/<int:complaint_id>": {**SUPERVISORS, "staff": 404},
    "/staff/ratings/": SUPERVISORS,
    "/staff/ratings/export.csv": SUPERVISORS,
    "/staff/ratings/quarantine": SUPERVISORS,
    "/staff/dashboard": SUPERVISORS,
    "/staff/dashboard/alerts": SUPERVISORS,
    "/staff/me": EVERYONE,  # one's own ratings; empty for accounts without a staff member
    # Settings (operations)
    "/staff/settings": ADMINS,
    # Kiosk devices and the window console (a clerk's own page: needs a linked staff member)
    "/staff/devices": ADMINS,
    "/staff/devices/<int:device_id>": ADMINS,
    "/staff/console": allowed("staff"),
    # Evaluation (考核): staff reach their own pages; everything else is for supervisors
    "/staff/evaluation/": REDIRECTS_SIGNED_IN,  # to the current month
    "/staff/evaluation/<period_code>/": EVERYONE,
    "/staff/evaluation/<period_code>/assess/<kind>/<int:staff_id>": SUPERVISORS,
    "/staff/evaluation/<period_code>/staff/<int:staff_id>": EVERYONE,
    "/staff/evaluation/<period_code>/progress": SUPERVISORS,
    "/staff/evaluation/<period_code>/peers": SUPERVISORS,
    "/staff/evaluation/<period_code>/import": SUPERVISORS,
    "/staff/evaluation/<period_code>/import/template.csv": SUPERVISORS,
    "/staff/evaluation/<period_code>/adjustments": SUPERVISORS,
    "/staff/evaluation/<period_code>/report": SUPERVISORS,
    "/staff/evaluation/<period_code>/export.<fmt>": SUPERVISORS,
    "/staff/evaluation/<period_code>/star": SUPERVISORS,
}


def staff_get_rules(app: Flask) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/staff") and "GET" in (rule.methods or ())
        }
    )


@pytest.fixture
def ids(ctx, hall, window, staff, put_on_duty, make_user):  # type: ignore[no-untyped-def]
    """Real rows for every URL parameter a staff-area route may take."""
    from tests.views.test_people_admin import image_bytes

    staff.photo, staff.photo_mime = image_bytes("JPEG", (64, 64)), "image/jpeg"
    db.session.commit()
    now = utcnow()
    duty = put_on_duty(staff, window, now + timedelta(days=1), now + timedelta(days=1, hours=8))
    other = make_user("someone-else", "supervisor")
    from kiosk.services.devices import create_device

    device, _code = create_device(hall, "pad", "3号窗口评价器", window, now=now)
    from kiosk.services import ratings

    rating = give_rating(window, 1, "matrix-key-0001", channel="qr", now=now).rating
    complaint, _created = ratings.file_complaint(
        rating, reason_tags=["attitude"], text="等太久", phone="13812345678", now=now
    )
    db.session.commit()
    return {
        "window_id": window.id,
        "staff_id": staff.id,
        "duty_id": duty.id,
        "user_id": other.id,
        "device_id": device.id,
        "complaint_id": complaint.id,
        "period_code": "2026-11",
        "kind": "supervisor",  # the staff member's own page is the self assessment
        "fmt": "csv",
    }


def fill(rule: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in ids:
            pytest.fail(f"{rule}: no fixture id for URL parameter {name!r}; add it to ids()")
        return str(ids[name])

    return re.sub(r"<(?:[^:<>]+:)?(?P<name>[^<>]+)>", value, rule)


def test_every_staff_get_route_is_in_the_table(app):
    routes = staff_get_rules(app)
    missing = [rule for rule in routes if rule not in EXPECTED]
    stale = [rule for rule in EXPECTED if rule not in routes]
    assert not missing, (
        "GET routes under /staff missing from tests/views/test_role_matrix.py EXPECTED "
        f"(add each with its status per role): {', '.join(missing)}"
    )
    assert not stale, f"EXPECTED lists routes that no longer exist: {', '.join(stale)}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_status(
    app, client, auth, ids, make_user, make_district, hall, staff, role
):
    if role in DISTRICT_ROLES:  # of the district that holds this very hall as a station
        hall.district = make_district()
        user = make_user(f"matrix-{role}", role, district=hall.district)
        assert auth.login_as(user).status_code == 302
    elif role != "anonymous":
        user = make_user(f"matrix-{role}", role, staff=staff if role == "staff" else None)
        assert auth.login_as(user).status_code == 302
    wrong = []
    for rule in staff_get_rules(app):
        if rule not in EXPECTED:
            wrong.append(
                f"{rule}: not in EXPECTED (see test_every_staff_get_route_is_in_the_table)"
            )
            continue
        url = fill(rule, ids)
        response = client.get(url)
        expected = EXPECTED[rule][role]
        if response.status_code != expected:
            wrong.append(f"{url}: {role} got {response.status_code}, expected {expected}")
        elif (
            role == "anonymous"
            and expected == 302
            and not response.headers["Location"].startswith(LOGIN)
        ):
            wrong.append(f"{url}: anonymous redirected to {response.headers['Location']}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_redirect_remembers_the_page(client, ids):
    response = client.get("/staff/windows")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(LOGIN)
    assert "next=" in response.headers["Location"]

"""Districts and their stations; district accounts and what their roles hold."""

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import DISTRICT_ROLES, HALL_ROLES, ROLES, AuditEntry, District, Hall, User
from kiosk.services import accounts, districts
from kiosk.services.accounts import AccountError
from kiosk.services.districts import DistrictError


def test_a_hall_admin_holds_every_hall_role_and_no_district_role():
    admin = User(username="a", role="admin")
    assert all(admin.has_role(role) for role in HALL_ROLES)
    assert not any(admin.has_role(role) for role in DISTRICT_ROLES)
    assert admin.has_role("supervisor", "district_admin")  # one of them: the hall role
    assert not admin.is_district_user


@pytest.mark.parametrize("role", DISTRICT_ROLES)
def test_district_roles_are_held_by_name_only(role):
    user = User(username="d", role=role)
    assert user.is_district_user
    assert user.has_role(role)
    assert not any(user.has_role(other) for other in ROLES if other != role)


def test_every_role_has_a_label_and_fits_the_column(app):
    from kiosk.labels import ROLE_LABELS

    assert set(ROLE_LABELS) == set(ROLES) == set(HALL_ROLES) | set(DISTRICT_ROLES)
    assert max(map(len, ROLES)) <= User.__table__.c.role.type.length


def test_a_district_is_created_once_with_a_valid_slug_and_audited(ctx, backend):
    district = districts.create_district(" fuxing ", " 复兴街道 ")
    db.session.commit()
    assert (district.slug, district.name) == ("fuxing", "复兴街道")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "district.create"))
    assert entry is not None and entry.target_id == district.id
    for slug, name in [("fuxing", "又一个"), ("Bad Slug", "x"), ("x", "x"), ("ok-2", " ")]:
        with pytest.raises(DistrictError):
            districts.create_district(slug, name)
    db.session.rollback()
    assert db.session.scalars(select(District.slug)).all() == ["fuxing"]


def test_an_unattached_hall_is_attached_once_and_never_moved(ctx, make_hall, make_district):
    own, other = make_district(slug="fuxing"), make_district(slug="heping")
    hall = make_hall(slug="xingfu")
    assert hall in districts.unattached_halls()
    districts.attach_hall(own, hall)
    db.session.commit()
    assert hall.district is own and own.stations == [hall]
    assert hall not in districts.unattached_halls()
    assert districts.unattached_hall(hall.id) is None
    with pytest.raises(DistrictError, match="already"):
        districts.attach_hall(own, hall)
    with pytest.raises(DistrictError, match="another district"):
        districts.attach_hall(other, hall)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.attach"))
    assert entry is not None and entry.hall_id == hall.id  # in the station's own audit log


def test_stations_count_active_windows_and_staff(ctx, make_hall, make_district, backend):
    from kiosk.models import Staff, Window

    district = make_district()
    busy = make_hall(slug="busy", name="乙站", district=district)
    make_hall(slug="empty", name="甲站", district=district)
    make_hall(slug="elsewhere", name="丙站")
    db.session.add_all(
        [
            Window(hall=busy, number=1, name="一"),
            Window(hall=busy, number=2, name="二"),
            Window(hall=busy, number=3, name="三", active=False),
            Staff(hall=busy, staff_no="B1", name="甲"),
            Staff(hall=busy, staff_no="B2", name="乙", active=False),
        ]
    )
    db.session.commit()
    rows = districts.stations(district.id)
    assert [(r.hall.slug, r.windows, r.staff) for r in rows] == [
        ("busy", 2, 1),
        ("empty", 0, 0),
    ]  # by slug


def test_create_station_makes_a_hall_in_the_district(ctx, make_district, hall):
    district = make_district()
    actor = User(username="da", role="district_admin", district=district)
    actor.set_password("street office keys")
    db.session.add(actor)
    station = districts.create_station(district, slug="xinzhan", name="新站", actor=actor)
    db.session.commit()
    assert db.session.get(Hall, station.id).district_id == district.id
    with pytest.raises(DistrictError, match="exists"):
        districts.create_station(district, slug=hall.slug, name="重名", actor=actor)


def test_a_district_account_belongs_to_a_district_and_a_hall_account_to_a_hall(
    ctx, hall, make_district
):
    district = make_district()
    user = accounts.create_user(
        "assessor", "district_assessor", "a-long-passphrase", district=district
    )
    assert (user.district_id, user.hall_id) == (district.id, None)
    refused = [
        {"role": "district_admin"},  # no district
        {"role": "resident_rep", "district": district, "hall": hall},
        {"role": "supervisor", "district": district},
        {"role": "admin", "district": district, "hall": hall},
    ]
    for case in refused:
        role = case.pop("role")
        with pytest.raises(AccountError, match=r"district|hall"):
            accounts.create_user(f"x-{role}", role, "a-long-passphrase", **case)  # type: ignore[arg-type]


def test_a_district_admin_needs_an_admins_password_length(ctx, make_district):
    with pytest.raises(AccountError, match="at least 12"):
        accounts.create_user("da", "district_admin", "only-11-chr", district=make_district())


def test_the_hall_account_functions_never_touch_a_district_account(ctx, hall, make_district):
    district = make_district()
    rep = accounts.create_user("rep", "resident_rep", "a-long-passphrase", district=district)
    admin = accounts.create_user("boss", "admin", "correct horse battery", hall=hall)
    db.session.commit()
    # Not even a hall-less hall admin (hall_id None, as every district account has) sees it.
    assert rep not in accounts.hall_users(None)
    assert accounts.hall_user(None, rep.id) is None
    with pytest.raises(AccountError):
        accounts.add_user(
            hall.id,
            username="da",
            role="district_admin",
            password="x" * 20,
            staff=None,
            actor=admin,
        )
    with pytest.raises(AccountError):
        accounts.change_role(admin, role="district_admin", staff=None, actor=admin)
    with pytest.raises(AccountError):
        accounts.change_role(rep, role="supervisor", staff=None, actor=admin)

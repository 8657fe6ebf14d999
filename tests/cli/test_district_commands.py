"""flask districts create/attach/list, and users create --district for district accounts."""

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import District, User

PASSWORD = "a-long-passphrase\n"


def test_districts_create_and_attach_make_a_hall_a_station(runner, hall, make_hall):
    made = runner.invoke(args=["districts", "create", "--slug", "fuxing", "--name", "复兴街道"])
    assert made.exit_code == 0, made.output
    attached = runner.invoke(
        args=["districts", "attach", "--district", "fuxing", "--hall", "xingfu"]
    )
    assert attached.exit_code == 0, attached.output
    db.session.expire_all()
    district = db.session.scalar(select(District).where(District.slug == "fuxing"))
    assert district is not None and district.name == "复兴街道"
    assert [station.slug for station in district.stations] == ["xingfu"]
    listed = runner.invoke(args=["districts", "list"])
    assert listed.output.strip() == "fuxing\t复兴街道\txingfu"


def test_districts_commands_refuse_with_a_clear_message(runner, hall, make_district):
    make_district(slug="fuxing")
    make_district(slug="heping")
    cases = [
        (["districts", "create", "--slug", "fuxing", "--name", "又一个"], "exists already"),
        (["districts", "create", "--slug", "Bad Slug", "--name", "x"], "lowercase"),
        (["districts", "attach", "--district", "nowhere", "--hall", "xingfu"], "no district"),
        (["districts", "attach", "--district", "fuxing", "--hall", "nohall"], "no hall"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert (
        runner.invoke(
            args=["districts", "attach", "--district", "fuxing", "--hall", "xingfu"]
        ).exit_code
        == 0
    )
    moved = runner.invoke(args=["districts", "attach", "--district", "heping", "--hall", "xingfu"])
    assert moved.exit_code != 0 and "another district" in moved.output


@pytest.mark.parametrize("role", ["district_admin", "district_assessor", "resident_rep"])
def test_users_create_puts_a_district_role_in_its_district(runner, hall, make_district, role):
    district = make_district(slug="fuxing", name="复兴街道")
    password = "street office keys\n"
    result = runner.invoke(
        args=["users", "create", "li", "--role", role, "--district", "fuxing"], input=password
    )
    assert result.exit_code == 0, result.output
    assert "复兴街道" in result.output
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert (user.role, user.district_id, user.hall_id) == (role, district.id, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "district_admin"], "give --district SLUG"),
        (
            ["--role", "district_assessor", "--district", "fuxing", "--hall", "xingfu"],
            "leave out --hall",
        ),
        (["--role", "supervisor", "--district", "fuxing"], "leave out --district"),
        (["--role", "admin", "--district", "fuxing", "--hall", "xingfu"], "leave out --district"),
        (["--role", "resident_rep", "--district", "nowhere"], "no district 'nowhere'"),
    ],
)
def test_users_create_refuses_a_role_in_the_wrong_place(runner, hall, make_district, args, message):
    make_district(slug="fuxing")
    result = runner.invoke(args=["users", "create", "li", *args], input="street office keys\n")
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_still_puts_a_hall_role_in_the_only_hall(runner, hall, make_district):
    make_district(slug="fuxing")  # a district existing changes nothing for hall accounts
    result = runner.invoke(args=["users", "create", "li", "--role", "staff"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert (user.hall_id, user.district_id) == (hall.id, None)

"""Accounts and roles: only admins, only explicit fields, never locking oneself out."""

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Hall, User
from tests.conftest import Auth

GOOD = "lantern-river-42"


def create(post_form, **fields):  # type: ignore[no-untyped-def]
    data = {
        "username": "zhaoli",
        "role": "staff",
        "staff_id": "0",
        "password": GOOD,
        "confirm": GOOD,
    }
    return post_form("/staff/users/new", **{**data, **fields})


def test_admin_creates_a_clerk_account_linked_to_staff(
    app, client, sign_in, post_form, staff, hall
):
    admin = sign_in("admin")
    response = create(post_form, staff_id=str(staff.id))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhaoli"))
    assert (user.role, user.staff_id, user.hall_id, user.active) == (
        "staff",
        staff.id,
        hall.id,
        True,
    )
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.target_id) == ("user.create", admin.id, user.id)
    assert GOOD not in str(entry.detail)
    fresh = Auth(app.test_client())
    assert fresh.login("zhaoli", GOOD).status_code == 302


def test_weak_or_mismatched_passwords_are_refused(client, sign_in, post_form, staff):
    sign_in("admin")
    cases = [
        {"password": "short1", "confirm": "short1"},
        {"password": "12345678", "confirm": "12345678"},
        {"password": "zhaoli", "confirm": "zhaoli"},
        {"password": GOOD, "confirm": GOOD + "x"},
        {"role": "admin", "password": "elevenchars", "confirm": "elevenchars"},
    ]
    for case in cases:
        response = create(post_form, staff_id=str(staff.id), **case)
        assert response.status_code == 400, case
    assert db.session.scalar(select(User).where(User.username == "zhaoli")) is None


def test_a_clerk_account_needs_a_staff_member(client, sign_in, post_form):
    sign_in("admin")
    response = create(post_form)
    assert response.status_code == 400
    assert "需要关联一名人员" in response.get_data(as_text=True)


def test_taken_usernames_and_unknown_roles_are_refused(client, sign_in, post_form, make_user):
    sign_in("admin")
    make_user("zhaoli", "supervisor")
    assert create(post_form, role="supervisor").status_code == 400
    assert create(post_form, username="newname", role="root").status_code == 400
    assert db.session.scalar(select(db.func.count(User.id))) == 2


def test_no_mass_assignment_of_hall_or_activity(client, sign_in, post_form, make_hall, hall):
    other = make_hall()
    sign_in("admin")
    response = create(post_form, role="supervisor", hall_id=str(other.id), active="false", id="999")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhaoli"))
    assert user.hall_id == hall.id and user.active and user.id != 999


def test_admin_changes_a_role_and_it_is_logged(client, sign_in, post_form, make_user, staff):
    sign_in("admin")
    clerk = make_user("clerk", "staff", staff=staff)
    response = post_form(f"/staff/users/{clerk.id}/edit", role="supervisor", staff_id="0")
    assert response.status_code == 302
    db.session.refresh(clerk)
    assert (clerk.role, clerk.staff_id) == ("supervisor", None)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "user.update"
    assert entry.detail["before"] == {"role": "staff", "staff_id": staff.id}
    assert entry.detail["role"] == "supervisor"


def test_admin_cannot_deactivate_or_demote_themselves(client, sign_in, post_form):
    admin = sign_in("admin")
    assert (
        "停用"
        not in client.get("/staff/users").get_data(as_text=True).split(admin.username)[1][:400]
    )
    response = post_form("/staff/users", f"/staff/users/{admin.id}/deactivate")
    assert response.status_code == 400
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    response = post_form(f"/staff/users/{admin.id}/edit", role="staff", staff_id="0")
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"
    assert client.get("/staff/users").status_code == 200


def test_deactivated_account_is_signed_out_and_cannot_sign_in(
    app, client, sign_in, post_form, make_user
):
    sign_in("admin")
    victim = make_user("leaver", "supervisor")
    other = Auth(app.test_client())
    other.login_as(victim)
    assert other.client.get("/staff/").status_code == 200
    post_form("/staff/users", f"/staff/users/{victim.id}/deactivate")
    db.session.refresh(victim)
    assert not victim.active
    assert other.client.get("/staff/").status_code == 302
    assert other.login_as(victim).status_code == 400
    assert db.session.scalar(select(AuditEntry.action)) == "user.deactivate"


def test_admin_resets_a_password_under_the_policy(app, client, sign_in, post_form, make_user):
    sign_in("admin")
    clerk = make_user("forgetful", "supervisor")
    weak = post_form(
        f"/staff/users/{clerk.id}/edit",
        f"/staff/users/{clerk.id}/password",
        password="password",
        confirm="password",
    )
    assert weak.status_code == 400
    response = post_form(
        f"/staff/users/{clerk.id}/edit",
        f"/staff/users/{clerk.id}/password",
        password="new-river-77",
        confirm="new-river-77",
    )
    assert response.status_code == 302
    assert Auth(app.test_client()).login("forgetful", "new-river-77").status_code == 302
    assert db.session.scalar(select(AuditEntry.action)) == "user.reset_password"


def test_users_of_another_hall_are_out_of_reach(client, sign_in, post_form, make_hall):
    foreign = User(username="foreign", role="supervisor", hall=make_hall())
    foreign.set_password("whatever-123")
    db.session.add(foreign)
    db.session.commit()
    sign_in("admin")
    assert "foreign" not in client.get("/staff/users").get_data(as_text=True)
    assert client.get(f"/staff/users/{foreign.id}/edit").status_code == 404
    assert post_form("/staff/users", f"/staff/users/{foreign.id}/deactivate").status_code == 404


def test_supervisors_cannot_manage_accounts(client, sign_in, post_form, make_user):
    sign_in("supervisor")
    other = make_user("peer", "supervisor")
    assert client.get("/staff/users").status_code == 403
    response = post_form("/staff/", f"/staff/users/{other.id}/edit", role="admin", staff_id="0")
    assert response.status_code == 403
    db.session.refresh(other)
    assert other.role == "supervisor"
    assert db.session.scalar(select(Hall.id)) is not None


@pytest.mark.parametrize("change", ["password", "role", "deactivate"])
def test_password_reset_role_change_or_deactivation_ends_open_sessions(
    app, client, sign_in, post_form, make_user, change
):
    clerk = make_user("clerk-x", "supervisor")
    their_browser = app.test_client()
    assert Auth(their_browser).login_as(clerk).status_code == 302
    assert their_browser.get("/staff/").status_code == 200
    sign_in("admin")
    edit = f"/staff/users/{clerk.id}/edit"
    if change == "password":
        post_form(
            edit,
            f"/staff/users/{clerk.id}/password",
            password="new-river-77",
            confirm="new-river-77",
        )
    elif change == "role":
        assert post_form(edit, edit, role="admin").status_code == 302
    else:
        post_form(edit, f"/staff/users/{clerk.id}/deactivate")
    assert their_browser.get("/staff/").status_code == 302

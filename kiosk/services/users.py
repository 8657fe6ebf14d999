"""Administering staff-area accounts: roles, staff links, deactivation, password resets.

Accounts are created by kiosk.services.accounts.create_user, which owns the password policy.
Every field changed here is passed explicitly; nothing is copied from a request wholesale.
"""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import ROLES, Staff, User
from kiosk.services import audit
from kiosk.services.accounts import AccountError, check_password_strength, create_user


def hall_users(hall_id: int | None) -> list[User]:
    """Return the hall's accounts by username."""
    return list(
        db.session.scalars(select(User).where(User.hall_id == hall_id).order_by(User.username))
    )


def hall_user(hall_id: int | None, user_id: int) -> User | None:
    """Return the account if it belongs to the hall, else None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.hall_id == hall_id else None


def username_taken(username: str) -> bool:
    """Return whether an account with this name exists."""
    return db.session.scalar(select(User.id).where(User.username == username.strip())) is not None


def _log(action: str, user: User, actor: User, **detail: object) -> None:
    audit.record(
        action,
        actor=actor,
        target_type="user",
        target_id=user.id,
        hall_id=user.hall_id,
        detail={"username": user.username, **detail},
    )


def add_user(
    hall_id: int, *, username: str, role: str, password: str, staff: Staff | None, actor: User
) -> User:
    """Create an account in the hall; raise AccountError for a taken name or weak password."""
    user = create_user(username, role, password, staff=staff)
    user.hall_id = hall_id
    db.session.flush()
    _log("user.create", user, actor, role=role, staff_id=staff.id if staff else None)
    return user


def change_role(user: User, *, role: str, staff: Staff | None, actor: User) -> None:
    """Set the account's role and linked staff member."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    before = {"role": user.role, "staff_id": user.staff_id}
    if role != user.role:
        user.end_sessions()  # open sessions must not keep the old role's pages
    user.role, user.staff = role, staff
    db.session.flush()
    _log("user.update", user, actor, before=before, role=role, staff_id=user.staff_id)


def set_user_active(user: User, active: bool, *, actor: User) -> None:
    """Deactivate an account (it can no longer sign in) or reactivate it; never one's own."""
    if user.id == actor.id and not active:
        raise AccountError("an admin cannot deactivate their own account")
    user.active = active
    if not active:
        user.end_sessions()
    db.session.flush()
    _log("user.reactivate" if active else "user.deactivate", user, actor)


def reset_password(user: User, password: str, *, actor: User) -> None:
    """Give the account a new password chosen by an admin, under the same policy."""
    check_password_strength(password, user.role, user.username)
    user.set_password(password)
    user.end_sessions()  # whoever knew the old password is signed out everywhere
    db.session.flush()
    _log("user.reset_password", user, actor)

"""Staff-area accounts: creating them under the password policy, and administering them.

Passwords must be hard to guess (create_user and reset_password apply the same policy). Admins
change a hall's accounts here: roles, staff links, deactivation, password resets. Every field
changed is passed explicitly; nothing is copied from a request wholesale.

An account belongs to a hall (a hall role) or to a district (a district role), never both;
create_user refuses any other pairing. A hall admin manages the hall's accounts only: the hall
functions here never list, return or give a district role.
"""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import DISTRICT_ROLES, HALL_ROLES, ROLES, District, Hall, Staff, User
from kiosk.services import audit

# The most-used passwords; refused whatever their length.
COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "qwertyuiop",
        "qwerty123",
        "1qaz2wsx",
        "abc12345",
        "abcd1234",
        "a1234567",
        "iloveyou",
        "admin123",
        "administrator",
        "letmein1",
        "welcome1",
        "woaini1314",
        "5201314520",
        "1234qwer",
        "qwer1234",
        "asdf1234",
        "zxcvbnm123",
        "111111111111",
        "123456123456",
        "admin1234567",
        "password1234",
        "qwerty123456",
    }
)


class AccountError(ValueError):
    """The account could not be created; the message says why."""


def minimum_length(role: str) -> int:
    """Return the minimum password length for role (hall and district admins need longer ones)."""
    return 12 if role in ("admin", "district_admin") else 8


def check_password_strength(password: str, role: str, username: str) -> None:
    """Raise AccountError if password is too short, common or the username itself."""
    if len(password) < minimum_length(role):
        raise AccountError(f"password must be at least {minimum_length(role)} characters")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered == username.lower() or len(set(password)) < 4:
        raise AccountError("password is too common or too easy to guess")


def create_user(
    username: str,
    role: str,
    password: str,
    *,
    staff: Staff | None = None,
    hall: Hall | None = None,
    district: District | None = None,
) -> User:
    """Create an account; raise AccountError for a taken name, bad role or weak password.

    A district role needs district and takes no hall or staff member; a hall role takes no
    district.
    """
    username = username.strip()
    if not username or len(username) > 60:
        raise AccountError("username must be 1–60 characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    check_belonging(role, hall=hall, district=district, staff=staff)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    check_password_strength(password, role, username)
    user = User(username=username, role=role, staff=staff, hall=hall, district=district)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def check_belonging(
    role: str, *, hall: Hall | None, district: District | None, staff: Staff | None = None
) -> None:
    """Raise AccountError unless a district role has a district only and a hall role no district."""
    if role in DISTRICT_ROLES:
        if district is None:
            raise AccountError(f"a {role} account needs a district")
        if hall is not None or staff is not None:
            raise AccountError(f"a {role} account belongs to its district, not to a hall")
    elif district is not None:
        raise AccountError(f"a {role} account belongs to a hall, not to a district")


def hall_users(hall_id: int | None) -> list[User]:
    """Return the hall's accounts by username (hall roles only)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.hall_id == hall_id, User.role.in_(HALL_ROLES))
            .order_by(User.username)
        )
    )


def hall_user(hall_id: int | None, user_id: int) -> User | None:
    """Return the account if it is one of the hall's (a hall role), else None."""
    user = db.session.get(User, user_id)
    if user is None or user.hall_id != hall_id or user.role not in HALL_ROLES:
        return None
    return user


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
    if role not in HALL_ROLES:
        raise AccountError(f"role must be one of {', '.join(HALL_ROLES)}")
    user = create_user(username, role, password, staff=staff)
    user.hall_id = hall_id
    db.session.flush()
    _log("user.create", user, actor, role=role, staff_id=staff.id if staff else None)
    return user


def change_role(user: User, *, role: str, staff: Staff | None, actor: User) -> None:
    """Set the hall account's role (a hall role) and linked staff member."""
    if role not in HALL_ROLES or user.role not in HALL_ROLES:
        raise AccountError(f"role must be one of {', '.join(HALL_ROLES)}")
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

"""Creating accounts with passwords that are hard to guess."""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import ROLES, Hall, Staff, User

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
    """Return the minimum password length for role (admins need longer ones)."""
    return 12 if role == "admin" else 8


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
) -> User:
    """Create an account; raise AccountError for a taken name, bad role or weak password."""
    username = username.strip()
    if not username or len(username) > 60:
        raise AccountError("username must be 1–60 characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    check_password_strength(password, role, username)
    user = User(username=username, role=role, staff=staff, hall=hall)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user

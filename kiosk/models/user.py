"""Accounts for staff pages."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.hall import Hall, Staff

ROLES = ("admin", "supervisor", "staff")


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie; changing it (at logout) makes old cookies worthless.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    staff: Mapped[Staff | None] = relationship()
    hall: Mapped[Hall | None] = relationship()

    def get_id(self) -> str:  # Flask-Login: what the session cookie stores
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued to this user."""
        self.session_token = secrets.token_hex(16)

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot sign in
        return self.active

    def set_password(self, password: str) -> None:
        """Store a salted hash of password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: str) -> bool:
        """Return whether the user holds one of roles (admins hold every role)."""
        return self.role == "admin" or self.role in roles

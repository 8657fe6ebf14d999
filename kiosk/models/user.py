"""Accounts for staff pages."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.district import District
from kiosk.models.hall import Hall, Staff

# Two kinds of account that never mix. A hall account (hall_id set, district_id None) works in
# one hall's staff area (/staff/). A district account (district_id set, hall_id None) works in
# one street office's district area (/district/): district_admin sets the district up (its
# stations, later its schemes and rounds), district_assessor scores in rounds and sees the
# district's stations, resident_rep (居民代表) scores only in the rounds it is invited to and
# sees nothing else. A hall admin is no district user, and a district admin no hall admin.
HALL_ROLES = ("admin", "supervisor", "staff")
DISTRICT_ROLES = ("district_admin", "district_assessor", "resident_rep")
ROLES = HALL_ROLES + DISTRICT_ROLES


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie; changing it (at logout) makes old cookies worthless.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    staff: Mapped[Staff | None] = relationship()
    hall: Mapped[Hall | None] = relationship()
    district: Mapped[District | None] = relationship()

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

    @property
    def is_district_user(self) -> bool:
        """Return whether the account works in a district area rather than a hall's."""
        return self.role in DISTRICT_ROLES

    def has_role(self, *roles: str) -> bool:
        """Return whether the user holds one of roles.

        A hall admin holds every hall role (admin, supervisor, staff) and no district role: it
        passes has_role("supervisor") but not has_role("district_admin"). District roles are
        held by name only (a district_admin is not also a district_assessor, and never a hall
        role), so no district account passes a hall page's check, nor a hall account a
        district page's.
        """
        if self.role in roles:
            return True
        return self.role == "admin" and any(role in HALL_ROLES for role in roles)

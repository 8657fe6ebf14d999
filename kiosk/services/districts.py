"""Districts (街道) and their stations: creating them, attaching halls, listing what they hold.

A station is a Hall with district_id set. A hall belongs to at most one district and is
attached only while it belongs to none: moving a station from one street office to another is
not something an office does on its own. Each change is in the station's own audit log, so its
hall admin sees who attached it.
"""

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import District, Hall, Staff, User, Window
from kiosk.services import audit

# The same slugs as halls take (/board/<slug>, /public/<slug>; /public/district/<slug> later).
SLUG_PATTERN = re.compile(r"[a-z0-9-]{2,40}")
NAME_MAX = 120


class DistrictError(ValueError):
    """The district or station could not be changed; the message says why."""


@dataclass(frozen=True)
class StationRow:
    """One station on the district's home page."""

    hall: Hall
    windows: int  # active windows
    staff: int  # active staff members


def valid_slug(slug: str) -> bool:
    """Return whether slug is 2–40 lowercase letters, digits or '-'."""
    return SLUG_PATTERN.fullmatch(slug) is not None


def all_districts() -> list[District]:
    """Return every district by slug."""
    return list(db.session.scalars(select(District).order_by(District.slug)))


def district_by_slug(slug: str) -> District | None:
    """Return the district with this slug, or None."""
    return db.session.scalar(select(District).where(District.slug == slug))


def hall_by_slug(slug: str) -> Hall | None:
    """Return the hall with this slug, or None."""
    return db.session.scalar(select(Hall).where(Hall.slug == slug))


def hall_slug_taken(slug: str) -> bool:
    """Return whether a hall already has this slug."""
    return db.session.scalar(select(Hall.id).where(Hall.slug == slug)) is not None


def create_district(slug: str, name: str, *, actor: User | None = None) -> District:
    """Create a street office; raise DistrictError for a bad or taken slug or a bad name."""
    slug, name = slug.strip(), name.strip()
    if not valid_slug(slug):
        raise DistrictError("slug must be 2–40 lowercase letters, digits or '-'")
    if not name or len(name) > NAME_MAX:
        raise DistrictError(f"name must be 1–{NAME_MAX} characters")
    if district_by_slug(slug) is not None:
        raise DistrictError(f"district {slug!r} exists already")
    district = District(slug=slug, name=name)
    db.session.add(district)
    db.session.flush()
    audit.record(
        "district.create",
        actor=actor,
        target_type="district",
        target_id=district.id,
        hall_id=None,
        detail={"district": slug, "name": name},
    )
    return district


def _log_station(action: str, hall: Hall, district: District, actor: User | None) -> None:
    audit.record(
        action,
        actor=actor,
        target_type="hall",
        target_id=hall.id,
        hall_id=hall.id,
        detail={"hall": hall.slug, "district": district.slug},
    )


def attach_hall(district: District, hall: Hall, *, actor: User | None = None) -> None:
    """Make an unattached hall a station of district; raise DistrictError if it has one."""
    if hall.district_id == district.id:
        raise DistrictError(f"hall {hall.slug!r} is a station of {district.slug!r} already")
    if hall.district_id is not None:
        raise DistrictError(f"hall {hall.slug!r} belongs to another district")
    hall.district = district
    db.session.flush()
    _log_station("hall.attach", hall, district, actor)


def create_station(district: District, *, slug: str, name: str, actor: User) -> Hall:
    """Create a new hall as a station of district; raise DistrictError for a bad slug or name."""
    slug, name = slug.strip(), name.strip()
    if not valid_slug(slug):
        raise DistrictError("slug must be 2–40 lowercase letters, digits or '-'")
    if not name or len(name) > NAME_MAX:
        raise DistrictError(f"name must be 1–{NAME_MAX} characters")
    if hall_slug_taken(slug):
        raise DistrictError(f"hall {slug!r} exists already")
    hall = Hall(slug=slug, name=name, district=district)
    db.session.add(hall)
    db.session.flush()
    _log_station("hall.create", hall, district, actor)
    return hall


def unattached_halls() -> list[Hall]:
    """Return the halls that belong to no district, by slug."""
    return list(
        db.session.scalars(select(Hall).where(Hall.district_id.is_(None)).order_by(Hall.slug))
    )


def unattached_hall(hall_id: int) -> Hall | None:
    """Return the hall if it exists and belongs to no district, else None."""
    hall = db.session.get(Hall, hall_id)
    return hall if hall is not None and hall.district_id is None else None


def stations(district_id: int) -> list[StationRow]:
    """Return the district's stations by slug, with their active windows and staff counted.

    By slug, not name: Chinese names sort by code point (not by pinyin), and differently
    under different PostgreSQL collations; the ASCII slugs sort the same everywhere.
    """
    windows = (
        select(func.count(Window.id))
        .where(Window.hall_id == Hall.id, Window.active.is_(True))
        .scalar_subquery()
    )
    staff = (
        select(func.count(Staff.id))
        .where(Staff.hall_id == Hall.id, Staff.active.is_(True))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Hall, windows, staff).where(Hall.district_id == district_id).order_by(Hall.slug)
    )
    return [StationRow(hall, window_count, staff_count) for hall, window_count, staff_count in rows]

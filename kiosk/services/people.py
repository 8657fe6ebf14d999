"""Managing a hall's staff: records, activity and ID photos."""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Staff, User
from kiosk.services import audit

PHOTO_MAX_SIDE = 512
# Larger images than this are refused before decoding (decompression bombs).
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class PhotoError(ValueError):
    """The upload is not a usable JPEG or PNG photo."""


def hall_staff(hall_id: int | None, *, active_only: bool = False) -> list[Staff]:
    """Return the hall's staff by staff number."""
    query = select(Staff).where(Staff.hall_id == hall_id).order_by(Staff.staff_no)
    if active_only:
        query = query.where(Staff.active.is_(True))
    return list(db.session.scalars(query))


def hall_member(hall_id: int | None, staff_id: int) -> Staff | None:
    """Return the staff member if they belong to the hall, else None."""
    staff = db.session.get(Staff, staff_id)
    return staff if staff is not None and staff.hall_id == hall_id else None


def staff_no_taken(staff_no: str, *, except_id: int | None = None) -> bool:
    """Return whether a staff number (工号, unique across halls) is in use by someone else."""
    query = select(Staff.id).where(Staff.staff_no == staff_no.strip())
    if except_id is not None:
        query = query.where(Staff.id != except_id)
    return db.session.scalar(query) is not None


def _log(action: str, staff: Staff, actor: User, **detail: object) -> None:
    audit.record(
        action,
        actor=actor,
        target_type="staff",
        target_id=staff.id,
        hall_id=staff.hall_id,
        detail={"staff_no": staff.staff_no, **detail},
    )


def create_staff(hall_id: int, *, staff_no: str, name: str, actor: User) -> Staff:
    """Add a staff member to the hall."""
    staff = Staff(hall_id=hall_id, staff_no=staff_no.strip(), name=name.strip())
    db.session.add(staff)
    db.session.flush()
    _log("staff.create", staff, actor)
    return staff


def update_staff(staff: Staff, *, staff_no: str, name: str, actor: User) -> None:
    """Change a staff member's number or name."""
    before = {"staff_no": staff.staff_no, "name": staff.name}
    staff.staff_no, staff.name = staff_no.strip(), name.strip()
    db.session.flush()
    _log("staff.update", staff, actor, before=before)


def set_staff_active(staff: Staff, active: bool, *, actor: User) -> None:
    """Deactivate a staff member (no longer attributed ratings) or reactivate them."""
    staff.active = active
    db.session.flush()
    _log("staff.reactivate" if active else "staff.deactivate", staff, actor)


def normalise_photo(data: bytes) -> tuple[bytes, str]:
    """Return (image bytes, MIME type) of a JPEG or PNG scaled to fit 512 px; raise PhotoError.

    The file is decoded by Pillow whatever its name or declared type says, so a renamed
    document is refused; the stored copy is re-encoded, which also drops EXIF metadata.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in PHOTO_FORMATS:
                    raise PhotoError("not a JPEG or PNG")
                if probe.width * probe.height > PHOTO_MAX_PIXELS:
                    raise PhotoError("too many pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise PhotoError(str(error) or "unreadable image") from None
    picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
    return out.getvalue(), PHOTO_FORMATS[kind]


def set_staff_photo(staff: Staff, data: bytes, *, actor: User) -> None:
    """Store a verified, resized photo for the staff member; raise PhotoError if unusable."""
    staff.photo, staff.photo_mime = normalise_photo(data)
    db.session.flush()
    _log("staff.photo", staff, actor)

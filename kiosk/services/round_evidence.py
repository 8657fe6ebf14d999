"""Evidence a round's members attach to their scoring (佐证材料): photos and PDFs.

A file is taken only if its content is what it claims: a JPEG or PNG that Pillow decodes
(re-encoded before it is stored, which drops EXIF metadata such as a phone's location), or a
PDF that starts and ends as one. Its size is checked against EVIDENCE_MAX_BYTES. Files live
under the instance folder (instance/evidence/<round id>/), never under static/, by a random
name; only the district's admin and assessors, and the member who attached it, may open one.
"""

import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Hall, RoundEvidence, RoundMember, StationRound, User
from kiosk.services import audit
from kiosk.services.round_scores import check_may_score, scheme_of
from kiosk.services.station_rounds import RoundError

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
PDF = ("application/pdf", ".pdf")
EXTENSIONS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".pdf": "PDF"}
IMAGE_MAX_SIDE = 2048
IMAGE_MAX_PIXELS = 40_000_000
NAME_MAX = 120


def max_bytes() -> int:
    """Return the largest evidence file taken, in bytes."""
    return int(current_app.config["EVIDENCE_MAX_BYTES"])


def evidence_folder() -> Path:
    """Return the folder evidence files are stored in (under the instance folder)."""
    return Path(current_app.instance_path) / "evidence"


def _image(data: bytes) -> tuple[bytes, str, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in IMAGE_FORMATS or probe.width * probe.height > IMAGE_MAX_PIXELS:
                    raise ValueError("not a JPEG or PNG of a usable size")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise RoundError(_("无法识别这个文件：请上传 JPG、PNG 照片或 PDF 文件。")) from None
    picture.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    out = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
    mime, extension = IMAGE_FORMATS[kind]
    return out.getvalue(), mime, extension


def checked_file(file_name: str, data: bytes) -> tuple[bytes, str, str]:
    """Return (bytes to store, MIME type, extension) of an upload; raise RoundError if unfit.

    The name's extension must say what the content is: a PDF renamed .jpg is refused, and so
    is an image renamed .pdf.
    """
    if not data:
        raise RoundError(_("请选择要上传的文件。"))
    if len(data) > max_bytes():
        limit = format(max_bytes() / 1048576, "g")
        raise RoundError(_("文件不能超过 %(mb)s MB。", mb=limit))
    claimed = EXTENSIONS.get(Path(file_name.lower()).suffix)
    if claimed is None:
        raise RoundError(_("只能上传 JPG、PNG 照片或 PDF 文件。"))
    if claimed == "PDF":
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
            raise RoundError(_("无法识别这个文件：请上传 JPG、PNG 照片或 PDF 文件。"))
        return data, *PDF
    stored, mime, extension = _image(data)
    if IMAGE_FORMATS[claimed][0] != mime:
        raise RoundError(_("无法识别这个文件：请上传 JPG、PNG 照片或 PDF 文件。"))
    return stored, mime, extension


def _shown_name(file_name: str, extension: str) -> str:
    stem = Path(file_name.replace("\\", "/")).stem.strip() or "evidence"
    cleaned = "".join(c for c in stem if c.isprintable() and c not in '/\\:*?"<>|')
    return (cleaned or "evidence")[: NAME_MAX - len(extension)] + extension


def attach(
    round_: StationRound,
    hall: Hall,
    member: RoundMember,
    file_name: str,
    data: bytes,
    *,
    item: str | None,
    actor: User,
) -> RoundEvidence:
    """Store a member's evidence for a station (optionally for one item) and audit it."""
    check_may_score(round_, hall, member, actor)
    if item is not None:
        try:
            scheme_of(round_).item(item)
        except KeyError:
            raise RoundError(_("考核项 %(code)s 不存在。", code=item[:80])) from None
    stored, mime, extension = checked_file(file_name, data)
    stored_name = secrets.token_hex(16) + extension
    folder = evidence_folder() / str(round_.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored_name).write_bytes(stored)
    evidence = RoundEvidence(
        round_id=round_.id,
        hall_id=hall.id,
        member_id=member.id,
        item=item,
        file_name=_shown_name(file_name, extension),
        stored_name=stored_name,
        mime=mime,
        size=len(stored),
    )
    db.session.add(evidence)
    db.session.flush()
    audit.record(
        "station_round.evidence",
        actor=actor,
        target_type="station_round",
        target_id=round_.id,
        hall_id=None,
        detail={"station": hall.slug, "item": item, "mime": mime, "size": len(stored)},
    )
    return evidence


def station_evidence(round_: StationRound, hall: Hall) -> list[RoundEvidence]:
    """Return the evidence attached to a station in the round, oldest first."""
    return list(
        db.session.scalars(
            select(RoundEvidence)
            .where(RoundEvidence.round_id == round_.id, RoundEvidence.hall_id == hall.id)
            .order_by(RoundEvidence.id)
        )
    )


def member_evidence(round_: StationRound, hall: Hall, member: RoundMember) -> list[RoundEvidence]:
    """Return the evidence the member attached to the station, oldest first."""
    return [e for e in station_evidence(round_, hall) if e.member_id == member.id]


def may_open(evidence: RoundEvidence, user: User) -> bool:
    """Return whether the account may open the file: its district's admin or assessors, or
    the member who attached it."""
    round_ = db.session.get(StationRound, evidence.round_id)
    if round_ is None:
        return False
    if user.role in ("district_admin", "district_assessor"):
        return user.district_id == round_.district_id
    return evidence.member.user_id == user.id


def file_path(evidence: RoundEvidence) -> Path:
    """Return where the evidence file is stored."""
    return evidence_folder() / str(evidence.round_id) / evidence.stored_name

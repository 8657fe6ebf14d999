"""Evidence in a round: photos and PDFs are checked by content and size, stored under the
instance folder, and opened only by the district and the member who attached them."""

import io
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import AuditEntry, RoundEvidence
from kiosk.services import round_evidence, station_rounds
from kiosk.services.station_rounds import RoundError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30), exif: bool = False) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (200, 30, 30))
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"  # Make
        picture.save(out, format=kind, exif=tags)
    else:
        picture.save(out, format=kind)
    return out.getvalue()


@pytest.fixture
def world(ctx, hall, make_hall, make_district, make_user):  # type: ignore[no-untyped-def]
    own = make_district(slug="fuxing", name="复兴街道")
    other = make_district(slug="heping", name="和平街道")
    hall.district = own
    anle = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    db.session.commit()
    users = {
        "admin": make_user("jd-admin", "district_admin", district=own),
        "assessor": make_user("jd-assessor", "district_assessor", district=own),
        "rep": make_user("jd-rep", "resident_rep", district=own),
        "clerk": make_user("xf-clerk", "staff", hall=hall),
        "foreign_assessor": make_user("hp-assessor", "district_assessor", district=other),
    }
    round_ = station_rounds.open_round(
        own,
        title="第四季度考核",
        kind="quarter",
        period="2026Q4",
        spot_check_on=None,
        scheme="2019",
        hall_ids=[hall.id, anle.id],
        actor=users["admin"],
    )
    members = {
        who: station_rounds.add_member(round_, users[who], actor=users["admin"])
        for who in ("rep", "clerk")
    }
    db.session.commit()
    return {**users, "round": round_, "xingfu": hall, "anle": anle, "members": members}


def _attach(world, name: str, data: bytes, who: str = "clerk", hall: str = "anle", item=None):  # type: ignore[no-untyped-def]
    evidence = round_evidence.attach(
        world["round"],
        world[hall],
        world["members"][who],
        name,
        data,
        item=item,
        actor=world[who],
    )
    db.session.commit()
    return evidence


def test_a_photo_is_stored_under_the_instance_folder_without_its_metadata(app: Flask, world):
    evidence = _attach(
        world, "门口 标识.jpg", image_bytes("JPEG", exif=True), item="operation.hours"
    )
    path = round_evidence.file_path(evidence)
    assert path.is_file()
    assert path.is_relative_to(Path(app.instance_path))
    assert not path.is_relative_to(Path(app.static_folder or "static").resolve())
    assert (evidence.mime, evidence.file_name, evidence.item) == (
        "image/jpeg",
        "门口 标识.jpg",
        "operation.hours",
    )
    assert evidence.stored_name != evidence.file_name and evidence.stored_name.endswith(".jpg")
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and not dict(stored.getexif())
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "station_round.evidence")
    )
    assert entry is not None and entry.actor_id == world["clerk"].id
    assert entry.detail["station"] == "anle"


def test_a_pdf_is_stored_as_it_came(world):
    evidence = _attach(world, "台账.pdf", PDF)
    assert round_evidence.file_path(evidence).read_bytes() == PDF
    assert evidence.mime == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("note.txt", b"hello", "只能上传"),
        ("setup.exe", b"MZ\x90\x00", "只能上传"),
        ("fake.pdf", b"just text, no pdf", "无法识别"),
        ("fake.png", b"\x89PNG\r\n\x1a\n but broken", "无法识别"),
        ("a-pdf.jpg", PDF, "无法识别"),
        ("a-png.pdf", image_bytes("PNG"), "无法识别"),
        ("a-png.jpg", image_bytes("PNG"), "无法识别"),
        ("empty.png", b"", "请选择"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_stored(
    app: Flask, world, name, data, message
):
    with pytest.raises(RoundError, match=message):
        _attach(world, name, data)
    db.session.rollback()
    assert db.session.scalar(select(func.count(RoundEvidence.id))) == 0
    assert not (Path(app.instance_path) / "evidence").exists()


def test_a_file_over_the_limit_is_refused(app: Flask, world):
    app.config["EVIDENCE_MAX_BYTES"] = len(PDF) - 1
    with pytest.raises(RoundError, match="不能超过"):
        _attach(world, "台账.pdf", PDF)
    app.config["EVIDENCE_MAX_BYTES"] = len(PDF)
    _attach(world, "台账.pdf", PDF)


def test_nobody_attaches_evidence_to_their_own_station_or_a_round_they_are_not_in(world):
    with pytest.raises(RoundError, match="本人所在的站点") as refused:
        _attach(world, "x.pdf", PDF, hall="xingfu")
    assert refused.value.status == 403
    with pytest.raises(RoundError) as refused:
        round_evidence.attach(
            world["round"],
            world["anle"],
            world["members"]["rep"],
            "x.pdf",
            PDF,
            item=None,
            actor=world["assessor"],
        )
    assert refused.value.status == 403


def test_only_the_district_and_the_uploader_may_open_a_file(world):
    evidence = _attach(world, "台账.pdf", PDF)
    may = {
        who: round_evidence.may_open(evidence, world[who])
        for who in world
        if who
        in (
            "admin",
            "assessor",
            "clerk",
            "rep",
            "foreign_assessor",
        )
    }
    assert may == {
        "admin": True,
        "assessor": True,
        "clerk": True,  # the member who attached it
        "rep": False,  # another member of the group
        "foreign_assessor": False,
    }

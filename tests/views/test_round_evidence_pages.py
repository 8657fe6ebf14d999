"""Evidence through the pages: a member uploads a photo on the scoring page, the district
opens it, and nobody else does; the upload is CSRF-protected and its limits are explained.

The world is tests/views/test_station_round_pages.py's: the clerk works at xingfu and sits in
the quarter's round with an assessor and a residents' representative.
"""

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import RoundEvidence
from tests.helpers import hidden_fields
from tests.services.test_round_evidence import PDF, image_bytes
from tests.views.test_security_checklist import snapshot
from tests.views.test_station_round_pages import _client, _urls, world

__all__ = ["world"]  # the fixture, shared


def _upload(client, url: str, name: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    import io

    form = hidden_fields(client.get(url).get_data(as_text=True))
    return client.post(
        f"{url}/evidence",
        data={**form, **fields, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_member_uploads_a_photo_and_only_the_district_and_the_uploader_open_it(app, world):
    clerk = _client(app, world, "clerk")
    url = _urls(world)["score_anle"]
    photo = image_bytes("PNG")
    response = _upload(clerk, url, "标识牌.png", photo, item="operation.hours")
    assert response.status_code == 302 and response.headers["Location"] == url
    page = clerk.get(url).get_data(as_text=True)
    assert "已上传佐证材料" in page and "标识牌.png" in page
    evidence = db.session.scalar(select(RoundEvidence))
    assert evidence is not None and evidence.item == "operation.hours"
    link = f"/district/fuxing/rounds/{world['round'].id}/evidence/{evidence.id}"
    assert f'href="{link}"' in page

    opened = clerk.get(link)
    assert opened.status_code == 200 and opened.mimetype == "image/png"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in opened.headers["Content-Security-Policy"]
    assert opened.data.startswith(b"\x89PNG")
    assessor = _client(app, world, "assessor")
    assert f'href="{link}"' in assessor.get(_urls(world)["detail"]).get_data(as_text=True)
    statuses = {
        who: _client(app, world, who).get(link).status_code
        for who in (
            "anonymous",
            "admin",
            "assessor",
            "rep",
            "hall_admin",
            "anle_clerk",
            "foreign_assessor",
            "foreign_clerk",
        )
    }
    assert statuses == {
        "anonymous": 302,
        "admin": 200,
        "assessor": 200,
        "rep": 404,  # a member, but not the one who attached it
        "hall_admin": 403,  # hall accounts in no round: the area is closed
        "anle_clerk": 403,  # the station it shows: still not the district
        "foreign_assessor": 404,
        "foreign_clerk": 403,
    }


def test_a_pdf_is_offered_as_a_download(app, world):
    rep = _client(app, world, "rep")
    url = _urls(world)["score_anle"]
    assert _upload(rep, url, "台账.pdf", PDF).status_code == 302
    evidence = db.session.scalar(select(RoundEvidence))
    opened = _client(app, world, "admin").get(
        f"/district/fuxing/rounds/{world['round'].id}/evidence/{evidence.id}"
    )
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("attachment")


def test_an_upload_that_does_not_fit_is_explained_on_the_page(app, world):
    rep = _client(app, world, "rep")
    url = _urls(world)["score_anle"]
    before = snapshot()
    wrong_type = _upload(rep, url, "说明.txt", b"hello")
    assert wrong_type.status_code == 422
    assert "只能上传 JPG、PNG 照片或 PDF 文件" in wrong_type.get_data(as_text=True)
    renamed = _upload(rep, url, "photo.png", PDF)
    assert renamed.status_code == 422 and "无法识别这个文件" in renamed.get_data(as_text=True)
    app.config["EVIDENCE_MAX_BYTES"] = 100
    too_big = _upload(rep, url, "台账.pdf", PDF + b" " * 100)
    assert too_big.status_code == 422 and "不能超过" in too_big.get_data(as_text=True)
    app.config["EVIDENCE_MAX_BYTES"] = 1024 * 1024
    # Well beyond the route's limit the server stops reading: the 413 page.
    huge = _upload(rep, url, "台账.pdf", b"%PDF-" + b"0" * (3 * 1024 * 1024))
    assert huge.status_code == 413
    assert snapshot() == before
    assert db.session.scalar(select(func.count(RoundEvidence.id))) == 0


def test_evidence_for_ones_own_station_and_without_a_token_is_refused(app, world):
    clerk = _client(app, world, "clerk")
    urls = _urls(world)
    csrf = hidden_fields(clerk.get(urls["score_anle"]).get_data(as_text=True))
    before = snapshot()
    import io

    own = clerk.post(
        f"{urls['score_xingfu']}/evidence",
        data={**csrf, "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert own.status_code == 403
    forged = clerk.post(
        f"{urls['score_anle']}/evidence",
        data={"csrf_token": "forged", "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400
    assert snapshot() == before


def test_a_phone_photo_larger_than_other_requests_is_taken(app, world):
    """A 3 MB photo: more than any other form may send (2 MiB), well inside the evidence limit."""
    import io
    import random

    from PIL import Image

    noise = random.Random(7).randbytes(1400 * 1400 * 3)
    picture = Image.frombytes("RGB", (1400, 1400), noise)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=97)
    photo = out.getvalue()
    assert 2 * 1024 * 1024 < len(photo) < app.config["EVIDENCE_MAX_BYTES"]
    clerk = _client(app, world, "clerk")
    response = _upload(clerk, _urls(world)["score_anle"], "现场.jpg", photo)
    assert response.status_code == 302, response.status_code
    assert db.session.scalar(select(func.count(RoundEvidence.id))) == 1
    # Any other form still stops at the usual limit.
    other = clerk.post("/auth/login", data={"username": "x" * (3 * 1024 * 1024)})
    assert other.status_code == 413

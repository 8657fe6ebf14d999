"""Staff records in the staff area: create, edit, deactivate, and photo uploads."""

import io

from PIL import Image
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Staff


def image_bytes(kind: str, size: tuple[int, int] = (1200, 900), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None).save(buffer, format=kind)
    return buffer.getvalue()


def upload(client, post_form, person, data: bytes, filename: str):  # type: ignore[no-untyped-def]
    return post_form(
        f"/staff/people/{person.id}/edit",
        f"/staff/people/{person.id}/photo",
        photo=(io.BytesIO(data), filename),
    )


def stored_photo(person: Staff) -> tuple[bytes | None, str | None]:
    db.session.expire(person)
    return person.photo, person.photo_mime


def test_supervisor_adds_and_edits_a_staff_member(client, sign_in, post_form, hall):
    sign_in("supervisor")
    response = post_form("/staff/people/new", staff_no="XF009", name="李娜")
    assert response.status_code == 302
    person = db.session.scalar(select(Staff).where(Staff.staff_no == "XF009"))
    assert person.hall_id == hall.id and person.name == "李娜"
    response = post_form(f"/staff/people/{person.id}/edit", staff_no="XF010", name="李娜娜")
    assert response.status_code == 302
    db.session.refresh(person)
    assert (person.staff_no, person.name) == ("XF010", "李娜娜")
    assert "李娜娜" in client.get("/staff/people").get_data(as_text=True)


def test_staff_numbers_are_unique(client, sign_in, post_form, staff):
    sign_in("supervisor")
    response = post_form("/staff/people/new", staff_no=staff.staff_no, name="重号")
    assert response.status_code == 400
    assert "这个工号已被使用" in response.get_data(as_text=True)
    response = post_form("/staff/people/new", staff_no="有空格 的", name="怪号")
    assert response.status_code == 400
    assert db.session.scalar(select(db.func.count(Staff.id))) == 1


def test_deactivating_a_staff_member_is_logged(client, sign_in, post_form, staff):
    sign_in("supervisor")
    post_form("/staff/people", f"/staff/people/{staff.id}/deactivate")
    db.session.refresh(staff)
    assert not staff.active
    assert db.session.scalar(select(AuditEntry.action)) == "staff.deactivate"


def test_jpeg_photo_is_resized_and_served_as_jpeg(client, sign_in, post_form, staff):
    sign_in("supervisor")
    response = upload(client, post_form, staff, image_bytes("JPEG"), "me.jpg")
    assert response.status_code == 302
    photo, mime = stored_photo(staff)
    assert mime == "image/jpeg"
    with Image.open(io.BytesIO(photo)) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 512 and stored.size == (512, 384)
    served = client.get(f"/staff/people/{staff.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == photo


def test_png_photo_stays_png(client, sign_in, post_form, staff):
    sign_in("supervisor")
    upload(client, post_form, staff, image_bytes("PNG", (300, 400)), "me.png")
    photo, mime = stored_photo(staff)
    assert mime == "image/png"
    with Image.open(io.BytesIO(photo)) as stored:
        assert stored.size == (300, 400)
    assert client.get(f"/staff/people/{staff.id}/photo").mimetype == "image/png"


def test_a_renamed_document_is_refused_with_a_form_error(client, sign_in, post_form, staff):
    sign_in("supervisor")
    for data, name in (
        (b"%PDF-1.4 not really a picture", "photo.jpg"),
        (image_bytes("GIF", (50, 50), "P"), "photo.png"),
        (image_bytes("JPEG")[:200], "truncated.jpg"),
        (b"", "empty.png"),
    ):
        response = upload(client, post_form, staff, data, name)
        assert response.status_code == 400, name
        page = response.get_data(as_text=True)
        assert "JPG 或 PNG" in page, name
    assert stored_photo(staff) == (None, None)
    assert client.get(f"/staff/people/{staff.id}/photo").status_code == 404


def test_missing_file_is_a_form_error(client, sign_in, post_form, staff):
    sign_in("supervisor")
    response = post_form(f"/staff/people/{staff.id}/edit", f"/staff/people/{staff.id}/photo")
    assert response.status_code == 400
    assert "请选择照片文件" in response.get_data(as_text=True)


def test_a_photo_over_the_limit_gets_a_clear_error(app, client, sign_in, post_form, staff):
    app.config["STAFF_PHOTO_MAX_BYTES"] = 10_000
    sign_in("supervisor")
    response = upload(
        client, post_form, staff, image_bytes("PNG", (200, 200)) + b"\0" * 20_000, "a.png"
    )
    assert response.status_code == 413
    assert "照片不能超过" in response.get_data(as_text=True)
    assert stored_photo(staff) == (None, None)


def test_an_upload_over_the_request_limit_is_explained_on_the_form(
    app, client, sign_in, post_form, staff
):
    sign_in("supervisor")
    big = b"\xff\xd8" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = upload(client, post_form, staff, big, "huge.jpg")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "照片不能超过" in page and staff.name in page
    assert stored_photo(staff) == (None, None)


def test_window_staff_cannot_manage_people(client, sign_in, staff):
    sign_in("staff", staff=staff)
    assert client.get("/staff/people").status_code == 403
    assert client.get(f"/staff/people/{staff.id}/photo").status_code == 403


def test_any_oversized_staff_form_gets_the_413_page_not_a_500(app, client, sign_in, post_form):
    sign_in("admin")
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = post_form("/staff/windows/new", number="1", name=big)
    assert response.status_code == 413
    assert "内容过大" in response.get_data(as_text=True)

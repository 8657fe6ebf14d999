"""NUL characters: refused with a clear 400 and nothing written, on SQLite and PostgreSQL alike
(PostgreSQL cannot store them; SQLite would keep them invisibly)."""

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, Rating, Window
from tests.device_helpers import make_device, post_rating
from tests.helpers import hidden_fields, rate, rating_form


def _count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_complaint_text_with_a_nul_is_refused_and_the_rating_kept(client, window, backend):
    tapped = rate(client, window.qr_token, 1, key="nul-complaint-01")
    assert tapped.status_code == 303
    page = client.get(tapped.headers["Location"])
    form = {**hidden_fields(page.get_data(as_text=True)), "text": "态度\x00不好"}
    response = client.post(tapped.headers["Location"], data=form)
    assert response.status_code == 400
    assert "无效字符" in response.get_data(as_text=True)
    assert _count(Complaint) == 0 and _count(Rating) == 1


@pytest.mark.parametrize("field", ["level", "key"])
def test_a_tap_with_a_nul_is_refused(client, window, field, backend):
    form = {**rating_form(client, window.qr_token), "level": "4", "key": "nul-key-0001"}
    form[field] += "\x00"
    response = client.post(f"/r/{window.qr_token}", data=form)
    assert response.status_code == 400
    assert _count(Rating) == 0


def test_a_staff_form_with_a_nul_is_refused(client, sign_in, window, backend):
    sign_in("admin")
    edit = f"/staff/windows/{window.id}/edit"
    form = {**hidden_fields(client.get(edit).get_data(as_text=True)), "name": "综合\x00受理"}
    form.setdefault("number", str(window.number))
    response = client.post(edit, data=form)
    assert response.status_code == 400
    db.session.expire_all()
    assert "\x00" not in db.session.get(Window, window.id).name


def test_device_json_with_a_nul_is_refused(client, hall, window, backend):
    _device, credential = make_device(hall, "kiosk")
    body: dict[str, object] = {
        "level": 4,
        "key": "nul-device-0001",
        "window_id": window.id,
        "x": "a\x00",
    }
    response = post_rating(client, credential, **body)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"
    assert _count(Rating) == 0

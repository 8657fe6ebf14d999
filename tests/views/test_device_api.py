"""POST /api/v1/ratings and the complaint and PIN endpoints, as paired devices use them."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, Device, Rating
from kiosk.models._types import utcnow
from kiosk.services import devices, invitations
from tests.device_helpers import COOKIE, iso, make_device, post_rating


def key() -> str:
    return uuid.uuid4().hex


def ratings() -> list[Rating]:
    return list(db.session.scalars(select(Rating).order_by(Rating.id)))


@pytest.fixture
def kiosk(hall):  # type: ignore[no-untyped-def]
    return make_device(hall, "kiosk")


def test_kiosk_tap_is_stored_for_the_window_and_the_staff_on_duty(
    client, kiosk, window, staff, put_on_duty
):
    put_on_duty(staff, window)
    _device, credential = kiosk
    response = post_rating(client, credential, key=key(), level=5, window_id=window.id)
    assert response.status_code == 201
    assert response.json["status"] == "stored" and response.json["counted"] is True
    (rating,) = ratings()
    assert (rating.level, rating.window_id, rating.staff_id) == (5, window.id, staff.id)
    assert rating.channel == "kiosk" and rating.status == "counted" and not rating.verified
    assert rating.device_hash


def test_a_replayed_key_answers_duplicate_and_stores_nothing_new(client, kiosk, window):
    _device, credential = kiosk
    body = {"key": key(), "level": 2, "window_id": window.id}
    answers = [post_rating(client, credential, **body).status_code for _ in range(4)]
    assert answers == [201, 200, 200, 200]
    assert len(ratings()) == 1


def test_the_cookie_set_at_pairing_authenticates_too(client, kiosk, window):
    _device, credential = kiosk
    client.set_cookie(COOKIE, credential)
    response = client.post(
        "/api/v1/ratings", json={"key": key(), "level": 4, "window_id": window.id}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("credential", "code"),
    [(None, "device_not_paired"), ("not-a-real-credential", "device_not_paired")],
)
def test_unpaired_requests_are_refused_with_401(client, window, credential, code):
    response = post_rating(client, credential, key=key(), level=5, window_id=window.id)
    assert response.status_code == 401 and response.json["error"] == code
    assert ratings() == []


def test_a_revoked_device_can_no_longer_submit(client, kiosk, window):
    device, credential = kiosk
    devices.revoke_device(device, now=utcnow())
    db.session.commit()
    response = post_rating(client, credential, key=key(), level=5, window_id=window.id)
    assert response.status_code == 401
    assert ratings() == []


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"level": 5}, 400, "invalid_key"),
        ({"key": "short", "level": 5}, 400, "invalid_key"),
        ({"key": "k" * 65, "level": 5}, 400, "invalid_key"),
        ({"key": "ok-key-123", "level": 0}, 400, "invalid_level"),
        ({"key": "ok-key-123", "level": 6}, 400, "invalid_level"),
        ({"key": "ok-key-123", "level": "5"}, 400, "invalid_level"),
        ({"key": "ok-key-123", "level": True}, 400, "invalid_level"),
        ({"key": "ok-key-123", "level": 5, "window_id": "3"}, 400, "invalid_window_id"),
        ({"key": "ok-key-123", "level": 5, "window_id": None}, 400, "window_required"),
        ({"key": "ok-key-123", "level": 5, "window_id": 99999}, 404, "unknown_window"),
        ({"key": "ok-key-123", "level": 5, "tapped_at": "yesterday"}, 400, "invalid_tapped_at"),
        ({"key": "ok-key-123", "level": 5, "tapped_at": 12}, 400, "invalid_tapped_at"),
        (
            {"key": "ok-key-123", "level": 5, "tapped_at": "2026-01-01T10:00:00"},
            400,
            "invalid_tapped_at",
        ),
        (
            {"key": "ok-key-123", "level": 5, "invitation": "x" * 20},
            422,
            "invitation_not_for_kiosk",
        ),
    ],
)
def test_bad_submissions_get_a_clear_4xx_and_write_nothing(
    client, kiosk, window, body, status, error
):
    _device, credential = kiosk
    body = {"window_id": window.id, **body}
    if body.get("window_id") is None:
        body.pop("window_id")
    response = post_rating(client, credential, **body)
    assert response.status_code == status
    assert response.json["error"] == error and response.json["detail"]
    assert ratings() == []


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        ("level=5&key=abcdefgh12", "application/x-www-form-urlencoded", 415),
        ('{"level": 5', "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("", "text/plain", 415),
    ],
)
def test_non_json_and_malformed_bodies_are_refused(client, kiosk, payload, content_type, status):
    _device, credential = kiosk
    client.set_cookie(COOKIE, credential)
    response = client.post("/api/v1/ratings", data=payload, content_type=content_type)
    assert response.status_code == status and "error" in response.json
    assert ratings() == []


def test_a_replayed_tap_keeps_its_original_time(client, kiosk, window):
    _device, credential = kiosk
    tapped = utcnow() - timedelta(hours=30)
    response = post_rating(
        client, credential, key=key(), level=4, window_id=window.id, tapped_at=iso(tapped)
    )
    assert response.status_code == 201
    assert abs(ratings()[0].created_at - tapped) < timedelta(seconds=1)


def test_sent_at_corrects_a_tablet_clock_that_is_wrong(client, kiosk, window):
    _device, credential = kiosk
    wrong_clock = utcnow() + timedelta(days=400)  # the tablet thinks it is next year
    response = post_rating(
        client,
        credential,
        key=key(),
        level=4,
        window_id=window.id,
        tapped_at=iso(wrong_clock - timedelta(minutes=10)),
        sent_at=iso(wrong_clock),
    )
    assert response.status_code == 201
    stored = ratings()[0].created_at
    assert abs(stored - (utcnow() - timedelta(minutes=10))) < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("age", "error"),
    [(timedelta(hours=73), "tapped_at_too_old"), (-timedelta(hours=1), "tapped_at_in_future")],
)
def test_taps_outside_the_replay_bound_are_refused(client, kiosk, window, age, error):
    _device, credential = kiosk
    body = {"key": key(), "level": 4, "window_id": window.id, "tapped_at": iso(utcnow() - age)}
    response = post_rating(client, credential, **body)
    assert response.status_code == 422 and response.json["error"] == error
    assert ratings() == []


def test_the_replay_bound_is_a_setting(app, client, kiosk, window):
    app.config["RATING_REPLAY_MAX_HOURS"] = 100
    _device, credential = kiosk
    tapped = iso(utcnow() - timedelta(hours=90))
    response = post_rating(
        client, credential, key=key(), level=4, window_id=window.id, tapped_at=tapped
    )
    assert response.status_code == 201


def test_a_tap_a_day_after_pairing_records_normally_without_any_form_token(
    app, client, kiosk, window
):
    _device, credential = kiosk
    app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=25)
    client.set_cookie(COOKIE, credential)
    assert client.get("/kiosk").status_code == 200
    response = client.post(
        "/api/v1/ratings", json={"key": key(), "level": 5, "window_id": window.id}
    )
    assert response.status_code == 201
    assert ratings()[0].created_at > utcnow() + timedelta(hours=24)


def test_a_window_of_another_hall_is_unknown_to_the_kiosk(client, kiosk, make_hall):
    from kiosk.models import Window

    other = make_hall()
    foreign = Window(hall=other, number=1, name="别处")
    db.session.add(foreign)
    db.session.commit()
    _device, credential = kiosk
    response = post_rating(client, credential, key=key(), level=5, window_id=foreign.id)
    assert response.status_code == 404 and ratings() == []


def test_bursts_beyond_the_device_limit_are_kept_but_quarantined(app, client, hall, window):
    # Limits count in fixed windows of time (shared by every worker): start at one's start.
    start = utcnow().replace(second=0, microsecond=0)
    app.config["CLOCK"] = lambda: start
    _device, credential = make_device(hall, "kiosk", burst_limit=3, burst_window_seconds=60)
    codes = [
        post_rating(client, credential, key=key(), level=5, window_id=window.id).status_code
        for _ in range(5)
    ]
    assert codes == [201] * 5
    stored = ratings()
    assert [r.status for r in stored] == ["counted"] * 3 + ["quarantined"] * 2
    assert [r.flags for r in stored] == [[]] * 3 + [["burst"]] * 2


def test_replayed_taps_spread_over_time_are_not_a_burst(client, hall, window):
    _device, credential = make_device(hall, "kiosk", burst_limit=2, burst_window_seconds=60)
    start = utcnow() - timedelta(hours=2)
    for minutes in range(0, 50, 10):
        tapped = iso(start + timedelta(minutes=minutes))
        post_rating(client, credential, key=key(), level=3, window_id=window.id, tapped_at=tapped)
    assert [r.status for r in ratings()] == ["counted"] * 5


# --- complaints from devices -------------------------------------------------------------


def test_a_complaint_follows_a_bad_kiosk_rating(client, kiosk, window, staff, put_on_duty):
    put_on_duty(staff, window)
    _device, credential = kiosk
    rating_key = key()
    post_rating(client, credential, key=rating_key, level=1, window_id=window.id)
    body = {
        "reasons": ["efficiency", "attitude"],
        "text": "等候时间太长 ABC",
        "phone": "13912345678",
    }
    headers = {"Authorization": f"Bearer {credential}"}
    url = f"/api/v1/ratings/{rating_key}/complaint"
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    (complaint,) = db.session.scalars(select(Complaint))
    assert complaint.reason_tags == ["attitude", "efficiency"]
    assert complaint.text == "等候时间太长 ABC" and complaint.contact_phone == "13912345678"
    assert complaint.staff_id == staff.id and complaint.window_id == window.id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reasons": ["nonsense"]}, 400),
        ({"reasons": "attitude"}, 400),
        ({"phone": "12345"}, 400),
        ({"phone": 13912345678}, 400),
        ({"text": "长" * 501}, 400),
    ],
)
def test_bad_complaints_are_refused(client, kiosk, window, body, status):
    _device, credential = kiosk
    rating_key = key()
    post_rating(client, credential, key=rating_key, level=2, window_id=window.id)
    response = client.post(
        f"/api/v1/ratings/{rating_key}/complaint",
        json=body,
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert response.status_code == status
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_a_device_cannot_complain_about_another_devices_rating(client, hall, window):
    _a, first = make_device(hall, "kiosk")
    _b, second = make_device(hall, "kiosk")
    rating_key = key()
    post_rating(client, first, key=rating_key, level=1, window_id=window.id)
    response = client.post(
        f"/api/v1/ratings/{rating_key}/complaint",
        json={"text": "x"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert response.status_code == 404


def test_a_good_rating_takes_no_complaint(client, kiosk, window):
    _device, credential = kiosk
    rating_key = key()
    post_rating(client, credential, key=rating_key, level=5, window_id=window.id)
    response = client.post(
        f"/api/v1/ratings/{rating_key}/complaint",
        json={"text": "x"},
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert response.status_code == 409


# --- pads answer invitations ---------------------------------------------------------------


@pytest.fixture
def pad(hall, window):  # type: ignore[no-untyped-def]
    return make_device(hall, "pad", window)


@pytest.fixture
def invitation(window, staff):  # type: ignore[no-untyped-def]
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=5))
    minted = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    return minted


def test_a_pad_answers_its_invitation_once_with_a_verified_rating(
    client, pad, invitation, window, staff
):
    _device, credential = pad
    first = post_rating(client, credential, key=key(), level=5, invitation=invitation.token)
    second = post_rating(client, credential, key=key(), level=1, invitation=invitation.token)
    assert first.status_code == 201 and first.json["verified"] is True
    assert second.status_code == 409 and second.json["error"] == "invitation_used"
    (rating,) = ratings()
    assert (rating.level, rating.channel, rating.verified) == (5, "pad", True)
    assert rating.staff_id == staff.id
    db.session.refresh(invitation)
    assert invitation.rating_id == rating.id and invitation.used_at is not None


def test_a_pad_replaying_its_own_tap_gets_duplicate_not_conflict(client, pad, invitation):
    _device, credential = pad
    body = {"key": key(), "level": 4, "invitation": invitation.token}
    assert post_rating(client, credential, **body).status_code == 201
    assert post_rating(client, credential, **body).status_code == 200
    assert len(ratings()) == 1


def test_a_pad_without_an_invitation_cannot_rate(client, pad):
    _device, credential = pad
    response = post_rating(client, credential, key=key(), level=5)
    assert response.status_code == 422 and response.json["error"] == "invitation_required"


def test_a_pad_cannot_answer_another_windows_invitation(client, hall, invitation, make_window):
    other_window = make_window()
    _device, credential = make_device(hall, "pad", other_window)
    response = post_rating(client, credential, key=key(), level=5, invitation=invitation.token)
    assert response.status_code == 404 and ratings() == []


def test_a_tap_after_the_invitation_expired_is_refused(app, client, pad, invitation):
    app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=1)
    _device, credential = pad
    response = post_rating(client, credential, key=key(), level=5, invitation=invitation.token)
    assert response.status_code == 410 and ratings() == []


def test_an_offline_pad_tap_made_before_expiry_is_accepted_later(app, client, pad, invitation):
    tapped = iso(utcnow())
    app.config["CLOCK"] = lambda: utcnow() + timedelta(hours=1)
    _device, credential = pad
    response = post_rating(
        client, credential, key=key(), level=3, invitation=invitation.token, tapped_at=tapped
    )
    assert response.status_code == 201


def test_pad_state_shows_the_open_invitation_and_its_qr(client, pad, invitation, staff):
    _device, credential = pad
    client.set_cookie(COOKIE, credential)
    state = client.get("/pad/state").json
    assert state["staff"] == {"name": staff.name, "staff_no": staff.staff_no}
    assert state["invitation"]["token"] == invitation.token
    svg = client.get(state["invitation"]["qr"])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    post_rating(client, credential, key=key(), level=5, invitation=invitation.token)
    assert client.get("/pad/state").json["invitation"] is None


def test_pad_state_needs_a_paired_pad(client, kiosk):
    _device, credential = kiosk
    client.set_cookie(COOKIE, credential)
    assert client.get("/pad/state").status_code == 401


# --- the staff exit PIN -----------------------------------------------------------------


def test_the_right_pin_opens_the_staff_menu(client, kiosk):
    device, credential = kiosk
    devices.set_exit_pin(device, "2468")
    db.session.commit()
    client.set_cookie(COOKIE, credential)
    wrong = client.post("/api/v1/device/unlock", json={"pin": "1111"})
    right = client.post("/api/v1/device/unlock", json={"pin": "2468"})
    assert wrong.status_code == 403 and right.status_code == 200
    menu = client.get(right.json["next"])
    assert menu.status_code == 200 and "解除本机配对" in menu.get_data(as_text=True)


def test_the_staff_menu_needs_a_valid_ticket(client, kiosk):
    _device, credential = kiosk
    client.set_cookie(COOKIE, credential)
    assert client.get("/kiosk/service?ticket=forged").status_code == 403


def test_too_many_wrong_pins_lock_the_pin_pad(client, kiosk):
    device, credential = kiosk
    devices.set_exit_pin(device, "2468")
    db.session.commit()
    client.set_cookie(COOKIE, credential)
    codes = [
        client.post("/api/v1/device/unlock", json={"pin": "0000"}).status_code for _ in range(5)
    ]
    assert codes == [403, 403, 403, 403, 429]
    locked = client.post("/api/v1/device/unlock", json={"pin": "2468"})
    assert locked.status_code == 429
    assert db.session.get(Device, device.id).pin_locked_until is not None

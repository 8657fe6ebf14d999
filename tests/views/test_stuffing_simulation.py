"""Ballot stuffing, end to end: a scripted phone, a mashed kiosk and a replayed invitation.

The board may move only by what the rules allow; every extra rating is kept, flagged and
quarantined for a supervisor, never dropped.
"""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Rating, RatingRevision
from kiosk.services import board, invitations
from tests.conftest import hall_time
from tests.device_helpers import make_device, post_rating
from tests.helpers import hidden_fields

T0 = hall_time(2026, 11, 10, 10, 0)  # a Tuesday, 10:00 in the hall: open, a whole minute


@pytest.fixture
def clock(app):  # type: ignore[no-untyped-def]
    moment = [T0]
    app.config["CLOCK"] = lambda: moment[0]
    app.config["STUFFING_FLAG_OFF_HOURS"] = True  # the real rule, at a time the hall is open
    return moment


def board_counts(hall, at) -> dict[str, int]:  # type: ignore[no-untyped-def]
    standings = board.standings(hall, "today", at)
    return {e.staff_no: e.index.count for e in standings.ranked + standings.insufficient}


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(select(Rating.status, func.count(Rating.id)).group_by(Rating.status))
    return dict(rows.all())


def test_stuffing_moves_the_board_only_as_far_as_the_rules_allow(
    app, clock, hall, make_window, make_staff, put_on_duty
):
    a, b, c = (make_window(number=n, name=f"窗口{n}") for n in (1, 2, 3))
    clerks = [make_staff(staff_no=f"S{n}") for n in (1, 2, 3)]
    for clerk, window in zip(clerks, (a, b, c), strict=True):
        put_on_duty(clerk, window, T0 - timedelta(hours=1), T0 + timedelta(hours=8))
    before = board_counts(hall, T0)
    assert before == {"S1": 0, "S2": 0, "S3": 0}
    window_limit = app.config["STUFFING_WINDOW_LIMIT"]

    # 1. One phone, 100 ratings in a minute for window 1, from a script that drops its
    #    cookies each time (with them, the same-phone rule would merely replace one rating).
    for n in range(100):
        clock[0] = T0 + timedelta(seconds=0.6 * n)
        phone = app.test_client()
        form = hidden_fields(phone.get(f"/r/{a.qr_token}").get_data(as_text=True))
        assert phone.post(f"/r/{a.qr_token}", data={**form, "level": "5"}).status_code == 303

    # 2. A kiosk mashed 100 times in the next minute, all for window 2.
    device, credential = make_device(hall, "kiosk")
    kiosk_limit = device.burst_limit
    kiosk = app.test_client()
    for n in range(100):
        clock[0] = T0 + timedelta(seconds=60 + 0.6 * n)
        response = post_rating(kiosk, credential, key=uuid.uuid4().hex, level=5, window_id=b.id)
        assert response.status_code == 201

    # 3. One 办结·邀请评价 token replayed 50 times: from the phone page and from the pad.
    clock[0] = T0 + timedelta(seconds=120)
    invitations.sign_in(clerks[2], c, now=clock[0] - timedelta(minutes=5))
    invitation = invitations.mint_invitation(clerks[2], now=clock[0])
    db.session.commit()
    _pad, pad_credential = make_device(hall, "pad", c)
    phone = app.test_client()
    form = hidden_fields(phone.get(f"/i/{invitation.token}").get_data(as_text=True))
    answers = []
    for n in range(50):
        clock[0] = T0 + timedelta(seconds=121 + n)
        if n % 2 == 0:
            data = {**form, "key": uuid.uuid4().hex, "level": "5"}
            answers.append(phone.post(f"/i/{invitation.token}", data=data).status_code)
        else:
            answers.append(
                post_rating(
                    app.test_client(),
                    pad_credential,
                    key=uuid.uuid4().hex,
                    level=5,
                    invitation=invitation.token,
                ).status_code
            )
    assert answers == [303] + [409] * 49

    after = board_counts(hall, clock[0])
    moved = {no: after[no] - before[no] for no in after}
    assert moved == {"S1": window_limit, "S2": min(kiosk_limit, window_limit), "S3": 1}
    # Every extra rating is in the database, quarantined and flagged as a burst.
    assert db.session.scalar(select(func.count(Rating.id))) == 100 + 100 + 1
    assert counts_by_status() == {"counted": sum(moved.values()), "quarantined": 201 - 12}
    quarantined = list(db.session.scalars(select(Rating).where(Rating.status == "quarantined")))
    assert len(quarantined) == (100 - window_limit) + (100 - kiosk_limit) == 189
    assert all(r.flags == ["burst"] for r in quarantined)
    assert db.session.scalar(select(func.count(RatingRevision.id))) == 0


def test_a_phone_keeping_its_cookie_replaces_its_own_rating(app, clock, window, staff, put_on_duty):
    put_on_duty(staff, window, T0 - timedelta(hours=1), T0 + timedelta(hours=8))
    phone = app.test_client()
    for n in range(100):
        clock[0] = T0 + timedelta(seconds=0.6 * n)
        form = hidden_fields(phone.get(f"/r/{window.qr_token}").get_data(as_text=True))
        phone.post(f"/r/{window.qr_token}", data={**form, "level": str(1 + n % 5)})
    assert board_counts(window.hall, clock[0]) == {staff.staff_no: 1}
    # Nothing lost: one rating and the 99 submissions it replaced, kept as revisions.
    assert db.session.scalar(select(func.count(Rating.id))) == 1
    assert db.session.scalar(select(func.count(RatingRevision.id))) == 99


def test_a_phone_signed_in_as_staff_is_quarantined_even_after_signing_out(
    app, clock, client, auth, make_user, window
):
    from tests.helpers import rate

    user = make_user("clerk", "staff")
    assert auth.login_as(user).status_code == 302
    rate(client, window.qr_token, 5)
    fields = hidden_fields(client.get("/staff/").get_data(as_text=True))
    client.post("/auth/logout", data=fields)
    clock[0] += timedelta(hours=1)
    rate(client, window.qr_token, 5)
    clock[0] += timedelta(hours=1)
    rate(app.test_client(), window.qr_token, 5)  # a resident's phone
    stored = list(db.session.scalars(select(Rating).order_by(Rating.id)))
    assert [(r.status, r.flags) for r in stored] == [
        ("quarantined", ["staff_device"]),
        ("quarantined", ["staff_device"]),
        ("counted", []),
    ]


def test_a_rating_after_closing_time_is_kept_for_review(app, clock, client, window):
    from tests.helpers import rate

    clock[0] = hall_time(2026, 11, 10, 21, 15)
    assert rate(client, window.qr_token, 1).status_code == 303
    (rating,) = db.session.scalars(select(Rating))
    assert (rating.status, rating.flags) == ("quarantined", ["off_hours"])


def test_limits_are_shared_by_two_workers(app, app_config, clock, tmp_path, window):
    """Two app instances on one database (two gunicorn workers) count one window together."""
    from kiosk import create_app

    workers = [create_app(app_config, instance_path=str(tmp_path / f"w{n}")) for n in (1, 2)]
    for worker in workers:
        worker.config["CLOCK"] = app.config["CLOCK"]
    limit = app.config["STUFFING_WINDOW_LIMIT"]
    db.session.commit()  # the test's own session holds no snapshot while the workers write
    for n in range(limit + 2):
        phone = workers[n % 2].test_client()
        form = hidden_fields(phone.get(f"/r/{window.qr_token}").get_data(as_text=True))
        assert phone.post(f"/r/{window.qr_token}", data={**form, "level": "5"}).status_code == 303
    db.session.rollback()  # end the snapshot the loop began (reading window.qr_token)
    assert counts_by_status() == {"counted": limit, "quarantined": 2}

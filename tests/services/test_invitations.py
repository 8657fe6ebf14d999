"""One rating per invitation, even under concurrent submits; pairing codes work once."""

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.database import intend_write
from kiosk.extensions import db
from kiosk.models import Rating, ServiceInvitation
from kiosk.models._types import utcnow
from kiosk.services import devices, invitations
from kiosk.services.submission import Tap


@pytest.fixture
def invitation(window, staff):  # type: ignore[no-untyped-def]
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=5))
    minted = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    return minted


def run_concurrently(app, count: int, work) -> list[str]:  # type: ignore[no-untyped-def]
    """Run work(i) in count threads released together; return each thread's outcome."""
    barrier = threading.Barrier(count)
    outcomes = [""] * count

    def worker(i: int) -> None:
        with app.app_context():
            intend_write()  # as every POST request does
            try:
                barrier.wait(timeout=10)
                outcomes[i] = work(i)
                db.session.commit()
            except Exception as error:  # the outcome (an exception name) is what the test checks
                db.session.rollback()
                outcomes[i] = type(error).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.rollback()  # end the test's own read snapshot, to see what the threads wrote
    return outcomes


def test_concurrent_answers_to_one_invitation_store_exactly_one_rating(app, invitation):
    token = invitation.token

    def answer(i: int) -> str:
        found = invitations.invitation_by_token(token)
        channel = "pad" if i % 2 else "qr"
        invitations.rate_invitation(
            found, Tap(1 + i % 5, uuid.uuid4().hex), channel=channel, now=utcnow()
        )
        return "stored"

    outcomes = run_concurrently(app, 6, answer)
    assert sorted(outcomes) == ["InvitationUsed"] * 5 + ["stored"]
    assert db.session.scalar(select(func.count(Rating.id))) == 1
    rating = db.session.scalar(select(Rating))
    used = db.session.get(ServiceInvitation, invitation.id)
    assert rating.verified and used.rating_id == rating.id and used.used_at is not None


def test_concurrent_double_taps_with_one_key_are_one_rating_and_no_error(app, invitation):
    token, key = invitation.token, uuid.uuid4().hex

    def answer(_i: int) -> str:
        found = invitations.invitation_by_token(token)
        receipt = invitations.rate_invitation(found, Tap(4, key), channel="pad", now=utcnow())
        return "duplicate" if receipt.duplicate else "stored"

    outcomes = run_concurrently(app, 4, answer)
    assert sorted(outcomes) == ["duplicate"] * 3 + ["stored"]
    assert db.session.scalar(select(func.count(Rating.id))) == 1


def test_a_pairing_code_pairs_one_tablet_even_when_two_type_it_at_once(app, hall):
    device, code = devices.create_device(hall, "kiosk", "k", None, now=utcnow())
    db.session.commit()

    def pair(_i: int) -> str:
        return "paired" if devices.pair_device(code, now=utcnow()) else "refused"

    outcomes = run_concurrently(app, 4, pair)
    assert sorted(outcomes) == ["paired"] + ["refused"] * 3
    assert db.session.get(type(device), device.id).credential_hash is not None


def test_signing_in_ends_the_previous_clerks_sign_in_at_that_window(window, staff, make_staff):
    colleague = make_staff()
    first = invitations.sign_in(colleague, window, now=utcnow() - timedelta(hours=1))
    second = invitations.sign_in(staff, window, now=utcnow())
    db.session.commit()
    assert first.ends_at is not None and second.ends_at is None
    assert invitations.current_signin(colleague, utcnow()) is None


def test_the_pad_shows_the_newest_open_invitation(window, staff):
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=5))
    older = invitations.mint_invitation(staff, now=utcnow() - timedelta(minutes=1))
    newer = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    assert invitations.open_invitation(window.id, utcnow()).id == newer.id
    invitations.rate_invitation(newer, Tap(5, uuid.uuid4().hex), channel="pad", now=utcnow())
    assert invitations.open_invitation(window.id, utcnow()).id == older.id


def test_invited_rating_counts_for_the_clerk_who_invited_even_after_sign_out(window, staff):
    now = utcnow()
    invitations.sign_in(staff, window, now=now - timedelta(minutes=10))
    invitation = invitations.mint_invitation(staff, now=now - timedelta(minutes=2))
    invitations.sign_out(staff, now=now - timedelta(minutes=1))
    db.session.commit()
    receipt = invitations.rate_invitation(
        invitation, Tap(5, "invited-after-signout"), channel="pad", now=now
    )
    db.session.commit()
    assert receipt.rating.staff_id == staff.id and receipt.rating.verified

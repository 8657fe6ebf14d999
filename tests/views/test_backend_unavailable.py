"""A database or Redis out of reach for a moment: 503 with Retry-After, so clients retry."""

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.services import intake, ratings
from tests.conftest import Auth
from tests.helpers import rate, rating_form
from tests.pgserver import free_port


def test_a_rating_during_a_database_outage_gets_503_and_its_retry_is_stored(
    client, window, monkeypatch
):
    real = intake.accept
    monkeypatch.setattr(intake, "accept", _outage)
    response = rate(client, window.qr_token, 1, key="retry-same-key-1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "您的评价不会丢失" in response.get_data(as_text=True)
    monkeypatch.setattr(intake, "accept", real)
    assert rate(client, window.qr_token, 1, key="retry-same-key-1").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_a_tap_stored_before_the_database_failed_is_recorded_by_the_next_drain(
    client, window, monkeypatch
):
    # The tap is committed, then recording it fails: the resident has the thank-you redirect
    # (the tap is safe), and the rating is made by the next drain, once, not by a retry.
    real = ratings.record_bulk
    monkeypatch.setattr(ratings, "record_bulk", _outage)
    assert rate(client, window.qr_token, 5, key="queued-in-outage-1").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    assert intake.waiting("queued-in-outage-1")
    monkeypatch.setattr(ratings, "record_bulk", real)
    assert rate(client, window.qr_token, 5, key="queued-in-outage-1").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0  # a replay: no drain
    page = client.get(f"/r/{window.qr_token}/thanks/queued-in-outage-1")
    assert page.status_code == 200  # the thank-you page records the waiting tap
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
    assert not intake.waiting("queued-in-outage-1")


@pytest.fixture
def short_busy_timeout(app_config):  # type: ignore[no-untyped-def]
    app_config["SQLITE_BUSY_TIMEOUT"] = 0.2  # seconds a writer waits for SQLite's write lock


def test_a_rating_that_waits_too_long_for_the_sqlite_write_lock_gets_503_and_is_kept_on_retry(
    short_busy_timeout, client, window, database_url
):
    # Another process (a backup, a long import) holds the write lock past the busy timeout:
    # the tap is refused with a retryable 503, not a 500, and the retry is stored once.
    form = {**rating_form(client, window.qr_token), "level": "2", "key": "waited-for-lock-1"}
    db.session.remove()  # the POST begins its own transaction, as in production
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(f"/r/{window.qr_token}", data=form)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    assert rate(client, window.qr_token, 2, key="waited-for-lock-1").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def _outage(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("server went away"))


def test_sign_in_with_redis_unreachable_gets_503_not_500(app, client, make_user):
    make_user("zhang", "supervisor")
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    response = Auth(client).login("zhang", "s3cure-pass")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"

"""A database or Redis out of reach for a moment: 503 with Retry-After, so clients retry."""

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.services import ratings
from tests.conftest import Auth
from tests.helpers import hidden_fields, rate, rating_form
from tests.pgserver import free_port


def test_a_rating_during_a_database_outage_gets_503_and_a_page_that_retries_the_same_key(
    client, window, monkeypatch
):
    real = ratings.record_rating
    monkeypatch.setattr(ratings, "record_rating", _outage)
    response = rate(client, window.qr_token, 1, key="retry-same-key-1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    page = response.get_data(as_text=True)
    assert "您的评价还没有保存" in page
    retry = hidden_fields(page)  # the page posts the same key and level again
    assert retry["key"] == "retry-same-key-1" and retry["csrf_token"]
    assert 'name="level" value="1"' in page and "js/retry.js" in page
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    monkeypatch.setattr(ratings, "record_rating", real)
    again = client.post(f"/r/{window.qr_token}", data={**retry, "level": "1"})
    assert again.status_code == 303
    twice = client.post(f"/r/{window.qr_token}", data={**retry, "level": "1"})
    assert twice.status_code == 303  # a double submit of the retry: still one rating
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
    thanks = client.get(again.headers["Location"])
    assert thanks.status_code == 200  # the bad tap reaches the complaint form
    assert "愿意告诉我们原因吗" in thanks.get_data(as_text=True)


def test_the_retry_page_stops_retrying_by_itself_after_a_few_attempts(client, window, monkeypatch):
    monkeypatch.setattr(ratings, "record_rating", _outage)
    pages = [rate(client, window.qr_token, 4, key="retry-count-1", attempt=str(n)) for n in (0, 5)]
    assert [p.status_code for p in pages] == [503, 503]
    assert "data-retry-after" in pages[0].get_data(as_text=True)
    assert "data-retry-after" not in pages[1].get_data(as_text=True)  # the resident taps


def test_a_bad_tap_that_was_recorded_always_reaches_the_complaint_form(client, window):
    response = rate(client, window.qr_token, 1, key="recorded-bad-tap-1")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1  # before the GET
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "提交意见" in page.get_data(as_text=True)


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

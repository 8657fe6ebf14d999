"""The supervisor's ratings CSV: whole and counted, never cut off unseen, refused if too large."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Rating
from kiosk.models._types import utcnow
from kiosk.services import rating_export
from tests.helpers import give_rating

EXPORT = "/staff/ratings/export.csv"
LOG = "/staff/ratings/"


@pytest.fixture
def rated(window):
    """1,234 ratings at the window over the last days: more than one batch of the stream."""
    now = utcnow()
    for n in range(1234):
        at = now - timedelta(minutes=7 * n)
        give_rating(window, 5 - n % 5, f"export-page-{n:05d}", channel="qr", now=at)
    db.session.commit()
    return 1234


def rows_of(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_downloaded_file_ends_with_a_count_equal_to_its_rows(client, sign_in, rated):
    sign_in("supervisor")
    response = client.get(EXPORT)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Length" not in response.headers  # streamed: its end is the trailer
    rows = rows_of(response.data)
    assert rating_export.trailer_count(rows[-1]) == len(rows) - 2 == rated
    assert rows[-1] == [f"导出完毕，共 {rated} 条评价"]


def test_a_file_cut_off_midway_can_be_told_from_a_whole_one(client, sign_in, rated, monkeypatch):
    real_rows = rating_export.rating_rows

    def breaks_after_a_batch(hall_id, f):
        batches = real_rows(hall_id, f)
        yield next(batches)
        raise OSError("the database went away")

    monkeypatch.setattr(rating_export, "rating_rows", breaks_after_a_batch)
    sign_in("supervisor")
    response = client.get(EXPORT)
    assert response.status_code == 200  # sent before the first row, as a real server does
    received = []
    with pytest.raises(OSError, match="went away"):  # the transfer does not end cleanly
        for chunk in response.response:
            received.append(chunk)
    rows = rows_of(b"".join(received))
    assert len(rows) == 1 + rating_export.BATCH_ROWS  # the header and the first batch
    assert rating_export.trailer_count(rows[-1]) is None  # and no trailer: not a whole file


def test_a_range_too_large_to_stream_is_refused_up_front_with_its_size(app, client, sign_in, rated):
    app.config["EXPORT_STREAM_MAX_ROWS"] = 1000
    sign_in("supervisor")
    page = client.get(LOG).get_data(as_text=True)
    assert "导出 CSV" not in page and "/staff/ratings/export.csv" not in page
    assert "所选范围共有 1,234 条评价，超过网页导出上限 1,000 条" in page
    assert "flask --app kiosk ratings export --hall xingfu" in page

    response = client.get(f"{EXPORT}?start=2000-01-01&level=")
    assert response.status_code == 303  # nothing streamed; back to the log, same filters
    assert response.headers["Location"] == f"{LOG}?start=2000-01-01&level="
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "共有 1,234 条评价" in page and "--from 2000-01-01 --out ratings.csv" in page

    english = client.get(f"{LOG}?lang=en").get_data(as_text=True)
    assert "The selected range has 1,234 ratings" in english


def test_a_narrower_range_under_the_limit_is_offered_and_whole(app, client, sign_in, rated):
    app.config["EXPORT_STREAM_MAX_ROWS"] = 1000
    sign_in("supervisor")
    today = utcnow().date()
    narrow = {"start": (today - timedelta(days=2)).isoformat(), "end": today.isoformat()}
    expected = db.session.scalar(
        select(func.count(Rating.id)).where(Rating.created_at >= utcnow() - timedelta(days=3))
    )
    page = client.get(LOG, query_string=narrow).get_data(as_text=True)
    assert "导出 CSV" in page
    rows = rows_of(client.get(EXPORT, query_string=narrow).data)
    count = rating_export.trailer_count(rows[-1])
    assert count == len(rows) - 2 and 0 < count <= 1000 and count <= expected


def test_evaluation_exports_are_sent_whole_with_their_length(client, sign_in, staff):
    sign_in("supervisor")
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/staff/evaluation/2026-11/export.{fmt}")
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(len(response.data)) != "0"

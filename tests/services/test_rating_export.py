"""The ratings CSV: every rating once, labels as on the page, a trailer that counts the rows."""

import csv
import io
import logging
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale

from kiosk import clock
from kiosk.extensions import db
from kiosk.services import rating_export
from kiosk.services.rating_review import RatingFilter
from tests.conftest import hall_time
from tests.helpers import give_rating

T0 = hall_time(2026, 11, 20, 10)


def add(window, level, key, *, at=T0, **fields):
    receipt = give_rating(window, level, key, channel=fields.pop("channel", "qr"), now=at, **fields)
    db.session.commit()
    return receipt.rating


def read(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_export_has_every_rating_and_a_trailer_that_counts_them(
    app, hall, window, make_window, make_staff, put_on_duty
):
    other = make_window(number=7, name="不动产登记")
    clerk = make_staff(name="李静", staff_no="XF007")
    put_on_duty(clerk, other, starts_at=T0 - timedelta(days=2), ends_at=T0 + timedelta(days=1))
    levels = [5, 4, 3, 2, 1] * 250  # more than one batch of rows
    for n, level in enumerate(levels):
        add(window if n % 2 else other, level, f"export-{n:05d}", at=T0 + timedelta(minutes=n))
    add(other, 1, "export-flagged", at=T0 - timedelta(days=1), status="quarantined",
        flags=("burst", "off_hours"), channel="pad", verified=True)  # fmt: skip
    with app.test_request_context():
        rows = read("".join(rating_export.export_csv(hall.id, RatingFilter())))
    header, data, last = rows[0], rows[1:-1], rows[-1]
    assert header == [
        "评价时间",
        "窗口",
        "工作人员",
        "工号",
        "评价",
        "渠道",
        "一次一评",
        "状态",
        "标记",
    ]
    assert len(data) == len(levels) + 1 and last == [f"导出完毕，共 {len(data)} 条评价"]
    assert rating_export.trailer_count(last) == len(data)
    assert data[0][0] == (T0 + timedelta(minutes=len(levels) - 1) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M:%S"
    )  # newest first, in hall-local time
    assert data[-1] == [
        "2026-11-19 10:00:00", "7 不动产登记", "李静", "XF007", "1 非常不满意", "窗口评价器", "是",
        "待审核", "burst off_hours",
    ]  # fmt: skip
    assert {row[4] for row in data} == {
        "5 非常满意",
        "4 满意",
        "3 基本满意",
        "2 不满意",
        "1 非常不满意",
    }
    assert {row[1] for row in data} == {"3 社保医保", "7 不动产登记"}


def test_someone_who_moved_to_another_hall_keeps_their_name_on_their_ratings(
    app, hall, window, make_hall, make_staff, put_on_duty
):
    mover = make_staff(name="赵敏", staff_no="XF042")
    put_on_duty(mover, window, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(days=1))
    for n in range(1200):  # looked up while the rows' cursor is open (server-side on PostgreSQL)
        add(window, 5, f"export-mover-{n:05d}", at=T0 + timedelta(minutes=n))
    mover.hall = make_hall(slug="elsewhere")
    db.session.commit()
    with app.test_request_context():
        rows = read("".join(rating_export.export_csv(hall.id, RatingFilter())))
    assert {(row[2], row[3]) for row in rows[1:-1]} == {("赵敏", "XF042")}
    assert rating_export.trailer_count(rows[-1]) == 1200


def test_the_export_speaks_the_readers_language(app, hall, window):
    add(window, 4, "export-en")
    with app.test_request_context(), force_locale("en"):
        rows = read("".join(rating_export.export_csv(hall.id, RatingFilter())))
    assert rows[1][4:8] == ["4 Satisfied", "QR code", "No", "Counted"]
    assert (
        rows[-1] == ["Export complete: 1 rating(s)"] and rating_export.trailer_count(rows[-1]) == 1
    )


def test_a_rating_row_is_never_taken_for_a_trailer():
    assert rating_export.trailer_count(["2026-11-20 10:00:00", "3 社保医保"]) is None
    assert rating_export.trailer_count(["2026-11-20 10:00:00"]) is None
    assert rating_export.trailer_count(["导出完毕，共 12 条评价"]) == 12


def test_an_export_that_fails_midway_is_logged_and_never_ends_with_a_trailer(
    app, hall, window, monkeypatch, caplog
):
    for n in range(5):
        add(window, 5, f"export-fail-{n}", at=T0 + timedelta(minutes=n))
    real_rows = rating_export.rating_rows

    def breaks_after_a_batch(hall_id, f):
        batches = real_rows(hall_id, f)
        yield next(batches)
        raise OSError("disk I/O error")

    monkeypatch.setattr(rating_export, "rating_rows", breaks_after_a_batch)
    chunks = []
    with app.test_request_context(), pytest.raises(OSError, match="disk I/O error"):
        chunks.extend(rating_export.export_csv(hall.id, RatingFilter()))
    rows = read("".join(chunks))
    assert len(rows) == 6 and rating_export.trailer_count(rows[-1]) is None
    failure = next(r for r in caplog.records if r.name == "kiosk.services.rating_export")
    assert failure.levelno == logging.ERROR and "after 5 rows" in failure.getMessage()
    assert failure.exc_info is not None


@pytest.mark.sqlite_only
def test_a_range_over_the_limit_is_refused_with_its_size_and_the_command(app, hall, window):
    for n in range(3):
        add(window, 5, f"export-limit-{n}")
    app.config["EXPORT_STREAM_MAX_ROWS"] = 2
    whole_year = RatingFilter(start=datetime(2026, 1, 1).date(), end=datetime(2026, 12, 31).date())
    with app.test_request_context():
        rows = rating_export.count(hall.id, whole_year)
        message = rating_export.too_large(rows, hall.slug, whole_year)
        assert rating_export.too_large(2, hall.slug, whole_year) is None
    assert rows == 3 and message is not None
    assert "共有 3 条评价" in message and "上限 2 条" in message
    assert (
        "flask --app kiosk ratings export --hall xingfu --from 2026-01-01 --to 2026-12-31"
        " --out ratings.csv" in message
    )


class TestAHallWhoseClocksChange:
    """New York's clocks go back at 06:00 UTC on 2026-11-01: local times stay right across it."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "HALL_TIMEZONE": "America/New_York"}

    def test_times_are_local_on_both_sides_of_the_change(self, app, hall, window):
        start = datetime(2026, 11, 1, 4, 50)
        moments = [start + timedelta(minutes=20 * n) for n in range(8)]  # 04:50 to 07:10 UTC
        for n, moment in enumerate(moments):
            add(window, 5, f"export-dst-{n}", at=moment)
        with app.test_request_context():
            rows = read("".join(rating_export.export_csv(hall.id, RatingFilter())))
            expected = [clock.to_local(m).strftime("%Y-%m-%d %H:%M:%S") for m in moments]
        assert [row[0] for row in rows[1:-1]] == expected[::-1]
        assert expected[:2] == ["2026-11-01 00:50:00", "2026-11-01 01:10:00"]  # EDT, UTC-4
        assert expected[-1] == "2026-11-01 02:10:00"  # EST, UTC-5
